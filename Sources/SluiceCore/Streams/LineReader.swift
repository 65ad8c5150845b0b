// Lines from any ByteSource, handed out as zero-copy views into one reused, growing buffer.
// Lines may be any length (the buffer grows to the longest line); the scan for '\n' never revisits
// bytes. Decoding (UTF-8 checks, JSON) is the caller's business.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Splits a byte stream into lines terminated by `\n` (a `\r` before it is dropped too).
///
/// ```swift
/// let lines = try LineReader(path: "docs.jsonl.zst")
/// while let line = try lines.next() { parse(line) }  // `line` is valid until the next call
/// ```
///
/// A last line without a terminator is still a line. A UTF-8 byte order mark at the very start of
/// the stream is skipped. If the source throws (a truncated or corrupt stream), `next()` rethrows,
/// after every complete line before the damage has been returned; the unfinished line the damage
/// cut off is not returned.
public final class LineReader {
    /// Where the bytes come from.
    public let source: any ByteSource
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    /// `buffer[start..<end]` holds bytes not yet returned; `buffer[start..<scanned]` has no '\n'.
    private var start = 0
    private var end = 0
    private var scanned = 0
    private var atEOF = false
    private var checkedBOM = false
    /// Stream offset of `buffer[0]`.
    private var bufferOffset = 0
    /// The 1-based number of the line last returned (0 before the first).
    public private(set) var lineNumber = 0
    /// The offset in the decompressed stream of the first byte of the line last returned.
    public private(set) var lineOffset = 0
    /// Whether the line last returned ended with a terminator (false only for a file's last line).
    public private(set) var lastLineTerminated = false

    /// - Parameters:
    ///   - source: the bytes to split.
    ///   - initialCapacity: starting buffer size; it doubles whenever a line does not fit.
    public init(source: any ByteSource, initialCapacity: Int = 1 << 20) {
        self.source = source
        capacity = max(16, initialCapacity)
        buffer = .allocate(byteCount: capacity, alignment: 64)
    }

    /// Opens `path` (decompressing by extension) and reads its lines.
    /// - Throws: `SluiceError(.io)` when the file cannot be opened.
    public convenience init(path: String) throws {
        self.init(source: try openByteSource(path))
    }

    deinit { buffer.deallocate() }

    /// The next line without its terminator, or nil at the end of the stream.
    ///
    /// The returned bytes live in the reader's buffer and stay valid only until the next call.
    /// - Throws: the source's error (`SluiceError(.corruptInput)`, `.io`) once the good lines are used up.
    /// - Complexity: amortized O(length of the line).
    public func next() throws -> UnsafeRawBufferPointer? {
        while true {
            if scanned < end, let hit = memchr(buffer + scanned, 0x0A, end - scanned) {
                let newline = UnsafeMutableRawPointer(hit) - buffer
                return take(upTo: newline, skip: 1)
            }
            scanned = end
            if atEOF {
                guard start < end else { return nil }
                return take(upTo: end, skip: 0)
            }
            try fill()
        }
    }

    /// Returns `buffer[start..<lineEnd]` minus a trailing '\r' and moves past the terminator.
    private func take(upTo lineEnd: Int, skip: Int) -> UnsafeRawBufferPointer {
        var last = lineEnd
        if last > start && buffer.load(fromByteOffset: last - 1, as: UInt8.self) == 0x0D { last -= 1 }
        let line = UnsafeRawBufferPointer(start: buffer + start, count: last - start)
        lineNumber += 1
        lastLineTerminated = skip > 0
        checkedBOM = true  // a BOM only counts before the first line
        lineOffset = bufferOffset + start
        start = lineEnd + skip
        scanned = start
        return line
    }

    /// Moves the unfinished line to the front, grows the buffer if needed, and reads more.
    private func fill() throws {
        if start > 0 {
            let pending = end - start
            if pending > 0 { memmove(buffer, buffer + start, pending) }
            bufferOffset += start
            end = pending
            scanned -= start
            start = 0
        }
        // Keep each read at least a quarter of the buffer, so a long line grows it geometrically.
        if capacity - end < capacity / 4 {
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 64)
            bigger.copyMemory(from: buffer, byteCount: end)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: capacity - end))
        if n == 0 { atEOF = true }
        end += n
        if !checkedBOM && (end >= 3 || atEOF) {
            checkedBOM = true
            if end >= 3 && buffer.load(as: UInt8.self) == 0xEF && buffer.load(fromByteOffset: 1, as: UInt8.self) == 0xBB
                && buffer.load(fromByteOffset: 2, as: UInt8.self) == 0xBF
            {
                start = 3
                scanned = 3
            }
        }
    }
}
