// Making Strings from bytes that should be UTF-8: valid input is copied once; invalid sequences
// become U+FFFD (one per maximal ill-formed subpart, Unicode §3.9 "best practice", as Swift's own
// repair does) and are counted, so that readers can report them. No other normalization here.

/// Strings from raw bytes with counted repair of invalid UTF-8.
public enum UTF8Text {
    /// A String of `bytes`; invalid UTF-8 is replaced by U+FFFD and `invalid` is incremented once.
    /// - Complexity: O(n), one validation pass and one copy.
    @inlinable
    public static func makeString(_ bytes: UnsafeRawBufferPointer, invalid: inout Int) -> String {
        let typed = bytes.bindMemory(to: UInt8.self)
        if let s = String(validating: typed, as: UTF8.self) { return s }
        invalid += 1
        return String(decoding: typed, as: UTF8.self)
    }

    /// A String of ASCII-only `bytes` (the caller has checked), without a validation pass.
    @inlinable
    public static func makeASCIIString(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { out in
            if let base = bytes.baseAddress, bytes.count > 0 {
                UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: base, byteCount: bytes.count)
            }
            return bytes.count
        }
    }

    /// Whether `bytes` is valid UTF-8 (Unicode §3.9, table 3-7: no overlongs, no surrogates,
    /// nothing above U+10FFFF). ASCII runs are checked sixteen bytes at a time.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let n = bytes.count
        var i = 0
        while i < n {
            while n - i >= 16 {
                let a = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                let b = UnsafeRawPointer(p + i + 8).loadUnaligned(as: UInt64.self)
                if (a | b) & 0x8080_8080_8080_8080 != 0 { break }
                i += 16
            }
            // Byte by byte until the next sixteen-byte boundary of ASCII, or the end.
            while i < n {
                let c = p[i]
                if c < 0x80 {
                    i += 1
                    if i & 15 == 0 { break }
                    continue
                }
                if c < 0xC2 { return false }
                if c < 0xE0 {
                    guard n - i >= 2, p[i + 1] & 0xC0 == 0x80 else { return false }
                    i += 2
                } else if c < 0xF0 {
                    guard n - i >= 3 else { return false }
                    let b1 = p[i + 1]
                    guard b1 & 0xC0 == 0x80, p[i + 2] & 0xC0 == 0x80 else { return false }
                    if c == 0xE0 && b1 < 0xA0 { return false }  // overlong
                    if c == 0xED && b1 > 0x9F { return false }  // surrogate
                    i += 3
                } else if c < 0xF5 {
                    guard n - i >= 4 else { return false }
                    let b1 = p[i + 1]
                    guard b1 & 0xC0 == 0x80, p[i + 2] & 0xC0 == 0x80, p[i + 3] & 0xC0 == 0x80 else { return false }
                    if c == 0xF0 && b1 < 0x90 { return false }  // overlong
                    if c == 0xF4 && b1 > 0x8F { return false }  // above U+10FFFF
                    i += 4
                } else {
                    return false
                }
            }
        }
        return true
    }

    /// Unicode scalars in valid UTF-8 `bytes`: the bytes that are not continuation bytes (10xxxxxx).
    @inlinable
    public static func scalarCount(_ bytes: UnsafeRawBufferPointer) -> Int {
        var continuation = 0
        for b in bytes where b & 0xC0 == 0x80 { continuation += 1 }
        return bytes.count - continuation
    }
}
