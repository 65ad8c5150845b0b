// Segment-masked variants of the embedding and attention kernels, for windows that pack several
// examples (instruction tuning): position t of a window belongs to the example that starts at
// `segmentStarts[b·T + t]`; it attends to columns start…t only, and its learned position is
// t − start, so an example sees what it would see alone at the start of a window. The plain
// kernels stay untouched (and as fast): the model calls these only when a batch carries segments.
//
// The attention backward needs no variant: `attentionBackward` computes dS = P ⊙ (dP − rowsum(P ⊙ dP)),
// which is zero wherever P is, so the masked columns get no gradient and the row sums only see
// the segment. The tests check it against finite differences of the naive segmented forward.
import Foundation

extension Kernels {
    /// `out[b,t,:] = wte[tokens[b,t],:] + wpe[t − start(b,t),:]`; without `wpe` the token rows only.
    static func encoderForward(
        out: FloatPointer, tokens: UnsafePointer<Int32>, wte: UnsafePointer<Float>, wpe: UnsafePointer<Float>?,
        segmentStarts seg: UnsafePointer<Int32>, B: Int, T: Int, C: Int, threads: Int
    ) {
        guard let wpe else {
            encoderForward(out: out, tokens: tokens, wte: wte, wpe: nil, B: B, T: T, C: C, threads: threads)
            return
        }
        parallelRanges(B * T, threads: threads, grain: 64) { rows in
            for r in rows {
                let t = r % T - Int(seg[r])
                let o = out + r * C, e = wte + Int(tokens[r]) * C, p = wpe + t * C
                for c in 0..<C { o[c] = e[c] + p[c] }
            }
        }
    }

    /// The backward pass of the segmented `encoderForward`: `dwpe[t − start]` instead of `dwpe[t]`.
    static func encoderBackward(
        dwte: FloatPointer, dwpe: FloatPointer?, dout: UnsafePointer<Float>, tokens: UnsafePointer<Int32>,
        segmentStarts seg: UnsafePointer<Int32>, B: Int, T: Int, C: Int, threads: Int
    ) {
        guard let dwpe else {
            encoderBackward(dwte: dwte, dwpe: nil, dout: dout, tokens: tokens, B: B, T: T, C: C, threads: threads)
            return
        }
        parallelRanges(C, threads: threads, grain: 32) { cs in
            for r in 0..<(B * T) {
                let t = r % T - Int(seg[r])
                let d = dout + r * C, e = dwte + Int(tokens[r]) * C, p = dwpe + t * C
                for c in cs {
                    e[c] += d[c]
                    p[c] += d[c]
                }
            }
        }
    }

    /// Causal attention restricted to each position's segment (see the file header); same buffers
    /// and dropout as `attentionForward`.
    static func attentionForward(
        out: FloatPointer, att: FloatPointer, qkv: UnsafePointer<Float>, segmentStarts seg: UnsafePointer<Int32>,
        B: Int, T: Int, C: Int, NH: Int, threads: Int, dropout: Dropout? = nil, site: UInt64 = 0,
        scratch: FloatPointer? = nil
    ) {
        attention(
            out: out, att: att, qkv: qkv, B: B, T: T, C: C, NH: NH, threads: threads, dropout: dropout, site: site,
            scratch: scratch
        ) { softmaxSegmented($0, segmentStarts: seg, B: B, NH: NH, T: T, threads: threads) }
    }

    /// Row-wise softmax in place over (B, NH, T, T) scores; the row of time step t in sequence b
    /// sees columns start(b,t)…t; the rest are set to zero.
    static func softmaxSegmented(
        _ att: FloatPointer, segmentStarts seg: UnsafePointer<Int32>, B: Int, NH: Int, T: Int, threads: Int
    ) {
        parallelRanges(B * NH * T, threads: threads, grain: 32) { range in
            for r in range {
                let t = r % T, b = r / (NH * T)
                let lo = min(max(Int(seg[b * T + t]), 0), t)
                let row = att + r * T
                softmaxRow(row, from: lo, to: t + 1, width: T)
            }
        }
    }
}

extension NaiveKernels {
    /// Learned token + position embeddings with positions counted from each segment's start.
    static func encoderForward(
        tokens: [Int32], wte: [Float], wpe: [Float], segmentStarts: [Int32], B: Int, T: Int, C: Int
    ) -> [Float] {
        var out = [Float](repeating: 0, count: B * T * C)
        for r in 0..<(B * T) {
            let t = r % T - Int(segmentStarts[r])
            for c in 0..<C { out[r * C + c] = wte[Int(tokens[r]) * C + c] + wpe[t * C + c] }
        }
        return out
    }

    /// Causal attention in which time step t of sequence b attends to start(b,t)…t only.
    static func attentionForward(qkv: [Float], segmentStarts: [Int32], B: Int, T: Int, C: Int, NH: Int) -> [Float] {
        let hs = C / NH
        let scale = 1 / Double(hs).squareRoot()
        var out = [Float](repeating: 0, count: B * T * C)
        for b in 0..<B {
            for t in 0..<T {
                let lo = Int(segmentStarts[b * T + t])
                for h in 0..<NH {
                    let q = b * T * 3 * C + t * 3 * C + h * hs
                    var scores = [Double](repeating: 0, count: t + 1)
                    var mx = -Double.infinity
                    for t2 in lo...t {
                        let k = b * T * 3 * C + t2 * 3 * C + C + h * hs
                        var s = 0.0
                        for i in 0..<hs { s += Double(qkv[q + i]) * Double(qkv[k + i]) }
                        scores[t2] = s * scale
                        mx = max(mx, scores[t2])
                    }
                    var sum = 0.0
                    for t2 in lo...t {
                        scores[t2] = exp(scores[t2] - mx)
                        sum += scores[t2]
                    }
                    for i in 0..<hs {
                        var y = 0.0
                        for t2 in lo...t {
                            y += scores[t2] / sum * Double(qkv[b * T * 3 * C + t2 * 3 * C + 2 * C + h * hs + i])
                        }
                        out[b * T * C + t * C + h * hs + i] = Float(y)
                    }
                }
            }
        }
        return out
    }
}
