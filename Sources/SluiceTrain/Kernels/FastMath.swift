// Vectorised exp and tanh for the softmax, cross-entropy and GELU loops (8 floats per AVX2
// register). Accuracy is a few ulp, like Cephes `expf`; no denormals, no NaN handling beyond clamping.
import Foundation

typealias Float8 = SIMD8<Float>

extension UnsafeMutablePointer where Pointee == Float {
    @inline(__always) func load8(_ i: Int) -> Float8 { UnsafeRawPointer(self + i).loadUnaligned(as: Float8.self) }
    @inline(__always) func store8(_ i: Int, _ v: Float8) {
        UnsafeMutableRawPointer(self + i).storeBytes(of: v, as: Float8.self)
    }
}

extension UnsafePointer where Pointee == Float {
    @inline(__always) func load8(_ i: Int) -> Float8 { UnsafeRawPointer(self + i).loadUnaligned(as: Float8.self) }
}

/// e^x for 8 lanes: range reduction x = n·ln2 + r, a degree-6 polynomial for e^r (Cephes
/// `expf` coefficients), and 2^n built in the exponent bits. Inputs are clamped to [-87, 88].
@inline(__always)
func exp8(_ input: Float8) -> Float8 {
    // Clamp with blends: the generic pointwiseMin/Max are not inlined and showed in profiles.
    var x = input.replacing(with: -87.0, where: input .< -87.0)
    x = x.replacing(with: 88.0, where: x .> 88.0)
    // Round x·log2(e) to the nearest integer with the 1.5·2^23 trick: the integer lands in the low mantissa bits.
    let magic = Float8(repeating: 12_582_912.0)
    let t = x * 1.442_695_040_888_963_4 + magic
    let n = t - magic
    x = x - n * 0.693_359_375
    x = x - n * -2.121_944_4e-4
    var p = Float8(repeating: 1.987_569_15e-4)
    p = p * x + 1.398_199_950_7e-3
    p = p * x + 8.333_451_907_3e-3
    p = p * x + 4.166_579_589_4e-2
    p = p * x + 1.666_666_545_9e-1
    p = p * x + 5.000_000_120_1e-1
    p = p * (x * x) + x + 1
    let tBits = unsafeBitCast(t, to: SIMD8<Int32>.self)
    let scaleBits = (tBits &- 0x4B40_0000 &+ 127) &<< 23
    return p * unsafeBitCast(scaleBits, to: Float8.self)
}

/// e^x for one float, the same approximation as `exp8` (so a row's tail matches its body).
@inline(__always)
func exp1(_ x: Float) -> Float { exp8(Float8(repeating: x))[0] }

/// tanh(u) = 1 − 2 / (e^{2u} + 1), through `exp8`; saturates to ±1.
@inline(__always)
func tanh8(_ u: Float8) -> Float8 {
    1 - 2 / (exp8(u + u) + 1)
}

@inline(__always)
func tanh1(_ u: Float) -> Float { tanh8(Float8(repeating: u))[0] }
