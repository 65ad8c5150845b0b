// A small read-only table from short byte strings (tag names, namespace names) to values, looked
// up straight from a slice of a byte buffer without building a String or an Array per lookup.
// Not a general dictionary: built once, never mutated, and sized for a few hundred keys.

/// Maps byte strings to values; lookups hash the slice in place and then compare the bytes.
struct ByteKeyTable<Value: Sendable>: Sendable {
    private var entries: [UInt64: [(key: [UInt8], value: Value)]] = [:]
    /// Whether lookups fold ASCII letters to lower case (keys are stored folded).
    let foldsASCIICase: Bool

    init(_ pairs: [(String, Value)], foldsASCIICase: Bool) {
        self.foldsASCIICase = foldsASCIICase
        for (k, v) in pairs {
            var bytes = Array(k.utf8)
            if foldsASCIICase { bytes = bytes.map { Self.fold($0) } }
            let h = bytes.withUnsafeBufferPointer { Self.hash($0, 0, $0.count, fold: false) }
            entries[h, default: []].append((bytes, v))
        }
    }

    @inline(__always)
    static func fold(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }

    @inline(__always)
    static func hash(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, fold: Bool) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        if fold {
            for i in from..<to { h = (h ^ UInt64(Self.fold(s[i]))) &* 0x100_0000_01b3 }
        } else {
            for i in from..<to { h = (h ^ UInt64(s[i])) &* 0x100_0000_01b3 }
        }
        return h
    }

    /// The value for `s[from..<to]`, or nil.
    func lookup(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Value? {
        guard to > from, let bucket = entries[Self.hash(s, from, to, fold: foldsASCIICase)] else { return nil }
        outer: for (key, value) in bucket where key.count == to - from {
            for k in 0..<key.count {
                let c = foldsASCIICase ? Self.fold(s[from + k]) : s[from + k]
                if c != key[k] { continue outer }
            }
            return value
        }
        return nil
    }

    /// The value for a String key.
    func lookup(_ key: String) -> Value? {
        var k = Array(key.utf8)
        return k.withUnsafeMutableBufferPointer { lookup(UnsafeBufferPointer($0), 0, $0.count) }
    }
}
