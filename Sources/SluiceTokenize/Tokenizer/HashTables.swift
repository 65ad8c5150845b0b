// Open-addressing hash tables for the encoder's hot lookups: token pair → (rank, merged id) and
// token bytes → id. Built once per tokenizer, read-only after, so shareable across threads.

/// A 64-bit mix (the murmur3 finalizer): spreads pair keys over the table.
@inline(__always)
func mixBits(_ x: UInt64) -> UInt64 {
    var z = x
    z ^= z >> 33
    z &*= 0xff51_afd7_ed55_8ccd
    z ^= z >> 33
    z &*= 0xc4ce_b9fe_1a85_ec53
    z ^= z >> 33
    return z
}

/// FNV-1a over bytes, then mixed: the hash of token and word byte strings.
@inline(__always)
func fnv1aHash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    var i = 0
    // Eight bytes at a time, then the tail.
    while i + 8 <= n {
        let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
        h = (h ^ w) &* 0x0000_0100_0000_01b3
        h ^= h >> 29
        i += 8
    }
    while i < n {
        h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01b3
        i += 1
    }
    return mixBits(h ^ UInt64(n))
}

/// Byte-at-a-time FNV-1a, finished with a mix: the hash of training strings, which can be
/// extended one character at a time (all prefixes of a string in O(n) instead of O(n²)).
struct IncrementalHash {
    var state: UInt64 = 0xcbf2_9ce4_8422_2325

    @inline(__always) mutating func add(_ b: UInt8) { state = (state ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }

    @inline(__always) mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int) { for i in 0..<n { add(p[i]) } }

    /// The hash of the bytes added so far (`length` of them).
    @inline(__always) func value(length: Int) -> UInt64 { mixBits(state ^ UInt64(length)) }
}

/// `IncrementalHash` of `p[0..<n]` in one call.
@inline(__always)
func stringHash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    var h = IncrementalHash()
    h.add(p, n)
    return h.value(length: n)
}

/// UInt64 → UInt64 map with linear probing; key `UInt64.max` is reserved as empty.
struct PairTable: Sendable {
    private(set) var keys: [UInt64]
    private(set) var values: [UInt64]
    private let mask: Int
    private(set) var count = 0

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: .max, count: size)
        values = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    mutating func insert(_ key: UInt64, _ value: UInt64) {
        precondition(key != .max && count * 2 < keys.count)
        var i = Int(truncatingIfNeeded: mixBits(key)) & mask
        while keys[i] != .max && keys[i] != key { i = (i + 1) & mask }
        if keys[i] == .max { count += 1 }
        keys[i] = key
        values[i] = value
    }

    @inline(__always)
    func get(_ key: UInt64) -> UInt64? {
        keys.withUnsafeBufferPointer { k in
            var i = Int(truncatingIfNeeded: mixBits(key)) & mask
            while true {
                let x = k[i]
                if x == key { return values.withUnsafeBufferPointer { $0[i] } }
                if x == .max { return nil }
                i = (i + 1) & mask
            }
        }
    }
}

/// Byte string → id over a flat byte store (`bytes[offsets[id]..<offsets[id + 1]]`).
struct BytesTable: Sendable {
    private var slots: [Int32]  // id, or −1 for empty
    private var hashes: [UInt64]
    private let mask: Int

    /// Indexes ids `0..<offsets.count − 1`; when two ids have the same bytes the first wins.
    init(bytes: [UInt8], offsets: [Int]) {
        let n = offsets.count - 1
        var size = 16
        while size < n * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        hashes = [UInt64](repeating: 0, count: size)
        mask = size - 1
        bytes.withUnsafeBufferPointer { b in
            for id in 0..<n {
                let p = b.baseAddress! + offsets[id]
                let len = offsets[id + 1] - offsets[id]
                let h = fnv1aHash(p, len)
                var i = Int(truncatingIfNeeded: h) & mask
                var duplicate = false
                while slots[i] >= 0 {
                    let o = Int(slots[i])
                    if hashes[i] == h, offsets[o + 1] - offsets[o] == len,
                        memcmp(b.baseAddress! + offsets[o], p, len) == 0
                    {
                        duplicate = true
                        break
                    }
                    i = (i + 1) & mask
                }
                if !duplicate {
                    slots[i] = Int32(id)
                    hashes[i] = h
                }
            }
        }
    }

    /// The id whose bytes equal `p[0..<n]`.
    @inline(__always)
    func get(_ p: UnsafePointer<UInt8>, _ n: Int, bytes: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int>)
        -> UInt32?
    {
        let h = fnv1aHash(p, n)
        return slots.withUnsafeBufferPointer { s in
            hashes.withUnsafeBufferPointer { hs in
                var i = Int(truncatingIfNeeded: h) & mask
                while true {
                    let id = s[i]
                    if id < 0 { return nil }
                    if hs[i] == h {
                        let o = offsets[Int(id)]
                        if offsets[Int(id) + 1] - o == n, memcmp(bytes.baseAddress! + o, p, n) == 0 {
                            return UInt32(id)
                        }
                    }
                    i = (i + 1) & mask
                }
            }
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
