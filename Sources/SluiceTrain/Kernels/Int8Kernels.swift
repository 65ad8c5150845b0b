// The linear layer of decoding: n input rows times an F32 or INT8 matrix (`decodeLinear`). One row
// (single-stream decoding) is bound by memory bandwidth, so INT8 reads a quarter of the bytes: each
// output channel is a dot product of int8 weights, widened to f32 eight at a time, with the f32
// input, and one multiply by the channel's scale. Many rows (a prompt, an evaluation chunk) are
// bound by arithmetic instead, so INT8 weights are widened a panel of channels at a time into f32
// and multiplied with cblas_sgemm. F32 weights go straight to cblas_sgemm, as training does.
// Channels are split across threads, never a dot product, so results do not depend on the thread count.
import CInt8Kernels
import COpenBLAS
import Foundation

/// `out[r, o] = Σ_i x[r, i] · W[i, o] + bias[o]` for r < `rows` (`out[r, o] +=` that when
/// `accumulate`, which adds a residual in place): the one matrix multiply decoding uses.
///
/// F32 weights give exactly what `GPT.forward`'s linear layers give (the same cblas_sgemm call).
/// INT8 weights give Σ_i x[r, i] · q[o, i] · scales[o], summed in f32 (within float rounding of the
/// dequantized matrix times x).
/// - Parameters:
///   - x: (rows, weights.inC) row-major input.
///   - rows: input rows (1 for single-stream decoding, a batch or a prompt otherwise).
///   - weights: the matrix.
///   - bias: (weights.outC) or nil.
///   - out: (rows, weights.outC) row-major; must not overlap `x`.
///   - accumulate: add to `out` instead of overwriting it.
///   - threads: threads splitting the output channels (OpenBLAS keeps its own setting).
/// - Complexity: rows · inC · outC multiply-adds; reads the weights once per call.
public func decodeLinear(
    _ x: UnsafePointer<Float>, rows: Int, _ weights: DecodeWeights, bias: UnsafePointer<Float>? = nil,
    out: UnsafeMutablePointer<Float>, accumulate: Bool = false, threads: Int = 1
) {
    guard rows > 0 else { return }
    switch weights {
    case .f32(let m):
        m.storage.withUnsafeBufferPointer { S in
            let w = S.baseAddress! + m.offset
            if !m.outMajor {
                Kernels.matmulForward(
                    out: out, inp: x, weight: w, bias: bias, rows: rows, inC: m.inC, outC: m.outC,
                    accumulate: accumulate,
                    threads: threads)
                return
            }
            if let bias { Int8Kernels.addBias(out: out, bias: bias, rows: rows, outC: m.outC, accumulate: accumulate) }
            let beta: Float = (bias != nil || accumulate) ? 1 : 0
            Kernels.sgemm(
                transA: false, transB: true, m: rows, n: m.outC, k: m.inC, x, lda: m.inC, w, ldb: m.inC, beta: beta,
                out,
                ldc: m.outC)
        }
    case .int8(let m):
        if rows >= Int8Kernels.panelRows {
            Int8Kernels.panelGEMM(x, rows: rows, m, bias: bias, out: out, accumulate: accumulate)
        } else {
            Int8Kernels.matvec(x, rows: rows, m, bias: bias, out: out, accumulate: accumulate, threads: threads)
        }
    }
}

/// INT8 kernels behind `decodeLinear`, and their naive oracle.
enum Int8Kernels {
    /// From this many rows on, INT8 weights are widened to f32 panels for cblas_sgemm: below it the
    /// dot-product kernel, which widens every weight once per row, reads less and wins.
    static let panelRows = 8

    /// `out[r, :] = bias` or `out[r, :] += bias`.
    static func addBias(
        out: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, outC: Int, accumulate: Bool
    ) {
        for r in 0..<rows {
            let o = out + r * outC
            if accumulate {
                for j in 0..<outC { o[j] += bias[j] }
            } else {
                o.update(from: bias, count: outC)
            }
        }
    }

    /// Eight int8 weights widened to f32 (sign-extended, then converted exactly).
    @inline(__always)
    static func widen8(_ p: UnsafePointer<Int8>) -> SIMD8<Float> {
        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Int8>.self)
        return SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: v))
    }

    /// Σ_i x[i]·q[i] over n values: four independent 8-lane f32 accumulators over 32 values a
    /// step (so the adds pipeline), then the tail one at a time. The summation order is fixed by n.
    @inline(__always)
    static func dot(_ q: UnsafePointer<Int8>, _ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var i = 0
        while i + 32 <= n {
            a0 += widen8(q + i) * x.load8(i)
            a1 += widen8(q + i + 8) * x.load8(i + 8)
            a2 += widen8(q + i + 16) * x.load8(i + 16)
            a3 += widen8(q + i + 24) * x.load8(i + 24)
            i += 32
        }
        while i + 8 <= n {
            a0 += widen8(q + i) * x.load8(i)
            i += 8
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        while i < n {
            s += Float(q[i]) * x[i]
            i += 1
        }
        return s
    }

    /// Four dot products of one weight row with four input rows (`x`, stride `ld`): each group of
    /// eight weights is widened once for all four.
    @inline(__always)
    static func dot4(_ q: UnsafePointer<Int8>, _ x: UnsafePointer<Float>, ld: Int, _ n: Int) -> SIMD4<Float> {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        let x1 = x + ld, x2 = x + 2 * ld, x3 = x + 3 * ld
        var i = 0
        while i + 8 <= n {
            let w = widen8(q + i)
            a0 += w * x.load8(i)
            a1 += w * x1.load8(i)
            a2 += w * x2.load8(i)
            a3 += w * x3.load8(i)
            i += 8
        }
        var s = SIMD4<Float>(a0.sum(), a1.sum(), a2.sum(), a3.sum())
        while i < n {
            let w = Float(q[i])
            s += SIMD4(w * x[i], w * x1[i], w * x2[i], w * x3[i])
            i += 1
        }
        return s
    }

    /// Whether the AVX2 + FMA dot products (CInt8Kernels) run: decided once, from the CPU.
    /// `SLUICE_INT8_AVX2=0` keeps the portable SIMD8 kernels (for comparing the two).
    static let avx2: Bool =
        sluice_int8_avx2_available() != 0 && ProcessInfo.processInfo.environment["SLUICE_INT8_AVX2"] != "0"

    /// `dot` on this CPU's fastest kernel.
    @inline(__always)
    static func fastDot(_ q: UnsafePointer<Int8>, _ x: UnsafePointer<Float>, _ n: Int) -> Float {
        avx2 ? sluice_int8_dot_avx2(q, x, n) : dot(q, x, n)
    }

    /// `dot4` on this CPU's fastest kernel.
    @inline(__always)
    static func fastDot4(_ q: UnsafePointer<Int8>, _ x: UnsafePointer<Float>, ld: Int, _ n: Int) -> SIMD4<Float> {
        guard avx2 else { return dot4(q, x, ld: ld, n) }
        var r = SIMD4<Float>()
        withUnsafeMutableBytes(of: &r) {
            sluice_int8_dot4_avx2(q, x, ld, n, $0.baseAddress!.assumingMemoryBound(to: Float.self))
        }
        return r
    }

    /// The dot-product kernel for a few rows; channels split across `threads`.
    static func matvec(
        _ x: UnsafePointer<Float>, rows: Int, _ m: Int8Matrix, bias: UnsafePointer<Float>?,
        out: UnsafeMutablePointer<Float>,
        accumulate: Bool, threads: Int
    ) {
        let inC = m.inC, outC = m.outC
        m.q.withUnsafeBufferPointer { Q in
            m.scales.withUnsafeBufferPointer { S in
                let q = Q.baseAddress!, s = S.baseAddress!
                // Each thread writes only its own channels' columns of `out`.
                parallelRanges(outC, threads: threads, grain: 256) { channels in
                    // Channel by channel, so its weights stay in L1 while every row passes over them.
                    for o in channels {
                        let w = q + o * inC, b = bias?[o] ?? 0
                        var r = 0
                        while r + 4 <= rows {
                            let d = fastDot4(w, x + r * inC, ld: inC, inC) * s[o]
                            for k in 0..<4 {
                                let y = out + (r + k) * outC + o
                                y.pointee = (accumulate ? y.pointee : 0) + (d[k] + b)
                            }
                            r += 4
                        }
                        while r < rows {
                            let d = fastDot(w, x + r * inC, inC) * s[o] + b
                            let y = out + r * outC + o
                            y.pointee = accumulate ? y.pointee + d : d
                            r += 1
                        }
                    }
                }
            }
        }
    }

    /// Many rows: widen a panel of channels to f32 (scales applied), then cblas_sgemm per panel,
    /// so the widening is paid once per call rather than once per row.
    static func panelGEMM(
        _ x: UnsafePointer<Float>, rows: Int, _ m: Int8Matrix, bias: UnsafePointer<Float>?,
        out: UnsafeMutablePointer<Float>,
        accumulate: Bool
    ) {
        let inC = m.inC, outC = m.outC
        if let bias { addBias(out: out, bias: bias, rows: rows, outC: outC, accumulate: accumulate) }
        let beta: Float = (bias != nil || accumulate) ? 1 : 0
        // A panel of up to 1 MB of f32: P channels × inC.
        let P = min(outC, max(16, (1 << 18) / inC))
        var tile = [Float](repeating: 0, count: P * inC)
        tile.withUnsafeMutableBufferPointer { T in
            let t = T.baseAddress!
            m.q.withUnsafeBufferPointer { Q in
                var o0 = 0
                while o0 < outC {
                    let p = min(P, outC - o0)
                    for j in 0..<p {
                        let s = m.scales[o0 + j], src = Q.baseAddress! + (o0 + j) * inC, dst = t + j * inC
                        var i = 0
                        while i + 8 <= inC {
                            dst.store8(i, widen8(src + i) * s)
                            i += 8
                        }
                        while i < inC {
                            dst[i] = Float(src[i]) * s
                            i += 1
                        }
                    }
                    // out[:, o0..<o0+p] (+)= x · panelᵀ
                    Kernels.sgemm(
                        transA: false, transB: true, m: rows, n: p, k: inC, x, lda: inC, t, ldb: inC, beta: beta,
                        out + o0,
                        ldc: outC)
                    o0 += p
                }
            }
        }
    }

    /// The oracle: Σ in Double of x · (scale·q), one weight at a time.
    static func naiveLinear(
        _ x: [Float], rows: Int, _ m: Int8Matrix, bias: [Float]?, out: inout [Float], accumulate: Bool
    ) {
        for r in 0..<rows {
            for o in 0..<m.outC {
                var s = 0.0
                for i in 0..<m.inC { s += Double(x[r * m.inC + i]) * Double(m.scales[o]) * Double(m.q[o * m.inC + i]) }
                s += Double(bias?[o] ?? 0)
                out[r * m.outC + o] = accumulate ? out[r * m.outC + o] + Float(s) : Float(s)
            }
        }
    }
}
