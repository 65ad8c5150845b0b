// MinHash signatures with universal hashing modulo the Mersenne prime 2^61 − 1 (Broder 1997;
// the permutation family datatrove and text-dedup use), and LSH band hashes. It does not pick
// parameters; MinHashSettings does.
import Foundation
import SluiceCore

/// Computes `bands × rows` minimum hashes of a shingle set, and one 64-bit key per band.
public struct MinHasher: Sendable {
    /// 2^61 − 1.
    public static let prime: UInt64 = (1 << 61) - 1
    public let bands: Int
    public let rows: Int
    /// Permutation i maps x to (a[i]·x + b[i]) mod p.
    public let a: [UInt64]
    public let b: [UInt64]

    public var permutations: Int { bands * rows }

    /// Draws the permutations from `seed` (SplitMix64): a ∈ [1, p), b ∈ [0, p).
    public init(bands: Int, rows: Int, seed: UInt64) {
        precondition(bands > 0 && rows > 0, "bands and rows must be positive")
        self.bands = bands
        self.rows = rows
        // The stream of mix64(seed + k·increment), k = 1, 2, …: SplitMix64 seeded one step on.
        var rng = SplitMix64(seed: seed &+ SplitMix64.increment)
        var a: [UInt64] = []
        var b: [UInt64] = []
        for _ in 0..<(bands * rows) {
            a.append(rng.next() % (Self.prime - 1) + 1)
            b.append(rng.next() % Self.prime)
        }
        self.a = a
        self.b = b
    }

    /// (a·x + b) mod p for x < p, a < p, b < p.
    @inline(__always)
    public static func permute(_ x: UInt64, _ a: UInt64, _ b: UInt64) -> UInt64 {
        let (hi, lo) = a.multipliedFullWidth(by: x)  // < 2^122: hi < 2^58
        var r = (lo & prime) &+ ((lo >> 61) | (hi << 3))  // ≡ a·x, < 2^62
        r = r &+ b  // < 2^62 + 2^61
        r = (r & prime) &+ (r >> 61)  // < 2^61 + 4
        return r >= prime ? r &- prime : r
    }

    /// Writes the signature of `shingles` into `signature` (`permutations` values). An empty set
    /// gives all p (never equal to a real minimum, so empty documents never collide by accident).
    /// `scratch` holds the shingles reduced mod p (reused across documents).
    /// - Complexity: O(shingles × permutations).
    public func signature(
        of shingles: UnsafeBufferPointer<UInt64>, into signature: UnsafeMutableBufferPointer<UInt64>,
        scratch: inout [UInt64]
    ) {
        let m = permutations
        precondition(signature.count >= m, "signature buffer too small")
        scratch.removeAll(keepingCapacity: true)
        for s in shingles {
            var x = (s & Self.prime) &+ (s >> 61)
            if x >= Self.prime { x &-= Self.prime }
            scratch.append(x)
        }
        let sig = signature.baseAddress!
        scratch.withUnsafeBufferPointer { xs in
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    // Permutations outside, shingles inside: a, b and the running minima stay in
                    // registers; four independent chains keep the multiplier busy.
                    var i = 0
                    while i + 4 <= m {
                        let (a0, a1, a2, a3) = (ap[i], ap[i + 1], ap[i + 2], ap[i + 3])
                        let (b0, b1, b2, b3) = (bp[i], bp[i + 1], bp[i + 2], bp[i + 3])
                        var (m0, m1, m2, m3) = (Self.prime, Self.prime, Self.prime, Self.prime)
                        // A minimum changes about ln(n) times in n shingles: branches predict
                        // well and keep LLVM from vectorizing the compares (SSE2 has no 64-bit
                        // compare; emulating it cost 10 %).
                        for x in xs {
                            let v0 = Self.permute(x, a0, b0)
                            let v1 = Self.permute(x, a1, b1)
                            let v2 = Self.permute(x, a2, b2)
                            let v3 = Self.permute(x, a3, b3)
                            if _slowPath(v0 < m0) { m0 = v0 }
                            if _slowPath(v1 < m1) { m1 = v1 }
                            if _slowPath(v2 < m2) { m2 = v2 }
                            if _slowPath(v3 < m3) { m3 = v3 }
                        }
                        sig[i] = m0
                        sig[i + 1] = m1
                        sig[i + 2] = m2
                        sig[i + 3] = m3
                        i += 4
                    }
                    while i < m {
                        var m0 = Self.prime
                        for x in xs { m0 = Swift.min(m0, Self.permute(x, ap[i], bp[i])) }
                        sig[i] = m0
                        i += 1
                    }
                }
            }
        }
    }

    /// The signature of `shingles` (allocates scratch; tests and cold paths).
    public func signature(of shingles: UnsafeBufferPointer<UInt64>, into signature: UnsafeMutableBufferPointer<UInt64>)
    {
        var scratch: [UInt64] = []
        self.signature(of: shingles, into: signature, scratch: &scratch)
    }

    /// One 64-bit key per band: xxHash64 of the band's `rows` values, seeded by the band index,
    /// so equal keys mean equal bands (up to a 2^-64 collision).
    public func bandKeys(of signature: UnsafeBufferPointer<UInt64>, into keys: UnsafeMutableBufferPointer<UInt64>) {
        precondition(signature.count >= permutations && keys.count >= bands, "buffers too small")
        let raw = UnsafeRawBufferPointer(signature)
        for band in 0..<bands {
            keys[band] = xxHash64(
                UnsafeRawBufferPointer(rebasing: raw[(band * rows * 8)..<((band + 1) * rows * 8)]), seed: UInt64(band))
        }
    }

    /// The probability that a pair with Jaccard similarity `s` shares at least one band:
    /// 1 − (1 − s^r)^b.
    public static func candidateProbability(_ s: Double, bands: Int, rows: Int) -> Double {
        1 - pow(1 - pow(s, Double(rows)), Double(bands))
    }

    /// The S-curve's midpoint (1/b)^(1/r).
    public static func threshold(bands: Int, rows: Int) -> Double {
        pow(1 / Double(bands), 1 / Double(rows))
    }
}
