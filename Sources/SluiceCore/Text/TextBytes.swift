// Byte-level text helpers shared by the filters and dedup: UTF-8 decoding at an offset, code point
// counts, Python-compatible line splitting and whitespace stripping. Operates on UTF-8 buffers;
// it never builds `Character`s and never normalizes.

/// Calls `body` with the UTF-8 bytes of `text` without copying when the string is native.
@inlinable
public func withUTF8Bytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    if let r = try text.utf8.withContiguousStorageIfAvailable(body) { return r }
    var copy = text
    copy.makeContiguousUTF8()
    return try copy.withUTF8(body)
}

/// Decodes the scalar starting at byte `i` of valid UTF-8 `b`.
/// - Returns: the code point and its length in bytes (1…4). A stray continuation byte decodes as
///   itself with length 1, so a loop over bad input still advances.
@inline(__always)
public func decodeScalar(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> (scalar: UInt32, length: Int) {
    let c0 = UInt32(b[i])
    if c0 < 0x80 { return (c0, 1) }
    let n = b.count
    if c0 >= 0xF0, i + 3 < n {
        return (
            ((c0 & 0x07) << 18) | ((UInt32(b[i + 1]) & 0x3F) << 12) | ((UInt32(b[i + 2]) & 0x3F) << 6)
                | (UInt32(b[i + 3]) & 0x3F), 4
        )
    }
    if c0 >= 0xE0, i + 2 < n {
        return (((c0 & 0x0F) << 12) | ((UInt32(b[i + 1]) & 0x3F) << 6) | (UInt32(b[i + 2]) & 0x3F), 3)
    }
    if c0 >= 0xC0, i + 1 < n { return (((c0 & 0x1F) << 6) | (UInt32(b[i + 1]) & 0x3F), 2) }
    return (c0, 1)
}

/// The number of code points in `b[range]` (what Python's `len` returns for the same text).
/// Inlinable: under -O the checked body outgrew implicit cross-module inlining and became a call per token.
@inlinable @inline(__always)
public func codePointCount(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
    var n = 0
    for i in range where b[i] & 0xC0 != 0x80 { n &+= 1 }  // n < range.count: no overflow
    return n
}

/// The length in bytes of the scalar ending just before `end` (walks back over continuation bytes).
@inline(__always)
public func previousScalarStart(_ b: UnsafeBufferPointer<UInt8>, before end: Int) -> Int {
    var i = end - 1
    while i > 0 && b[i] & 0xC0 == 0x80 { i -= 1 }
    return i
}

/// True for the code points Python's `str.isspace()` accepts (and so `strip()` and `split()` remove).
@inline(__always)
public func isPythonWhitespace(_ c: UInt32) -> Bool {
    if c < 0x80 { return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F) }
    switch c {
    case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
    default: return false
    }
}

/// `range` without leading and trailing whitespace (Python `str.strip()`).
public func strippedRange(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
    var lo = range.lowerBound
    var hi = range.upperBound
    while lo < hi {
        let (c, l) = decodeScalar(b, at: lo)
        if !isPythonWhitespace(c) { break }
        lo += l
    }
    while hi > lo {
        let s = previousScalarStart(b, before: hi)
        if !isPythonWhitespace(decodeScalar(b, at: s).scalar) { break }
        hi = s
    }
    return lo..<hi
}

/// How text splits into lines.
public enum LineSplitMode: Sendable {
    /// Python `text.split("\n")`: every `\n` ends a line; a trailing `\n` yields a final empty line.
    case lineFeed
    /// Python `str.splitlines()`: `\n`, `\r`, `\r\n`, `\v`, `\f`, `\x1c`–`\x1e`, U+0085, U+2028 and
    /// U+2029 end a line; no empty line after a final break; empty text has no lines.
    case universal
    /// Python `re.split("\n+", text)`: runs of `\n` separate lines (empty first/last lines kept).
    case lineFeedRuns
}

/// Calls `body` with the byte range of every line of `b` (without its terminator).
/// - Complexity: O(n).
public func forEachLine(_ b: UnsafeBufferPointer<UInt8>, mode: LineSplitMode, _ body: (Range<Int>) -> Void) {
    let n = b.count
    switch mode {
    case .lineFeed, .lineFeedRuns:
        var start = 0
        var i = 0
        while i < n {
            if b[i] == 0x0A {
                body(start..<i)
                i += 1
                if mode == .lineFeedRuns { while i < n && b[i] == 0x0A { i += 1 } }
                start = i
            } else {
                i += 1
            }
        }
        body(start..<n)
    case .universal:
        var start = 0
        var i = 0
        while i < n {
            let c = b[i]
            var breakLength = 0
            switch c {
            case 0x0A, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E: breakLength = 1
            case 0x0D: breakLength = (i + 1 < n && b[i + 1] == 0x0A) ? 2 : 1
            case 0xC2 where i + 1 < n && b[i + 1] == 0x85: breakLength = 2
            case 0xE2 where i + 2 < n && b[i + 1] == 0x80 && (b[i + 2] == 0xA8 || b[i + 2] == 0xA9): breakLength = 3
            default: break
            }
            if breakLength > 0 {
                body(start..<i)
                i += breakLength
                start = i
            } else {
                i += 1
            }
        }
        if start < n { body(start..<n) }
    }
}

/// Whether `b[range]` starts with the bytes of `prefix`.
@inline(__always)
public func hasPrefix(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ prefix: StaticString) -> Bool {
    let m = prefix.utf8CodeUnitCount
    guard range.count >= m else { return false }
    let p = prefix.utf8Start
    for k in 0..<m where b[range.lowerBound + k] != p[k] { return false }
    return true
}

/// Whether `b[range]` ends with the bytes of `suffix`.
@inline(__always)
public func hasSuffix(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ suffix: StaticString) -> Bool {
    let m = suffix.utf8CodeUnitCount
    guard range.count >= m else { return false }
    let p = suffix.utf8Start
    let s = range.upperBound - m
    for k in 0..<m where b[s + k] != p[k] { return false }
    return true
}

/// Occurrences of `needle` in `b[range]`, not overlapping (Python `str.count`).
public func countOccurrences(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ needle: StaticString) -> Int {
    let m = needle.utf8CodeUnitCount
    let p = needle.utf8Start
    guard m > 0 else { return 0 }
    var count = 0
    var i = range.lowerBound
    let end = range.upperBound - m
    while i <= end {
        if b[i] == p[0] {
            var k = 1
            while k < m && b[i + k] == p[k] { k += 1 }
            if k == m {
                count += 1
                i += m
                continue
            }
        }
        i += 1
    }
    return count
}

/// Whether `b[range]` contains `needle` compared ASCII-case-insensitively (`needle` lowercase).
public func containsASCIICaseInsensitive(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ needle: StaticString)
    -> Bool
{
    let m = needle.utf8CodeUnitCount
    let p = needle.utf8Start
    guard m > 0, range.count >= m else { return m == 0 }
    var i = range.lowerBound
    let end = range.upperBound - m
    // Wrapping arithmetic: i + k < range.upperBound and c + 32 <= 122, so none overflows (the
    // overflow checks cost 17 % of this loop under -O).
    while i <= end {
        var k = 0
        while k < m {
            var c = b[i &+ k]
            if c >= 65 && c <= 90 { c &+= 32 }
            if c != p[k] { break }
            k &+= 1
        }
        if k == m { return true }
        i &+= 1
    }
    return false
}

/// xxHash64 of the bytes `b[range]`.
@inline(__always)
public func xxHash64(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
    xxHash64(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: b[range])))
}

// MARK: - Trimming

/// Space, tab, line feed or carriage return: what the trimming helpers strip.
@inlinable @inline(__always)
public func isASCIIBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

/// The range of `b` without leading and trailing spaces, tabs, line feeds and carriage returns.
@inlinable
public func trimmedRange(_ b: UnsafeBufferPointer<UInt8>) -> Range<Int> {
    var s = 0
    var e = b.count
    while s < e && isASCIIBlank(b[s]) { s += 1 }
    while e > s && isASCIIBlank(b[e - 1]) { e -= 1 }
    return s..<e
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs, line feeds and carriage returns (other
    /// Unicode spaces stay).
    public func trimmingASCIIWhitespace() -> String {
        var u = Substring(self)
        while let f = u.utf8.first, isASCIIBlank(f) { u = u.dropFirst() }
        while let l = u.utf8.last, isASCIIBlank(l) { u = u.dropLast() }
        return String(u)
    }
}
