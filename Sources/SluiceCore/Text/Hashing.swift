// Fast non-cryptographic hashes over bytes: xxHash64 (the hash datatrove uses for MinHash and
// dedup) and a 64-bit mix for seeding. Not for security.

/// xxHash64 of `bytes` with `seed` (Collet's XXH64; test vectors in HashingTests).
@inlinable
public func xxHash64(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
    let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    let p5: UInt64 = 0x27D4_EB2F_1656_67C5
    @inline(__always) func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
    @inline(__always) func round(_ acc: UInt64, _ input: UInt64) -> UInt64 { rotl(acc &+ input &* p2, 31) &* p1 }

    let n = bytes.count
    guard let base = bytes.baseAddress else { return xxHash64Avalanche(seed &+ p5) }
    var i = 0
    var h: UInt64
    if n >= 32 {
        var v1 = seed &+ p1 &+ p2
        var v2 = seed &+ p2
        var v3 = seed
        var v4 = seed &- p1
        // i <= n, a buffer's size: the offsets wrap (`&+`) without overflow checks per stripe (-O).
        while i &+ 32 <= n {
            v1 = round(v1, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            v2 = round(v2, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self)))
            v3 = round(v3, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i &+ 16, as: UInt64.self)))
            v4 = round(v4, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i &+ 24, as: UInt64.self)))
            i &+= 32
        }
        h = xxHash64Converge(v1, v2, v3, v4)
    } else {
        h = seed &+ p5
    }
    return xxHash64Finish(h &+ UInt64(n), base + i, count: n - i)
}

/// XXH64's merge of the four lanes after the last full stripe, shared by the one-shot and the
/// streaming hash (the total length and the tail are folded in after it).
@inlinable @inline(__always)
func xxHash64Converge(_ v1: UInt64, _ v2: UInt64, _ v3: UInt64, _ v4: UInt64) -> UInt64 {
    let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    @inline(__always) func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
    // XXH64_mergeRound: the lane goes through one round from zero, then into the accumulator.
    @inline(__always) func merge(_ acc: UInt64, _ v: UInt64) -> UInt64 { (acc ^ (rotl(v &* p2, 31) &* p1)) &* p1 &+ p4 }
    var h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
    h = merge(h, v1)
    h = merge(h, v2)
    h = merge(h, v3)
    h = merge(h, v4)
    return h
}

/// XXH64's last step, shared by the one-shot and the streaming hash: folds the final fewer than
/// 32 bytes at `tail` into `h` (which already holds the total length) and avalanches.
@inlinable
func xxHash64Finish(_ hash: UInt64, _ tail: UnsafeRawPointer, count n: Int) -> UInt64 {
    let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    let p3: UInt64 = 0x1656_67B1_9E37_79F9
    let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    let p5: UInt64 = 0x27D4_EB2F_1656_67C5
    @inline(__always) func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
    var h = hash
    var i = 0
    // i <= n < 32: the offsets wrap (`&+`) without overflow checks (-O).
    while i &+ 8 <= n {
        let k = UInt64(littleEndian: tail.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        h ^= rotl(k &* p2, 31) &* p1
        h = rotl(h, 27) &* p1 &+ p4
        i &+= 8
    }
    if i &+ 4 <= n {
        h ^= UInt64(UInt32(littleEndian: tail.loadUnaligned(fromByteOffset: i, as: UInt32.self))) &* p1
        h = rotl(h, 23) &* p2 &+ p3
        i &+= 4
    }
    while i < n {
        h ^= UInt64(tail.load(fromByteOffset: i, as: UInt8.self)) &* p5
        h = rotl(h, 11) &* p1
        i &+= 1
    }
    return xxHash64Avalanche(h)
}

@inlinable
func xxHash64Avalanche(_ x: UInt64) -> UInt64 {
    var h = x
    h ^= h >> 33
    h = h &* 0xC2B2_AE3D_27D4_EB4F
    h ^= h >> 29
    h = h &* 0x1656_67B1_9E37_79F9
    h ^= h >> 32
    return h
}

/// xxHash64 of a string's UTF-8 bytes.
public func xxHash64(_ text: String, seed: UInt64 = 0) -> UInt64 {
    var text = text
    return text.withUTF8 { xxHash64(UnsafeRawBufferPointer($0), seed: seed) }
}

/// One SplitMix64 step from `x`: a cheap, well-mixed 64-bit → 64-bit map for deriving seeds
/// (`SplitMix64(seed: x).next()`).
@inlinable
public func mix64(_ x: UInt64) -> UInt64 { SplitMix64.finalize(x &+ SplitMix64.increment) }

/// xxHash64 computed over bytes that arrive in pieces (file checksums while writing): the same
/// value as `xxHash64(_:seed:)` of the concatenation, for any split.
public struct XXHash64Stream: Sendable {
    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private var v1: UInt64, v2: UInt64, v3: UInt64, v4: UInt64
    private let seed: UInt64
    /// Up to 31 bytes not yet folded into a 32-byte stripe.
    private var tail = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
    private var tailCount = 0
    /// Bytes seen so far.
    public private(set) var count = 0

    public init(seed: UInt64 = 0) {
        self.seed = seed
        v1 = seed &+ Self.p1 &+ Self.p2
        v2 = seed &+ Self.p2
        v3 = seed
        v4 = seed &- Self.p1
    }

    @inline(__always) private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        let x = acc &+ input &* p2
        return ((x << 31) | (x >> 33)) &* p1
    }

    /// Folds `bytes` in.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress, bytes.count > 0 else { return }
        var n = bytes.count
        count += n
        if tailCount > 0 {
            let take = min(32 - tailCount, n)
            let used = tailCount
            withUnsafeMutableBytes(of: &tail) {
                $0.baseAddress!.advanced(by: used).copyMemory(from: p, byteCount: take)
            }
            tailCount += take
            p += take
            n -= take
            guard tailCount == 32 else { return }
            var full = tail
            withUnsafeBytes(of: &full) { stripe($0.baseAddress!) }
            tailCount = 0
        }
        while n >= 32 {
            stripe(p)
            p += 32
            n -= 32
        }
        if n > 0 {
            withUnsafeMutableBytes(of: &tail) { $0.baseAddress!.copyMemory(from: p, byteCount: n) }
            tailCount = n
        }
    }

    @inline(__always) private mutating func stripe(_ p: UnsafeRawPointer) {
        v1 = Self.round(v1, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt64.self)))
        v2 = Self.round(v2, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        v3 = Self.round(v3, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
        v4 = Self.round(v4, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
    }

    /// The hash of every byte given so far.
    public func digest() -> UInt64 {
        let p5: UInt64 = 0x27D4_EB2F_1656_67C5
        var h: UInt64
        if count >= 32 {
            h = xxHash64Converge(v1, v2, v3, v4)
        } else {
            h = seed &+ p5
        }
        var t = tail
        let total = h &+ UInt64(count)
        return withUnsafeBytes(of: &t) { xxHash64Finish(total, $0.baseAddress!, count: tailCount) }
    }
}
