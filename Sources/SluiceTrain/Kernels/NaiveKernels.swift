// Plain-loop versions of every kernel in `Kernels.swift`, written for clarity (one thread,
// no BLAS, no vector math, Double sums). They are the tests' oracles, never used in training.
import Foundation

/// Reference kernels on Swift arrays; same shapes and semantics as `Kernels`.
enum NaiveKernels {
    static func encoderForward(tokens: [Int32], wte: [Float], wpe: [Float], B: Int, T: Int, C: Int) -> [Float] {
        var out = [Float](repeating: 0, count: B * T * C)
        for r in 0..<(B * T) {
            for c in 0..<C { out[r * C + c] = wte[Int(tokens[r]) * C + c] + wpe[(r % T) * C + c] }
        }
        return out
    }

    static func layerNormForward(inp: [Float], weight: [Float], bias: [Float], rows: Int, C: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * C)
        for r in 0..<rows {
            var m = 0.0
            for c in 0..<C { m += Double(inp[r * C + c]) }
            m /= Double(C)
            var v = 0.0
            for c in 0..<C { v += (Double(inp[r * C + c]) - m) * (Double(inp[r * C + c]) - m) }
            v /= Double(C)
            let rs = 1 / (v + 1e-5).squareRoot()
            for c in 0..<C { out[r * C + c] = Float((Double(inp[r * C + c]) - m) * rs) * weight[c] + bias[c] }
        }
        return out
    }

    static func matmulForward(inp: [Float], weight: [Float], bias: [Float]?, rows: Int, inC: Int, outC: Int) -> [Float]
    {
        var out = [Float](repeating: 0, count: rows * outC)
        for r in 0..<rows {
            for j in 0..<outC {
                var s = Double(bias?[j] ?? 0)
                for i in 0..<inC { s += Double(inp[r * inC + i]) * Double(weight[i * outC + j]) }
                out[r * outC + j] = Float(s)
            }
        }
        return out
    }

    static func gelu(_ x: Float) -> Float {
        let xd = Double(x)
        return Float(0.5 * xd * (1 + tanh((2 / Double.pi).squareRoot() * (xd + 0.044715 * xd * xd * xd))))
    }

    static func geluForward(inp: [Float]) -> [Float] { inp.map(gelu) }

    /// Causal attention with explicit loops (llm.c's `attention_forward`); `causal: false` lets
    /// every position attend to all T (bidirectional).
    static func attentionForward(qkv: [Float], B: Int, T: Int, C: Int, NH: Int, causal: Bool = true) -> [Float] {
        let hs = C / NH
        let scale = 1 / Double(hs).squareRoot()
        var out = [Float](repeating: 0, count: B * T * C)
        for b in 0..<B {
            for t in 0..<T {
                for h in 0..<NH {
                    let q = b * T * 3 * C + t * 3 * C + h * hs
                    let last = causal ? t : T - 1  // the last position t attends to
                    var scores = [Double](repeating: 0, count: last + 1)
                    for t2 in 0...last {
                        let k = b * T * 3 * C + t2 * 3 * C + C + h * hs
                        var s = 0.0
                        for i in 0..<hs { s += Double(qkv[q + i]) * Double(qkv[k + i]) }
                        scores[t2] = s * scale
                    }
                    let mx = scores.max()!
                    var sum = 0.0
                    for t2 in 0...last {
                        scores[t2] = exp(scores[t2] - mx)
                        sum += scores[t2]
                    }
                    for i in 0..<hs {
                        var y = 0.0
                        for t2 in 0...last {
                            y += scores[t2] / sum * Double(qkv[b * T * 3 * C + t2 * 3 * C + 2 * C + h * hs + i])
                        }
                        out[b * T * C + t * C + h * hs + i] = Float(y)
                    }
                }
            }
        }
        return out
    }

    /// Per-row losses −log softmax(logits)[target].
    static func crossEntropy(logits: [Float], targets: [Int32], rows: Int, V: Int) -> [Float] {
        (0..<rows).map { r in
            var mx = -Double.infinity
            for j in 0..<V { mx = max(mx, Double(logits[r * V + j])) }
            var s = 0.0
            for j in 0..<V { s += exp(Double(logits[r * V + j]) - mx) }
            return Float(log(s) + mx - Double(logits[r * V + Int(targets[r])]))
        }
    }
}
