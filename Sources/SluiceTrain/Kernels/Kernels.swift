// The GPT-2 kernels, forward and backward, on contiguous Float32 buffers: layer norm, linear
// layers (cblas_sgemm), tanh-GELU, causal multi-head attention (sgemm + hand-written softmax),
// token/position embeddings and the fused softmax–cross-entropy. Shapes follow llm.c
// (B batch, T time, C channels, NH heads, V vocabulary). Each has a naive twin in
// `NaiveKernels.swift` that the tests use as oracle. No kernel splits a reduction across
// threads, so every result is the same for 1 or 2 threads.
import COpenBLAS
import Foundation

/// Forward and backward kernels. Pointers must cover the documented shapes; the callers (the model)
/// size every buffer from one `GPTConfig`, so the checks here are preconditions.
enum Kernels {
    /// Row-major SGEMM `C = alpha·op(A)·op(B) + beta·C` (`cblas_sgemm`).
    @inline(__always)
    static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
        beta: Float, _ c: FloatPointer, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    // MARK: - Embeddings

    /// `out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:]`; out (B,T,C). Without `wpe` (RoPE models) the token rows only.
    static func encoderForward(
        out: FloatPointer, tokens: UnsafePointer<Int32>, wte: UnsafePointer<Float>, wpe: UnsafePointer<Float>?,
        B: Int, T: Int, C: Int, threads: Int
    ) {
        guard let wpe else {
            parallelRanges(B * T, threads: threads, grain: 64) { rows in
                for r in rows { (out + r * C).update(from: wte + Int(tokens[r]) * C, count: C) }
            }
            return
        }
        parallelRanges(B * T, threads: threads, grain: 64) { rows in
            for r in rows {
                let t = r % T
                let o = out + r * C, e = wte + Int(tokens[r]) * C, p = wpe + t * C
                for c in 0..<C { o[c] = e[c] + p[c] }
            }
        }
    }

    /// Accumulates `dwte[tokens[b,t]] += dout[b,t]` and `dwpe[t] += dout[b,t]`. Split by channel
    /// ranges so that repeated tokens never race and sums keep one order.
    static func encoderBackward(
        dwte: FloatPointer, dwpe: FloatPointer?, dout: UnsafePointer<Float>, tokens: UnsafePointer<Int32>,
        B: Int, T: Int, C: Int, threads: Int
    ) {
        guard let dwpe else {
            parallelRanges(C, threads: threads, grain: 32) { cs in
                for r in 0..<(B * T) {
                    let d = dout + r * C, e = dwte + Int(tokens[r]) * C
                    for c in cs { e[c] += d[c] }
                }
            }
            return
        }
        parallelRanges(C, threads: threads, grain: 32) { cs in
            for r in 0..<(B * T) {
                let t = r % T
                let d = dout + r * C, e = dwte + Int(tokens[r]) * C, p = dwpe + t * C
                for c in cs {
                    e[c] += d[c]
                    p[c] += d[c]
                }
            }
        }
    }

    // MARK: - Layer norm

    /// `out = (x − mean) · rstd · weight + bias` per row (Ba et al. 2016), ε = 1e-5 as GPT-2;
    /// saves mean and 1/σ for the backward pass. inp/out (rows, C); mean/rstd (rows).
    static func layerNormForward(
        out: FloatPointer, mean: FloatPointer?, rstd: FloatPointer?, inp: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Int, C: Int, eps: Float = 1e-5, threads: Int
    ) {
        parallelRanges(rows, threads: threads, grain: 16) { range in
            for r in range {
                let x = inp + r * C, o = out + r * C
                var s8 = Float8(), c = 0
                while c + 8 <= C { s8 += x.load8(c); c += 8 }
                var s = s8.sum()
                while c < C { s += x[c]; c += 1 }
                let m = s / Float(C)
                var v8 = Float8()
                c = 0
                while c + 8 <= C { let d = x.load8(c) - m; v8 += d * d; c += 8 }
                var v = v8.sum()
                while c < C { let d = x[c] - m; v += d * d; c += 1 }
                let rs = 1 / (v / Float(C) + eps).squareRoot()
                for c in 0..<C { o[c] = (x[c] - m) * rs * weight[c] + bias[c] }
                mean?[r] = m
                rstd?[r] = rs
            }
        }
    }

    /// Layer-norm backward: **adds** to dinp (the residual stream's gradient), dweight, dbias.
    /// dinp = rstd·(dnorm − mean(dnorm) − x̂·mean(dnorm·x̂)), dnorm = dout·weight.
    static func layerNormBackward(
        dinp: FloatPointer, dweight: FloatPointer, dbias: FloatPointer, dout: UnsafePointer<Float>,
        inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, mean: UnsafePointer<Float>,
        rstd: UnsafePointer<Float>, rows: Int, C: Int, threads: Int
    ) {
        parallelRanges(rows, threads: threads, grain: 16) { range in
            for r in range {
                let x = inp + r * C, d = dout + r * C, di = dinp + r * C
                let m = mean[r], rs = rstd[r]
                var a: Float = 0, b: Float = 0
                for c in 0..<C {
                    let xh = (x[c] - m) * rs
                    let dn = d[c] * weight[c]
                    a += dn
                    b += dn * xh
                }
                a /= Float(C)
                b /= Float(C)
                for c in 0..<C {
                    let xh = (x[c] - m) * rs
                    let dn = d[c] * weight[c]
                    di[c] += (dn - a - xh * b) * rs
                }
            }
        }
        // Parameter gradients: column ranges, rows in order.
        parallelRanges(C, threads: threads, grain: 32) { cs in
            for r in 0..<rows {
                let x = inp + r * C, d = dout + r * C
                let m = mean[r], rs = rstd[r]
                for c in cs {
                    dweight[c] += d[c] * (x[c] - m) * rs
                    dbias[c] += d[c]
                }
            }
        }
    }

    // MARK: - Linear (HF Conv1D layout: weight [in, out])

    /// `out = inp · weight + bias` (or `out += …` when `accumulate`, which adds a residual in place).
    /// inp (rows, inC), weight (inC, outC), bias (outC), out (rows, outC).
    static func matmulForward(
        out: FloatPointer, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        rows: Int, inC: Int, outC: Int, accumulate: Bool = false, threads: Int
    ) {
        if let bias {
            parallelRanges(rows, threads: threads, grain: 64) { range in
                for r in range {
                    let o = out + r * outC
                    if accumulate {
                        for j in 0..<outC { o[j] += bias[j] }
                    } else {
                        o.update(from: bias, count: outC)
                    }
                }
            }
        }
        let beta: Float = (bias != nil || accumulate) ? 1 : 0
        sgemm(
            transA: false, transB: false, m: rows, n: outC, k: inC, inp, lda: inC, weight, ldb: outC, beta: beta, out,
            ldc: outC)
    }

    /// Linear backward: dinp = dout·weightᵀ (overwritten), dweight += inpᵀ·dout, dbias += Σ_rows dout.
    static func matmulBackward(
        dinp: FloatPointer, dweight: FloatPointer, dbias: FloatPointer?, dout: UnsafePointer<Float>,
        inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int, inC: Int, outC: Int, threads: Int
    ) {
        sgemm(
            transA: false, transB: true, m: rows, n: inC, k: outC, dout, lda: outC, weight, ldb: outC, beta: 0, dinp,
            ldc: inC)
        sgemm(
            transA: true, transB: false, m: inC, n: outC, k: rows, inp, lda: inC, dout, ldb: outC, beta: 1, dweight,
            ldc: outC)
        if let dbias {
            parallelRanges(outC, threads: threads, grain: 64) { cs in
                for r in 0..<rows {
                    let d = dout + r * outC
                    for j in cs { dbias[j] += d[j] }
                }
            }
        }
    }

    // MARK: - GELU (tanh approximation, Hendrycks & Gimpel 2016; HF "gelu_new")

    static let geluScale: Float = 0.797_884_560_802_865_4  // √(2/π)

    /// `out = 0.5·x·(1 + tanh(u))`, u = √(2/π)·(x + 0.044715·x³), n elements; computed as
    /// x·σ(2u) (the same function) so that large negative x keeps its relative precision.
    static func geluForward(out: FloatPointer, inp: UnsafePointer<Float>, n: Int, threads: Int) {
        parallelRanges(n / 8, threads: threads, grain: 1024) { blocks in
            for blk in blocks {
                let i = blk * 8
                let x = inp.load8(i)
                out.store8(i, x * geluSigmoid(x))
            }
        }
        for i in (n / 8 * 8)..<n { out[i] = inp[i] * geluSigmoid(Float8(repeating: inp[i]))[0] }
    }

    /// σ(2u) = 0.5·(1 + tanh u) for the GELU argument u(x).
    @inline(__always)
    static func geluSigmoid(_ x: Float8) -> Float8 {
        let cube: Float8 = 0.044715 * x * x * x
        let u2: Float8 = (2 * geluScale) * (x + cube)
        return 1 / (1 + exp8(-u2))
    }

    /// GELU backward: `dinp = dout · gelu'(inp)`, gelu' = s + 2·x·s·(1 − s)·u′ with s = σ(2u);
    /// dinp may be the same buffer as dout.
    static func geluBackward(
        dinp: FloatPointer, inp: UnsafePointer<Float>, dout: UnsafePointer<Float>, n: Int, threads: Int
    ) {
        @inline(__always) func grad(_ x: Float8) -> Float8 {
            let s = geluSigmoid(x)
            let du: Float8 = geluScale * (1 + 0.134145 * x * x)  // d/dx of u; 0.134145 = 3·0.044715
            let t: Float8 = 2 * x * s * (1 - s)
            return s + t * du
        }
        parallelRanges(n / 8, threads: threads, grain: 1024) { blocks in
            for blk in blocks {
                let i = blk * 8
                dinp.store8(i, grad(inp.load8(i)) * dout.load8(i))
            }
        }
        for i in (n / 8 * 8)..<n { dinp[i] = grad(Float8(repeating: inp[i]))[0] * dout[i] }
    }

    // MARK: - Causal self-attention

    /// Multi-head causal attention. qkv (B,T,3C) holds q | k | v, head h at channels h·hs…;
    /// att (B,NH,T,T) receives the softmax probabilities (zero above the diagonal); out (B,T,C).
    /// Scores and the weighted sum are SGEMMs per (b,h) on strided views; softmax is split by rows.
    /// `causal: false` lets every position see all T (bidirectional, the MLM objective; no zeros).
    static func attentionForward(
        out: FloatPointer, att: FloatPointer, qkv: UnsafePointer<Float>, B: Int, T: Int, C: Int, NH: Int, threads: Int,
        dropout: Dropout? = nil, site: UInt64 = 0, scratch: FloatPointer? = nil, causal: Bool = true
    ) {
        attention(
            out: out, att: att, qkv: qkv, B: B, T: T, C: C, NH: NH, threads: threads, dropout: dropout, site: site,
            scratch: scratch
        ) { softmaxCausal($0, rows: B * NH * T, T: T, threads: threads, causal: causal) }
    }

    /// Scores, `normalize` (a softmax over every row of att, in place), then the weighted sum: the
    /// body of every attention variant, which differ only in which columns a row's softmax sees.
    static func attention(
        out: FloatPointer, att: FloatPointer, qkv: UnsafePointer<Float>, B: Int, T: Int, C: Int, NH: Int, threads: Int,
        dropout: Dropout?, site: UInt64, scratch: FloatPointer?, normalize: (FloatPointer) -> Void
    ) {
        let hs = C / NH
        let scale = 1 / Float(hs).squareRoot()
        for b in 0..<B {
            for h in 0..<NH {
                let q = qkv + b * T * 3 * C + h * hs
                let s = att + (b * NH + h) * T * T
                // S = scale · Q Kᵀ  (T×hs · hs×T)
                sgemm(
                    transA: false, transB: true, m: T, n: T, k: hs, alpha: scale, q, lda: 3 * C, q + C, ldb: 3 * C,
                    beta: 0, s, ldc: T)
            }
        }
        normalize(att)
        for b in 0..<B {
            for h in 0..<NH {
                let v = qkv + b * T * 3 * C + 2 * C + h * hs
                var s = UnsafePointer(att + (b * NH + h) * T * T)
                if let dropout, let scratch {
                    // Dropped probabilities P ⊙ m go to scratch; att keeps P for the softmax backward.
                    dropout.masked(
                        out: scratch, s, n: T * T, site: site, offset: (b * NH + h) * T * T, threads: threads)
                    s = UnsafePointer(scratch)
                }
                // Y = P V  (T×T · T×hs), written into out's head slice.
                sgemm(
                    transA: false, transB: false, m: T, n: hs, k: T, s, lda: T, v, ldb: 3 * C, beta: 0,
                    out + b * T * C + h * hs, ldc: C)
            }
        }
    }

    /// Row-wise causal softmax in place over (rows, T) scores; row r is time step r mod T and sees
    /// columns 0…t; the rest are set to zero. With `causal: false` every row sees all T columns.
    static func softmaxCausal(_ att: FloatPointer, rows: Int, T: Int, threads: Int, causal: Bool = true) {
        parallelRanges(rows, threads: threads, grain: 32) { range in
            for r in range {
                let t = r % T
                let row = att + r * T
                softmaxRow(row, from: 0, to: causal ? t + 1 : T, width: T)  // columns this row attends to
            }
        }
    }

    /// Attention backward. dqkv (B,T,3C) is overwritten; datt (B,NH,T,T) is scratch; dout (B,T,C).
    /// dP = dY Vᵀ, dV = Pᵀ dY, dS = P ⊙ (dP − rowsum(P ⊙ dP)), dQ = scale·dS K, dK = scale·dSᵀ Q.
    /// With `dropout`, the forward used P ⊙ m (m rebuilt here from the site): dV = (P ⊙ m)ᵀ dY and
    /// dP = m ⊙ dY Vᵀ; `scratch` (T×T) holds P ⊙ m of one head at a time. `causal` as in the forward pass.
    static func attentionBackward(
        dqkv: FloatPointer, datt: FloatPointer, dout: UnsafePointer<Float>, att: UnsafePointer<Float>,
        qkv: UnsafePointer<Float>, B: Int, T: Int, C: Int, NH: Int, threads: Int,
        dropout: Dropout? = nil, site: UInt64 = 0, scratch: FloatPointer? = nil, causal: Bool = true
    ) {
        let hs = C / NH
        let scale = 1 / Float(hs).squareRoot()
        for b in 0..<B {
            for h in 0..<NH {
                let v = qkv + b * T * 3 * C + 2 * C + h * hs
                let dy = dout + b * T * C + h * hs
                var p = att + (b * NH + h) * T * T
                let dp = datt + (b * NH + h) * T * T
                sgemm(transA: false, transB: true, m: T, n: T, k: hs, dy, lda: C, v, ldb: 3 * C, beta: 0, dp, ldc: T)
                if let dropout, let scratch {
                    dropout.masked(
                        out: scratch, p, n: T * T, site: site, offset: (b * NH + h) * T * T, threads: threads)
                    p = UnsafePointer(scratch)
                }
                sgemm(
                    transA: true, transB: false, m: T, n: hs, k: T, p, lda: T, dy, ldb: C, beta: 0,
                    dqkv + b * T * 3 * C + 2 * C + h * hs, ldc: 3 * C)
            }
        }
        parallelRanges(B * NH * T, threads: threads, grain: 32) { range in
            for r in range {
                let n = causal ? r % T + 1 : T  // columns row r attended to
                let p = att + r * T, dp = datt + r * T
                if let dropout {
                    for j in 0..<n { dp[j] *= dropout.factor(site, r * T + j) }
                }
                var s: Float = 0
                for j in 0..<n { s += p[j] * dp[j] }
                for j in 0..<n { dp[j] = p[j] * (dp[j] - s) }
                for j in n..<T { dp[j] = 0 }
            }
        }
        for b in 0..<B {
            for h in 0..<NH {
                let q = qkv + b * T * 3 * C + h * hs
                let ds = datt + (b * NH + h) * T * T
                let dq = dqkv + b * T * 3 * C + h * hs
                sgemm(
                    transA: false, transB: false, m: T, n: hs, k: T, alpha: scale, ds, lda: T, q + C, ldb: 3 * C,
                    beta: 0, dq, ldc: 3 * C)
                sgemm(
                    transA: true, transB: false, m: T, n: hs, k: T, alpha: scale, ds, lda: T, q, ldb: 3 * C, beta: 0,
                    dq + C, ldc: 3 * C)
            }
        }
    }

    // MARK: - Softmax + cross-entropy

    /// Turns logits (rows, V) into probabilities in place and writes each row's loss
    /// −log p[target] = logΣexp − (logit[target] − max) into `losses` (rows). A target < 0 gives loss 0.
    static func crossEntropyForward(
        logits: FloatPointer, losses: FloatPointer, targets: UnsafePointer<Int32>, rows: Int, V: Int, threads: Int
    ) {
        parallelRanges(rows, threads: threads, grain: 4) { range in
            for r in range {
                let row = logits + r * V
                var m8 = Float8(repeating: -.infinity)
                var j = 0
                while j + 8 <= V {
                    let v = row.load8(j)
                    m8.replace(with: v, where: v .> m8)
                    j += 8
                }
                var mx = m8.max()
                while j < V { mx = max(mx, row[j]); j += 1 }
                let tgt = Int(targets[r])
                let shifted = tgt >= 0 ? row[tgt] - mx : 0
                var s8 = Float8()
                j = 0
                while j + 8 <= V {
                    let e = exp8(row.load8(j) - mx)
                    row.store8(j, e)
                    s8 += e
                    j += 8
                }
                var sum = s8.sum()
                while j < V {
                    let e = exp1(row[j] - mx)
                    row[j] = e
                    sum += e
                    j += 1
                }
                let inv = 1 / sum
                j = 0
                while j + 8 <= V { row.store8(j, row.load8(j) * inv); j += 8 }
                while j < V { row[j] *= inv; j += 1 }
                losses[r] = tgt >= 0 ? Float(log(Double(sum))) - shifted : 0
            }
        }
    }

    /// dlogits = scale·(p − onehot(target)) in place over the probabilities; rows with target < 0 get 0.
    static func crossEntropyBackward(
        probs: FloatPointer, targets: UnsafePointer<Int32>, rows: Int, V: Int, scale: Float, threads: Int
    ) {
        parallelRanges(rows, threads: threads, grain: 4) { range in
            for r in range {
                let row = probs + r * V
                let tgt = Int(targets[r])
                if tgt < 0 {
                    row.update(repeating: 0, count: V)
                    continue
                }
                var j = 0
                while j + 8 <= V { row.store8(j, row.load8(j) * scale); j += 8 }
                while j < V { row[j] *= scale; j += 1 }
                row[tgt] -= scale
            }
        }
    }
}

extension Kernels {
    /// Softmax of `row[lo..<n]` in place (max-subtracted, vectorised exp), zeros in the other
    /// columns of the `width`-wide row: the one row kernel of causal, bidirectional and segmented attention.
    @inline(__always)
    static func softmaxRow(_ row: FloatPointer, from lo: Int, to n: Int, width T: Int) {
        var mx = -Float.infinity
        for j in lo..<n where row[j] > mx { mx = row[j] }
        var s8 = Float8()
        var j = lo
        while j + 8 <= n {
            let e = exp8(row.load8(j) - mx)
            row.store8(j, e)
            s8 += e
            j += 8
        }
        var sum = s8.sum()
        while j < n {
            let e = exp1(row[j] - mx)
            row[j] = e
            sum += e
            j += 1
        }
        let inv = 1 / sum
        for j in lo..<n { row[j] *= inv }
        for j in 0..<lo { row[j] = 0 }
        for j in n..<T { row[j] = 0 }
    }
}
