// Plain-loop twins of `Kernels+Modern.swift` (RMS norm, QK norm, RoPE, ReLU², SwiGLU, soft-cap) and a
// Newton–Schulz in Double without BLAS: the tests' oracles, never used in training.
import Foundation

extension NaiveKernels {
    static func rmsNormForward(inp: [Float], weight: [Float], rows: Int, C: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * C)
        for r in 0..<rows {
            var s = 0.0
            for c in 0..<C { s += Double(inp[r * C + c]) * Double(inp[r * C + c]) }
            let rs = 1 / (s / Double(C) + 1e-6).squareRoot()
            for c in 0..<C { out[r * C + c] = Float(Double(inp[r * C + c]) * rs) * weight[c] }
        }
        return out
    }

    /// q and k head slices of qkv (rows, 3C) scaled to unit RMS; v untouched.
    static func qkNorm(qkv: [Float], rows: Int, C: Int, NH: Int) -> [Float] {
        var out = qkv
        let hs = C / NH
        for r in 0..<rows {
            for part in 0..<(2 * NH) {
                let o = r * 3 * C + part * hs
                var s = 0.0
                for d in 0..<hs { s += Double(qkv[o + d]) * Double(qkv[o + d]) }
                let rs = 1 / (s / Double(hs) + 1e-6).squareRoot()
                for d in 0..<hs { out[o + d] = Float(Double(qkv[o + d]) * rs) }
            }
        }
        return out
    }

    /// RoPE of the q and k slices, angles in Double; row r is position start + r mod T.
    static func rope(qkv: [Float], rows: Int, T: Int, start: Int = 0, C: Int, NH: Int, theta: Double) -> [Float] {
        var out = qkv
        let hs = C / NH, half = hs / 2
        for r in 0..<rows {
            let t = Double(start + r % T)
            for part in 0..<(2 * NH) {
                let o = r * 3 * C + part * hs
                for i in 0..<half {
                    let angle = t * pow(theta, -Double(2 * i) / Double(hs))
                    let x1 = Double(qkv[o + i]), x2 = Double(qkv[o + i + half])
                    out[o + i] = Float(x1 * cos(angle) - x2 * sin(angle))
                    out[o + i + half] = Float(x2 * cos(angle) + x1 * sin(angle))
                }
            }
        }
        return out
    }

    static func relu2(_ x: [Float]) -> [Float] { x.map { $0 > 0 ? $0 * $0 : 0 } }

    /// inp (rows, 2H) = gate | up → silu(gate)·up (rows, H).
    static func swiglu(inp: [Float], rows: Int, H: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * H)
        for r in 0..<rows {
            for j in 0..<H {
                let g = Double(inp[r * 2 * H + j]), u = Double(inp[r * 2 * H + H + j])
                out[r * H + j] = Float(g / (1 + exp(-g)) * u)
            }
        }
        return out
    }

    static func softcap(_ z: [Float], cap: Float) -> [Float] { z.map { Float(Double(cap) * tanh(Double($0 / cap))) } }

    /// Muon's Newton–Schulz in Double with plain loops on the (rows × cols) matrix g.
    static func newtonSchulz(_ g: [Float], rows r: Int, cols c: Int) -> [Float] {
        var x = g.map(Double.init)
        let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot() + 1e-7
        x = x.map { $0 / norm }
        let (a, b, cc) = (3.4445, -4.7750, 2.0315)
        for _ in 0..<5 {
            // A = X Xᵀ (r × r); B = b·A + c·A²; X = a·X + B·X.
            var A = [Double](repeating: 0, count: r * r)
            for i in 0..<r { for j in 0..<r { for k in 0..<c { A[i * r + j] += x[i * c + k] * x[j * c + k] } } }
            var B = A.map { b * $0 }
            for i in 0..<r { for j in 0..<r { for k in 0..<r { B[i * r + j] += cc * A[i * r + k] * A[k * r + j] } } }
            var nx = x.map { a * $0 }
            for i in 0..<r { for j in 0..<c { for k in 0..<r { nx[i * c + j] += B[i * r + k] * x[k * c + j] } } }
            x = nx
        }
        return x.map(Float.init)
    }
}
