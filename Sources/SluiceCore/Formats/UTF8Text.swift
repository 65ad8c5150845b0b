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

    /// Whether `bytes` is valid UTF-8.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) != nil
    }

    /// Unicode scalars in valid UTF-8 `bytes`: the bytes that are not continuation bytes (10xxxxxx).
    @inlinable
    public static func scalarCount(_ bytes: UnsafeRawBufferPointer) -> Int {
        var continuation = 0
        for b in bytes where b & 0xC0 == 0x80 { continuation += 1 }
        return bytes.count - continuation
    }
}
