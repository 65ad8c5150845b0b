// The kernels of the modern small-model recipe (issue 23), forward and backward: RMS norm, the
// parameter-free per-head QK norm, rotary position embeddings, ReLU², SwiGLU and logit
// soft-capping. Same conventions as `Kernels.swift` (rows split across threads, never a reduction),
// each with a naive twin in `NaiveKernels+Modern.swift`. No GPT-2 path calls any of them.
import Foundation

extension Kernels {
    // MARK: - RMS norm (Zhang & Sennrich 2019)

    /// `out = x · rstd · weight`, rstd = 1/√(mean(x²) + ε) per row; saves rstd. inp/out (rows, C).
    static func rmsNormForward(
        out: FloatPointer, rstd: FloatPointer?, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int,
        C: Int, eps: Float = 1e-6, threads: Int
    ) {
        parallelRanges(rows, threads: threads, grain: 16) { range in
            for r in range {
                let x = inp + r * C, o = out + r * C
                var s8 = Float8(), c = 0
                while c + 8 <= C { let v = x.load8(c); s8 += v * v; c += 8 }
                var s = s8.sum()
                while c < C { s += x[c] * x[c]; c += 1 }
                let rs = 1 / (s / Float(C) + eps).squareRoot()
                for c in 0..<C { o[c] = x[c] * rs * weight[c] }
                rstd?[r] = rs
            }
        }
    }

    /// RMS-norm backward: **adds** to dinp and dweight. With x̂ = x·rstd and dn = dout·weight,
    /// dinp = rstd·(dn − x̂·mean(dn·x̂)), dweight = Σ_rows dout·x̂.
    static func rmsNormBackward(
        dinp: FloatPointer, dweight: FloatPointer, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, C: Int, threads: Int
    ) {
        parallelRanges(rows, threads: threads, grain: 16) { range in
            for r in range {
                let x = inp + r * C, d = dout + r * C, di = dinp + r * C
                let rs = rstd[r]
                var b: Float = 0
                for c in 0..<C { b += d[c] * weight[c] * x[c] * rs }
                b /= Float(C)
                for c in 0..<C { di[c] += (d[c] * weight[c] - x[c] * rs * b) * rs }
            }
        }
        parallelRanges(C, threads: threads, grain: 32) { cs in
            for r in 0..<rows {
                let x = inp + r * C, d = dout + r * C, rs = rstd[r]
                for c in cs { dweight[c] += d[c] * x[c] * rs }
            }
        }
    }

    // MARK: - QK norm (parameter-free RMS norm of each head's q and k, as modded-nanogpt)

    /// Normalises, in place, every head slice of q and k in qkv (rows, 3C) to unit RMS; rstd (rows, 2·NH).
    static func qkNormForward(
        qkv: FloatPointer, rstd: FloatPointer, rows: Int, C: Int, NH: Int, eps: Float = 1e-6, threads: Int
    ) {
        let hs = C / NH
        parallelRanges(rows, threads: threads, grain: 16) { range in
            for r in range {
                for part in 0..<(2 * NH) {
                    let x = qkv + r * 3 * C + part * hs  // q heads 0..<NH, then k heads (k starts at C = NH·hs)
                    var s: Float = 0
                    for d in 0..<hs { s += x[d] * x[d] }
                    let rs = 1 / (s / Float(hs) + eps).squareRoot()
                    for d in 0..<hs { x[d] *= rs }
                    rstd[r * 2 * NH + part] = rs
                }
            }
        }
    }

    /// QK-norm backward in place on the q and k slices of dqkv: dx = rstd·(dy − y·mean(dy·y)), y the
    /// normalised values in `qkv`. A rotation of y and dy (RoPE, applied after the norm) leaves
    /// mean(dy·y) unchanged and commutes with the rest, so this may run on the rotated values,
    /// before `ropeBackward`.
    static func qkNormBackward(
        dqkv: FloatPointer, qkv: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, C: Int, NH: Int,
        threads: Int
    ) {
        let hs = C / NH
        parallelRanges(rows, threads: threads, grain: 16) { range in
            for r in range {
                for part in 0..<(2 * NH) {
                    let y = qkv + r * 3 * C + part * hs, dy = dqkv + r * 3 * C + part * hs
                    var s: Float = 0
                    for d in 0..<hs { s += dy[d] * y[d] }
                    s /= Float(hs)
                    let rs = rstd[r * 2 * NH + part]
                    for d in 0..<hs { dy[d] = rs * (dy[d] - y[d] * s) }
                }
            }
        }
    }

    // MARK: - Rotary position embeddings (Su et al. 2021; HF Llama's rotate-half pairing)

    /// cos then sin of position·θ^(−2i/hs) for positions 0..<T and i in 0..<hs/2: 2·T·hs/2 floats.
    /// Angles are float32 products as in HF's `LlamaRotaryEmbedding`.
    static func ropeTable(T: Int, headSize hs: Int, theta: Double) -> [Float] {
        let half = hs / 2
        var table = [Float](repeating: 0, count: 2 * T * half)
        for i in 0..<half {
            let inv = Float(1 / pow(theta, Double(2 * i) / Double(hs)))
            for t in 0..<T {
                let angle = Double(Float(t) * inv)
                table[t * half + i] = Float(cos(angle))
                table[T * half + t * half + i] = Float(sin(angle))
            }
        }
        return table
    }

    /// Rotates, in place, the q and k head slices of qkv (rows, 3C) where row r is position
    /// `start + r mod T`: (x₁, x₂) → (x₁·cos − x₂·sin, x₂·cos + x₁·sin) for the pairs (i, i + hs/2).
    /// `inverse` applies the transposed rotation (the backward pass). table: `ropeTable(T: Tmax, …)`.
    static func rope(
        _ qkv: FloatPointer, rows: Int, T: Int, start: Int = 0, C: Int, NH: Int, table: UnsafePointer<Float>,
        tableT: Int,
        inverse: Bool = false, threads: Int
    ) {
        let hs = C / NH, half = hs / 2
        let sign: Float = inverse ? -1 : 1
        parallelRanges(rows, threads: threads, grain: 16) { range in
            for r in range {
                let t = start + r % T
                let cs = table + t * half, sn = table + tableT * half + t * half
                for part in 0..<(2 * NH) {
                    let x = qkv + r * 3 * C + part * hs
                    for i in 0..<half {
                        let c = cs[i], s = sign * sn[i]
                        let x1 = x[i], x2 = x[i + half]
                        x[i] = x1 * c - x2 * s
                        x[i + half] = x2 * c + x1 * s
                    }
                }
            }
        }
    }

    // MARK: - ReLU² (So et al. 2021)

    /// `out = max(x, 0)²`, n elements.
    static func relu2Forward(out: FloatPointer, inp: UnsafePointer<Float>, n: Int, threads: Int) {
        parallelRanges(n, threads: threads, grain: 8192) { r in
            for i in r {
                let x = max(inp[i], 0)
                out[i] = x * x
            }
        }
    }

    /// `dinp = dout · 2·max(x, 0)`; dinp may be dout.
    static func relu2Backward(
        dinp: FloatPointer, inp: UnsafePointer<Float>, dout: UnsafePointer<Float>, n: Int, threads: Int
    ) {
        parallelRanges(n, threads: threads, grain: 8192) { r in
            for i in r { dinp[i] = dout[i] * 2 * max(inp[i], 0) }
        }
    }

    // MARK: - SwiGLU (Shazeer 2020)

    /// inp (rows, 2H) = gate | up; `out[r, j] = silu(gate[r, j]) · up[r, j]`, out (rows, H).
    static func swigluForward(out: FloatPointer, inp: UnsafePointer<Float>, rows: Int, H: Int, threads: Int) {
        parallelRanges(rows, threads: threads, grain: 8) { range in
            for r in range {
                let g = inp + r * 2 * H, u = g + H, o = out + r * H
                var j = 0
                while j + 8 <= H {
                    let x = g.load8(j)
                    o.store8(j, x / (1 + exp8(-x)) * u.load8(j))
                    j += 8
                }
                while j < H {
                    o[j] = g[j] / (1 + exp1(-g[j])) * u[j]
                    j += 1
                }
            }
        }
    }

    /// SwiGLU backward: dgate = dout·up·σ(g)(1 + g(1 − σ(g))), dup = dout·silu(g); dinp (rows, 2H), dout (rows, H).
    static func swigluBackward(
        dinp: FloatPointer, inp: UnsafePointer<Float>, dout: UnsafePointer<Float>, rows: Int, H: Int, threads: Int
    ) {
        parallelRanges(rows, threads: threads, grain: 8) { range in
            for r in range {
                let g = inp + r * 2 * H, u = g + H, d = dout + r * H, dg = dinp + r * 2 * H, du = dg + H
                var j = 0
                while j + 8 <= H {
                    let x = g.load8(j), s = 1 / (1 + exp8(-x)), dd = d.load8(j)
                    dg.store8(j, dd * u.load8(j) * s * (1 + x * (1 - s)))
                    du.store8(j, dd * x * s)
                    j += 8
                }
                while j < H {
                    let x = g[j], s = 1 / (1 + exp1(-x))
                    dg[j] = d[j] * u[j] * s * (1 + x * (1 - s))
                    du[j] = d[j] * x * s
                    j += 1
                }
            }
        }
    }

    // MARK: - Logit soft-capping (Gemma 2; modded-nanogpt)

    /// `logits = cap·tanh(z/cap)` in place over rows·V floats; `tanhOut` keeps tanh(z/cap) for the backward pass.
    static func softcapForward(_ logits: FloatPointer, tanhOut: FloatPointer?, n: Int, cap: Float, threads: Int) {
        let inv = 1 / cap
        parallelRanges(n / 8, threads: threads, grain: 4096) { blocks in
            for blk in blocks {
                let i = blk * 8
                let t = tanh8(logits.load8(i) * inv)
                tanhOut?.store8(i, t)
                logits.store8(i, cap * t)
            }
        }
        for i in (n / 8 * 8)..<n {
            let t = tanh1(logits[i] * inv)
            tanhOut?[i] = t
            logits[i] = cap * t
        }
    }

    /// `dz = dlogits · (1 − tanh²)` in place.
    static func softcapBackward(_ dlogits: FloatPointer, tanh t: UnsafePointer<Float>, n: Int, threads: Int) {
        parallelRanges(n / 8, threads: threads, grain: 4096) { blocks in
            for blk in blocks {
                let i = blk * 8
                let v = t.load8(i)
                dlogits.store8(i, dlogits.load8(i) * (1 - v * v))
            }
        }
        for i in (n / 8 * 8)..<n { dlogits[i] *= 1 - t[i] * t[i] }
    }
}
