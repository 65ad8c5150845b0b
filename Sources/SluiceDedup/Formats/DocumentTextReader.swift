// Streams the `text` field of every document in one intermediate JSONL file (plain, .gz or .zst),
// with its ordinal, straight from the bytes: dedup passes need only the text, so this does not
// build `Document`s. It does not validate the rest of each object beyond what skipping needs.
import SluiceCore

/// Reads `(ordinal, text bytes)` from a JSON Lines document file, one object per line.
///
/// The ordinal counts documents from 0, the numbering the engine gives
/// `TaskContext.documentOrdinal` when its JSONL reader reads the file again: blank lines are
/// skipped, and a line that is not a JSON object with a string `text` is reported to
/// `onBadLine` and skipped without an ordinal, as the reader skips a broken record.
public struct DocumentTextReader {
    public let path: String
    /// Core's line splitter: the same line boundaries (and `\r\n`, byte-order-mark handling) as
    /// the `jsonl` reader that later numbers the same documents.
    private let lines: LineReader
    private var text: [UInt8] = []
    private var ordinal = 0

    /// Opens `path`, decompressing by extension.
    /// - Throws: `SluiceError(.io)` when the file cannot be opened.
    public init(path: String, blockSize: Int = 1 << 20) throws {
        self.path = path
        self.lines = LineReader(source: try openByteSource(path), initialCapacity: max(blockSize, 16))
    }

    /// Calls `body` for every document in order. The buffer is only valid during the call.
    /// - Throws: I/O or decompression errors of the file.
    public mutating func forEach(
        onBadLine: (Int, String) -> Void = { _, _ in },
        _ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        while let raw = try lines.next() {
            let line = raw.assumingMemoryBound(to: UInt8.self)
            // Skip blank lines (only whitespace) without giving them an ordinal.
            guard line.contains(where: { $0 != 32 && $0 != 9 && $0 != 13 }) else { continue }
            if JSONTextField.extract(line, into: &text) {
                try text.withUnsafeBufferPointer { try body(ordinal, $0) }
                ordinal += 1
            } else {
                onBadLine(ordinal, "\(path):\(lines.lineNumber)")
            }
        }
    }
}

/// Finds a top-level string member of a JSON object (`text`, or the document `id`) and decodes it.
enum JSONTextField {
    /// Decodes the string under `key` of the object in `line` into `out`; false (and `out` empty)
    /// when the line is not an object or has no string member `key`.
    static func extract(
        _ line: UnsafeBufferPointer<UInt8>, key: StaticString = "text", into out: inout [UInt8]
    ) -> Bool {
        out.removeAll(keepingCapacity: true)
        let want = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        var i = 0
        let n = line.count
        func skipSpace() { while i < n, line[i] == 32 || line[i] == 9 || line[i] == 13 || line[i] == 10 { i += 1 } }
        skipSpace()
        guard i < n, line[i] == UInt8(ascii: "{") else { return false }
        i += 1
        while true {
            skipSpace()
            guard i < n, line[i] != UInt8(ascii: "}") else { return false }
            if line[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard line[i] == UInt8(ascii: "\"") else { return false }
            let keyStart = i + 1
            guard let keyEnd = skipString(line, from: i) else { return false }
            let matches =
                keyEnd - 1 - keyStart == want.count && (0..<want.count).allSatisfy { line[keyStart + $0] == want[$0] }
            i = keyEnd
            skipSpace()
            guard i < n, line[i] == UInt8(ascii: ":") else { return false }
            i += 1
            skipSpace()
            guard i < n else { return false }
            if matches {
                guard line[i] == UInt8(ascii: "\"") else { return false }
                return decodeString(line, from: i, into: &out)
            }
            guard let next = skipValue(line, from: i) else { return false }
            i = next
        }
    }

    /// The index after the closing quote of the string starting at `from` (a quote).
    static func skipString(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        var i = from + 1
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\\") {
                i += 2
                continue
            }
            if c == UInt8(ascii: "\"") { return i + 1 }
            i += 1
        }
        return nil
    }

    /// The index after the value starting at `from`.
    static func skipValue(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        var i = from
        var depth = 0
        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: "\""):
                guard let e = skipString(b, from: i) else { return nil }
                i = e
                if depth == 0 { return i }
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return i }
                depth -= 1
                if depth == 0 { return i + 1 }
            case UInt8(ascii: ","):
                if depth == 0 { return i }
            default: break
            }
            i += 1
        }
        return nil
    }

    /// Decodes the JSON string starting at `from` (a quote) into UTF-8 bytes.
    static func decodeString(_ b: UnsafeBufferPointer<UInt8>, from: Int, into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        var i = from + 1
        var runStart = i
        let n = b.count
        while i < n {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<i]))
                return true
            }
            if c != UInt8(ascii: "\\") {
                i += 1
                continue
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<i]))
            guard i + 1 < n else { return false }
            let e = b[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "u"):
                guard var u = hex4(b, i) else { return false }
                i += 4
                if u >= 0xD800 && u < 0xDC00, i + 6 <= n, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u"),
                    let lowHalf = hex4(b, i + 2), lowHalf >= 0xDC00 && lowHalf < 0xE000
                {
                    u = 0x10000 + ((u - 0xD800) << 10) + (lowHalf - 0xDC00)
                    i += 6
                } else if u >= 0xD800 && u < 0xE000 {
                    u = 0xFFFD  // a lone surrogate cannot be UTF-8
                }
                appendUTF8(u, to: &out)
            default: out.append(e)  // \" \\ \/
            }
            runStart = i
        }
        return false
    }

    static func hex4(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32? {
        guard i + 4 <= b.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = b[i + k]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 97...102: d = UInt32(c - 87)
            case 65...70: d = UInt32(c - 55)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }

    static func appendUTF8(_ u: UInt32, to out: inout [UInt8]) {
        switch u {
        case 0..<0x80: out.append(UInt8(u))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (u >> 6)))
            out.append(UInt8(0x80 | (u & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (u >> 12)))
            out.append(UInt8(0x80 | ((u >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (u & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (u >> 18)))
            out.append(UInt8(0x80 | ((u >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((u >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (u & 0x3F)))
        }
    }
}
