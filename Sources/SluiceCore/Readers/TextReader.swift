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
/// `metadata.truncated = true`) and is counted as `text:corrupt_input`.
public struct TextReader: DocumentReader {
    public static let name = "text"
    public static let summary = "Reads plain text files as one document per file or per paragraph."
    public static let fileExtensions = [".txt", ".txt.gz", ".txt.zst", ".txt.zstd", ".txt.bz2", ".md"]

    public static let invalidUTF8 = "text:invalid_utf8"
    public static let corruptInput = "text:corrupt_input"

    /// How a file is cut into documents.
    public enum Split: String, Sendable {
        case file, paragraph
    }

    public var split: Split

    public init(options: inout StageOptions) throws {
        let s = try options.choice(
            "split", default: "file", ["file", "paragraph"],
            "one document per file, or per blank-line-separated paragraph")
        split = Split(rawValue: s)!
    }

    public init(split: Split = .file) { self.split = split }

    public func open(_ path: String, context: TaskContext) throws -> any DocumentIterator {
        TextIterator(lines: try LineReader(path: path), context: context, split: split)
    }
}

/// The pull loop of `TextReader` over one file.
struct TextIterator: DocumentIterator {
    let lines: LineReader
    let context: TaskContext
    let split: TextReader.Split
    let path: String
    let fileName: String
    var paragraph = 0
    var finished = false
    var scratch: [UInt8] = []

    init(lines: LineReader, context: TaskContext, split: TextReader.Split) {
        self.lines = lines
        self.context = context
        self.split = split
        path = lines.source.path
        fileName = String(path.split(separator: "/").last ?? Substring(path))
    }

    mutating func next() throws -> Document? {
        guard !finished else { return nil }
        scratch.removeAll(keepingCapacity: true)
        var truncated = false
        var lineCount = 0
        do {
            while let line = try lines.next() {
                if split == .paragraph && isBlank(line) {
                    if lineCount > 0 { break }
                    continue
                }
                if lineCount > 0 { scratch.append(0x0A) }
                scratch.append(contentsOf: line)
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
            context.reportBadRecord(TextReader.invalidUTF8, file: path, line: lines.lineNumber, "invalid UTF-8 replaced by U+FFFD")
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
