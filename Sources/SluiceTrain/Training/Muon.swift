// Muon (Jordan et al. 2024, "Muon: an optimizer for hidden layers"; modded-nanogpt) for the 2-D
// matrices inside the blocks: momentum, then five quintic Newton–Schulz iterations (SGEMM) that
// push the update towards the nearest semi-orthogonal matrix, scaled by √max(1, out/in).
// Embeddings, the head, norms and biases stay with AdamW. The momentum buffers live in AdamW's
// first-moment slots of those matrices (unused by AdamW there), so a checkpoint's optimizer state
// is the same two buffers and a resumed run continues exactly.
import Foundation

/// The Muon update of the hidden matrices, with preallocated Newton–Schulz scratch.
public struct Muon {
    /// Momentum β.
    public var momentum: Float = 0.95
    /// Nesterov momentum (the update is g lerped towards the buffer by β), as the reference.
    public var nesterov = true
    /// Decoupled weight decay λ of the matrices (p ← p·(1 − lr·λ)).
    public var weightDecay: Float = 0
    /// Quintic Newton–Schulz coefficients (a, b, c) of the reference implementation.
    public static let coefficients: (a: Float, b: Float, c: Float) = (3.4445, -4.7750, 2.0315)
    /// Newton–Schulz iterations.
    public static let iterations = 5

    /// One matrix Muon orthogonalises: `rows` × `cols` floats at `offset`, row stride `stride`
    /// (the fused qkv weight (C, 3C) is three (C, C) pieces, one each for q, k and v).
    struct Piece {
        var offset: Int, rows: Int, cols: Int, stride: Int
    }
    let pieces: [Piece]
    // Scratch: X and its next iterate (rows·cols), A and B (min(rows, cols)²).
    private var x: [Float], y: [Float], a: [Float], b: [Float]

    /// Plans the pieces of every hidden matrix of `layout` and allocates the scratch once.
    public init(layout: ParameterLayout) {
        var ps: [Piece] = []
        for t in layout.tensors where t.isHiddenMatrix {
            let r = t.shape[0], c = t.shape[1]
            if t.name.hasSuffix("attn.c_attn.weight") {
                for k in 0..<3 { ps.append(Piece(offset: t.offset + k * c / 3, rows: r, cols: c / 3, stride: c)) }
            } else {
                ps.append(Piece(offset: t.offset, rows: r, cols: c, stride: c))
            }
        }
        pieces = ps
        let big = ps.map { $0.rows * $0.cols }.max() ?? 0, small = ps.map { min($0.rows, $0.cols) }.max() ?? 0
        x = [Float](repeating: 0, count: big)
        y = x
        a = [Float](repeating: 0, count: small * small)
        b = a
    }

    /// Updates every hidden matrix of `model` from its gradient: buf ← β·buf + (1 − β)·g, u = g lerped to
    /// buf by β (Nesterov) or buf, O = NewtonSchulz5(u), p ← p·(1 − lr·λ) − lr·√max(1, out/in)·O.
    /// - Parameter buffers: momentum, the parameter layout (AdamW's `m`).
    public mutating func update(_ model: GPT, buffers: inout [Float], lr: Float) {
        let beta = momentum, nesterov = nesterov, decay = 1 - lr * weightDecay
        let pieces = pieces
        model.params.withUnsafeMutableBufferPointer { PB in
            model.grads.withUnsafeBufferPointer { GB in
                buffers.withUnsafeMutableBufferPointer { MB in
                    x.withUnsafeMutableBufferPointer { XB in
                        y.withUnsafeMutableBufferPointer { YB in
                            a.withUnsafeMutableBufferPointer { AB in
                                b.withUnsafeMutableBufferPointer { BB in
                                    let p = PB.baseAddress!, g = GB.baseAddress!, m = MB.baseAddress!
                                    let X = XB.baseAddress!, Y = YB.baseAddress!
                                    for pc in pieces {
                                        let r = pc.rows, c = pc.cols
                                        // Momentum and the update, gathered into X (r × c, contiguous).
                                        for i in 0..<r {
                                            let o = pc.offset + i * pc.stride
                                            for j in 0..<c {
                                                let gi = g[o + j]
                                                let mi = beta * m[o + j] + (1 - beta) * gi
                                                m[o + j] = mi
                                                X[i * c + j] = nesterov ? (1 - beta) * gi + beta * mi : mi
                                            }
                                        }
                                        let O = Muon.newtonSchulz(
                                            X, Y, AB.baseAddress!, BB.baseAddress!, rows: r, cols: c)
                                        // Shape scaling with HF/torch's (out, in) = our (cols, rows).
                                        let scale = lr * max(1, Float(c) / Float(r)).squareRoot()
                                        for i in 0..<r {
                                            let o = pc.offset + i * pc.stride
                                            for j in 0..<c { p[o + j] = p[o + j] * decay - scale * O[i * c + j] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Five quintic Newton–Schulz iterations on X (rows × cols), normalised first by its Frobenius
    /// norm: with A = X·Xᵀ (or Xᵀ·X when rows > cols, the smaller Gram matrix), B = b·A + c·A², X ← a·X + B·X
    /// (or X·B). Uses `x`, `y` (rows·cols) and `a`, `b` (min²) as scratch; returns the buffer holding the result.
    static func newtonSchulz(
        _ x: FloatPointer, _ y: FloatPointer, _ A: FloatPointer, _ B: FloatPointer, rows r: Int, cols c: Int
    ) -> UnsafePointer<Float> {
        let n = r * c
        var s = 0.0
        for i in 0..<n { s += Double(x[i]) * Double(x[i]) }
        let inv = Float(1 / (s.squareRoot() + 1e-7))
        for i in 0..<n { x[i] *= inv }
        let (ca, cb, cc) = coefficients
        var cur = x, next = y
        let wide = r <= c, m = wide ? r : c
        for _ in 0..<iterations {
            if wide {
                Kernels.sgemm(
                    transA: false, transB: true, m: r, n: r, k: c, cur, lda: c, cur, ldb: c, beta: 0, A, ldc: r)
            } else {
                Kernels.sgemm(
                    transA: true, transB: false, m: c, n: c, k: r, cur, lda: c, cur, ldb: c, beta: 0, A, ldc: c)
            }
            for i in 0..<(m * m) { B[i] = cb * A[i] }
            Kernels.sgemm(
                transA: false, transB: false, m: m, n: m, k: m, alpha: cc, A, lda: m, A, ldb: m, beta: 1, B, ldc: m)
            for i in 0..<n { next[i] = ca * cur[i] }
            if wide {
                Kernels.sgemm(
                    transA: false, transB: false, m: r, n: c, k: r, B, lda: r, cur, ldb: c, beta: 1, next, ldc: c)
            } else {
                Kernels.sgemm(
                    transA: false, transB: false, m: r, n: c, k: c, cur, lda: c, B, ldb: c, beta: 1, next, ldc: c)
            }
            swap(&cur, &next)
        }
        return UnsafePointer(cur)
    }
}
