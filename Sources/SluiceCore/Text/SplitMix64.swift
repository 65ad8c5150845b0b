// SplitMix64 (Steele, Lea & Flood 2014): the one small seeded generator and 64-bit mixer every
// library uses (model initialisation, sampling, batches, dropout masks, shuffling, MinHash
// permutations). Not cryptographic.
import Foundation

/// A seeded generator: the state advances by the golden-ratio increment and each output is the
/// state through `finalize`.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The golden-ratio increment, 2⁶⁴/φ.
    public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The generator state (the seed at first).
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.finalize(state)
    }

    /// Uniform in [0, 1) with 53 bits.
    @inlinable
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller).
    public mutating func nextGaussian() -> Double {
        let u1 = max(nextUnit(), 1e-300), u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// SplitMix64's output function: a cheap, well-mixed 64-bit → 64-bit bijection.
    @inlinable @inline(__always)
    public static func finalize(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
