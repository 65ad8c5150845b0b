// The `jsonl` reader: JSON Lines documents {"id","text","source","metadata"} from .jsonl files,
// plain or compressed. Bad lines are counted and skipped; a damaged compressed stream ends the
// file after its good lines. Writing JSONL is Writers/JSONLWriter.swift.

/// Reads one document per line of a JSON Lines file (`.jsonl`, `.jsonl.gz`, `.jsonl.zst`, `.jsonl.bz2`).
///
/// - A line that is not a JSON object with a string `text` is counted as `jsonl:malformed_line`
///   (logged with file:line) and skipped; blank lines are skipped silently.
/// - Invalid UTF-8 is replaced by U+FFFD; the document is kept and counted as `jsonl:invalid_utf8`.
/// - A missing `id` becomes `<file name>:<line>`, a missing `source` becomes `jsonl`; unknown
///   top-level fields go into `metadata` (see `JSONParser.parseDocument`).
/// - A truncated or corrupt compressed file is counted as `jsonl:corrupt_input` with its
///   compressed offset; every complete line before the damage is read.
/// - A line longer than `max_record_bytes` (default 64MB) is streamed past without being held in
///   memory and counted as `jsonl:record_too_large`; the lines after it are read (a 50 KB `.zst`
///   can hold a 1.5 GB line).
/// - A number too large for a double (`1e999`) makes the line bad: `jsonl:number_out_of_range`.
public struct JSONLReader: DocumentReader {
    public static let name = "jsonl"
    public static let summary = "Reads JSON Lines documents {id, text, source, metadata}, plain or .gz/.zst/.bz2."
    public static let fileExtensions = [".jsonl", ".jsonl.gz", ".jsonl.zst", ".jsonl.zstd", ".jsonl.bz2"]

    /// A line that is not a JSON object with a string `text`.
    public static let malformedLine = "jsonl:malformed_line"
    /// A document whose strings held invalid UTF-8 (kept, with U+FFFD).
    public static let invalidUTF8 = "jsonl:invalid_utf8"
    /// A compressed stream that is truncated or corrupt; the rest of the file is lost.
    public static let corruptInput = "jsonl:corrupt_input"
    /// A line longer than `maxRecordBytes`, skipped unread.
    public static let recordTooLarge = "jsonl:record_too_large"
    /// A line holding a number outside the range of a double, such as `1e999`.
    public static let numberOutOfRange = "jsonl:number_out_of_range"

    /// The default cap on one line (one record), in bytes.
    public static let defaultMaxRecordBytes = 64_000_000
    /// Longer lines are skipped and counted.
    public var maxRecordBytes: Int

    public init(options: inout StageOptions) throws {
        maxRecordBytes = try options.bytes(
            "max_record_bytes", default: Self.defaultMaxRecordBytes,
            "skip (and count) a line longer than this, without reading it into memory")
        guard maxRecordBytes > 0 else { throw options.error("max_record_bytes", "must be positive") }
    }

    public init(maxRecordBytes: Int = Self.defaultMaxRecordBytes) { self.maxRecordBytes = maxRecordBytes }

    public func open(_ path: String, context: TaskContext) throws -> any DocumentIterator {
        JSONLIterator(lines: try LineReader(path: path, maxLineBytes: maxRecordBytes), context: context)
    }
}

/// The pull loop of `JSONLReader` over one file.
struct JSONLIterator: DocumentIterator {
    let lines: LineReader
    let context: TaskContext
    let path: String
    let fileName: String
    var parser = JSONParser()
    var finished = false

    init(lines: LineReader, context: TaskContext) {
        self.lines = lines
        self.context = context
        path = lines.source.path
        fileName = String(path.split(separator: "/").last ?? Substring(path))
    }

    mutating func next() throws -> Document? {
        while !finished {
            let line: UnsafeRawBufferPointer
            do {
                switch try lines.nextLine() {
                case nil:
                    finished = true
                    return nil
                case .text(let l): line = l
                case .oversized(let bytes):
                    context.reportBadRecord(
                        JSONLReader.recordTooLarge, file: path, line: lines.lineNumber,
                        "a line of \(bytes) bytes is longer than max_record_bytes (\(lines.maxLineBytes)); skipped")
                    continue
                }
            } catch let e as SluiceError where e.code == .corruptInput {
                finished = true
                context.reportBadRecord(
                    JSONLReader.corruptInput, file: path, offset: e.offset,
                    "\(e.message); \(lines.lineNumber) lines read before the damage")
                return nil
            }
            if isBlank(line) { continue }
            let before = parser.invalidUTF8Count
            let number = lines.lineNumber
            do {
                let document = try parser.parseDocument(
                    line, defaultID: "\(fileName):\(number)", defaultSource: "jsonl")
                if parser.invalidUTF8Count != before {
                    context.reportBadRecord(
                        JSONLReader.invalidUTF8, file: path, line: number, "invalid UTF-8 replaced by U+FFFD")
                }
                return document
            } catch let e as JSONSyntaxError {
                let reason = e.outOfRange ? JSONLReader.numberOutOfRange : JSONLReader.malformedLine
                context.reportBadRecord(reason, file: path, line: number, e.description)
            }
        }
        return nil
    }

    private func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        for b in line where !(b == 0x20 || b == 0x09 || b == 0x0D) { return false }
        return true
    }
}
