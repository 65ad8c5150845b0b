// The `text` reader: plain-text files (optionally compressed) as one document per file or per
// blank-line-separated paragraph. No charset detection: input is taken as UTF-8 and repaired.

/// Reads plain text (`.txt`, `.txt.gz`, `.txt.zst`, `.txt.bz2`, `.md`).
///
/// `split: file` makes one document per file with id `<file name>`; `split: paragraph` makes one
/// per run of non-blank lines (blank = only spaces, tabs or `\r`), with id
/// `<file name>:<paragraph index>` counting from 0, lines joined by `\n` (so `\r\n` line ends
/// become `\n`). A UTF-8 byte order mark
/// is dropped. Invalid UTF-8 is replaced by U+FFFD and counted as `text:invalid_utf8`. A damaged
/// compressed file keeps the text decoded before the damage (in `file` mode marked
/// `metadata.truncated = true`) and is counted as `text:corrupt_input`. A document (file or
/// paragraph) longer than `max_record_bytes` (default 64MB) is streamed past without being held in
/// memory and counted as `text:record_too_large`; the paragraphs after it are read.
public struct TextReader: DocumentReader {
    public static let name = "text"
    public static let summary = "Reads plain text files as one document per file or per paragraph."
    public static let fileExtensions = [".txt", ".txt.gz", ".txt.zst", ".txt.zstd", ".txt.bz2", ".md"]

    public static let invalidUTF8 = "text:invalid_utf8"
    public static let corruptInput = "text:corrupt_input"
    /// A document longer than `maxRecordBytes`, skipped.
    public static let recordTooLarge = "text:record_too_large"

    /// How a file is cut into documents.
    public enum Split: String, Sendable {
        case file, paragraph
    }

    public var split: Split
    /// Longer documents are skipped and counted.
    public var maxRecordBytes: Int

    public init(options: inout StageOptions) throws {
        let s = try options.choice(
            "split", default: "file", ["file", "paragraph"],
            "one document per file, or per blank-line-separated paragraph")
        split = Split(rawValue: s)!
        maxRecordBytes = try options.bytes(
            "max_record_bytes", default: JSONLReader.defaultMaxRecordBytes,
            "skip (and count) a document longer than this, without reading it into memory")
        guard maxRecordBytes > 0 else { throw options.error("max_record_bytes", "must be positive") }
    }

    public init(split: Split = .file, maxRecordBytes: Int = JSONLReader.defaultMaxRecordBytes) {
        self.split = split
        self.maxRecordBytes = maxRecordBytes
    }

    public func open(_ path: String, context: TaskContext) throws -> any DocumentIterator {
        TextIterator(
            lines: try LineReader(path: path, maxLineBytes: maxRecordBytes), context: context, split: split,
            maxBytes: maxRecordBytes)
    }
}

/// The pull loop of `TextReader` over one file.
struct TextIterator: DocumentIterator {
    let lines: LineReader
    let context: TaskContext
    let split: TextReader.Split
    let path: String
    let fileName: String
    let maxBytes: Int
    var paragraph = 0
    var finished = false
    var scratch: [UInt8] = []

    init(lines: LineReader, context: TaskContext, split: TextReader.Split, maxBytes: Int) {
        self.lines = lines
        self.context = context
        self.split = split
        self.maxBytes = maxBytes
        path = lines.source.path
        fileName = String(path.split(separator: "/").last ?? Substring(path))
    }

    mutating func next() throws -> Document? {
        while !finished {
            if let document = try nextDocument() { return document }
        }
        return nil
    }

    /// The next document, or nil when the one read was too large (counted) or the file ended.
    private mutating func nextDocument() throws -> Document? {
        scratch.removeAll(keepingCapacity: true)
        var truncated = false
        var lineCount = 0
        // Bytes of a document that outgrew `maxBytes` (its lines are read and dropped), or -1.
        var oversized = -1
        var firstLine = 0
        do {
            while let next = try lines.nextLine() {
                var length = 0
                if case .text(let line) = next {
                    if split == .paragraph && isBlank(line) {
                        if lineCount > 0 { break }
                        continue
                    }
                    length = line.count
                    if oversized < 0 && scratch.count + length + (lineCount > 0 ? 1 : 0) > maxBytes {
                        oversized = scratch.count
                        scratch.removeAll(keepingCapacity: false)
                    }
                    if oversized < 0 {
                        if lineCount > 0 { scratch.append(0x0A) }
                        scratch.append(contentsOf: line)
                    }
                } else if case .oversized(let bytes) = next {
                    length = bytes
                    if oversized < 0 {
                        oversized = scratch.count
                        scratch.removeAll(keepingCapacity: false)
                    }
                }
                if lineCount == 0 { firstLine = lines.lineNumber }
                if oversized >= 0 { oversized += length + (lineCount > 0 ? 1 : 0) }
                lineCount += 1
            }
        } catch let e as SluiceError where e.code == .corruptInput {
            finished = true
            truncated = true
            context.reportBadRecord(
                TextReader.corruptInput, file: path, offset: e.offset,
                "\(e.message); text decoded before the damage is kept")
        }
        if split == .file { finished = true }
        if lineCount == 0 {
            finished = true
            return nil
        }
        if oversized >= 0 {
            if split == .paragraph { paragraph += 1 }
            context.reportBadRecord(
                TextReader.recordTooLarge, file: path, line: firstLine,
                "a document of more than \(maxBytes) bytes (max_record_bytes) skipped: \(oversized) bytes")
            return nil
        }
        // A file ending in a newline keeps it (the reader removed terminators, put it back).
        if split == .file && !truncated && endsWithNewline { scratch.append(0x0A) }
        var invalid = 0
        let text = scratch.withUnsafeBytes { UTF8Text.makeString($0, invalid: &invalid) }
        let id: String
        if split == .file {
            id = fileName
        } else {
            id = "\(fileName):\(paragraph)"
            paragraph += 1
        }
        if invalid > 0 {
            context.reportBadRecord(
                TextReader.invalidUTF8, file: path, line: lines.lineNumber, "invalid UTF-8 replaced by U+FFFD")
        }
        var document = Document(id: id, text: text, source: "text")
        if truncated && split == .file { document.metadata["truncated"] = true }
        return document
    }

    /// Whether the file's last line had a terminator (known once the reader is at the end).
    private var endsWithNewline: Bool { lines.lastLineTerminated }

    private func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        for b in line where !(b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0C || b == 0x0B) { return false }
        return true
    }
}
