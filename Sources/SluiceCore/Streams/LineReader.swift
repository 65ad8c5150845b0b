// Lines from any ByteSource, handed out as zero-copy views into one reused, growing buffer.
// The buffer grows to the longest line, up to an optional cap: a longer line is streamed past and
// reported, never held. The scan for '\n' never revisits bytes. Decoding is the caller's business.
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
    public var lineNumber: Int { currentLineNumber }
    /// The offset in the decompressed stream of the first byte of the line last returned.
    public var lineOffset: Int { currentLineOffset }
    /// Whether the line last returned ended with a terminator (false only for a file's last line).
    public var lastLineTerminated: Bool { currentLineTerminated }
    // Stored privately: under -O every write to a public stored property of a class is checked
    // for exclusive access at run time (other modules' accesses are out of the compiler's sight),
    // three calls into the runtime per line; private ones are checked at compile time.
    private var currentLineNumber = 0
    private var currentLineOffset = 0
    private var currentLineTerminated = false
    /// Lines longer than this many bytes are skipped without being buffered (see `nextLine()`).
    public let maxLineBytes: Int
    /// Bytes of the oversized line being skipped (-1 when not skipping).
    private var skipped = -1
    /// The buffer's size now: it never exceeds about twice `maxLineBytes` (decompression bombs).
    public var bufferCapacity: Int { capacity }

    /// What `nextLine()` returns.
    public enum Line {
        /// A line without its terminator, valid until the next call.
        case text(UnsafeRawBufferPointer)
        /// A line longer than `maxLineBytes`, skipped; `lineNumber` and `lineOffset` name it.
        case oversized(bytes: Int)
    }

    /// - Parameters:
    ///   - source: the bytes to split.
    ///   - initialCapacity: starting buffer size; it doubles whenever a line does not fit.
    ///   - maxLineBytes: longer lines are skipped by `nextLine()` as `.oversized` (and silently by
    ///     `next()`), so one huge line never sits in memory.
    public init(source: any ByteSource, initialCapacity: Int = 1 << 20, maxLineBytes: Int = .max) {
        self.source = source
        self.maxLineBytes = max(1, maxLineBytes)
        capacity = max(16, min(initialCapacity, maxLineBytes < Int.max / 4 ? maxLineBytes + 16 : initialCapacity))
        buffer = .allocate(byteCount: capacity, alignment: 64)
    }

    /// Opens `path` (decompressing by extension) and reads its lines.
    /// - Throws: `SluiceError(.io)` when the file cannot be opened.
    public convenience init(path: String, maxLineBytes: Int = .max) throws {
        self.init(source: try openByteSource(path), maxLineBytes: maxLineBytes)
    }

    deinit { buffer.deallocate() }

    /// The next line without its terminator, or nil at the end of the stream.
    ///
    /// The returned bytes live in the reader's buffer and stay valid only until the next call.
    /// - Throws: the source's error (`SluiceError(.corruptInput)`, `.io`) once the good lines are used up.
    /// - Complexity: amortized O(length of the line).
    public func next() throws -> UnsafeRawBufferPointer? {
        while let line = try nextLine() {
            if case .text(let bytes) = line { return bytes }
        }
        return nil
    }

    /// The next line, or `.oversized` for a line longer than `maxLineBytes` (streamed past without
    /// being buffered), or nil at the end of the stream.
    /// - Throws: as `next()`.
    public func nextLine() throws -> Line? {
        while true {
            if scanned < end, let hit = memchr(buffer + scanned, 0x0A, end - scanned) {
                let newline = UnsafeMutableRawPointer(hit) - buffer
                if skipped >= 0 || newline - start > maxLineBytes { return skipOversized(upTo: newline, skip: 1) }
                return .text(take(upTo: newline, skip: 1))
            }
            scanned = end
            if skipped < 0 && end - start > maxLineBytes {
                // Too long already: remember where it began and drop what is buffered.
                currentLineOffset = bufferOffset + start
                skipped = 0
            }
            if skipped >= 0 {
                skipped += end - start
                start = end
                scanned = end
            }
            if atEOF {
                if skipped >= 0 { return skipOversized(upTo: end, skip: 0) }
                guard start < end else { return nil }
                if end - start > maxLineBytes { return skipOversized(upTo: end, skip: 0) }
                return .text(take(upTo: end, skip: 0))
            }
            try fill()
        }
    }

    /// Ends an oversized line at `lineEnd` and moves past its terminator.
    private func skipOversized(upTo lineEnd: Int, skip: Int) -> Line {
        if skipped < 0 {
            currentLineOffset = bufferOffset + start
            skipped = 0
        }
        let total = skipped + (lineEnd - start)
        skipped = -1
        currentLineNumber += 1
        currentLineTerminated = skip > 0
        checkedBOM = true
        start = lineEnd + skip
        scanned = start
        return .oversized(bytes: total)
    }

    /// Returns `buffer[start..<lineEnd]` minus a trailing '\r' and moves past the terminator.
    private func take(upTo lineEnd: Int, skip: Int) -> UnsafeRawBufferPointer {
        var last = lineEnd
        if last > start && buffer.load(fromByteOffset: last - 1, as: UInt8.self) == 0x0D { last -= 1 }
        let line = UnsafeRawBufferPointer(start: buffer + start, count: last - start)
        currentLineNumber += 1
        currentLineTerminated = skip > 0
        checkedBOM = true  // a BOM only counts before the first line
        currentLineOffset = bufferOffset + start
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
        // Keep each read at least a quarter of the buffer, so a long line grows it geometrically
        // (up to the line cap: a longer line is skipped, not held).
        if capacity - end < capacity / 4 && capacity <= maxLineBytes {
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
