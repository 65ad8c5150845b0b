// AdamW (Loshchilov & Hutter 2019) over the flat parameter buffer, and the learning-rate
// schedule (linear warm-up, cosine decay). Weight decay applies to matmul weights only.
import Foundation

/// Adam moments `m`, `v` (same layout as the parameters) and the step count.
public struct AdamW {
    /// Decay of the first moment.
    public var beta1: Float = 0.9
    /// Decay of the second moment.
    public var beta2: Float = 0.95
    /// Added to √v̂.
    public var eps: Float = 1e-8
    /// Decoupled weight decay λ (matmul weights only).
    public var weightDecay: Float = 0.1
    /// Steps taken so far (t in the bias corrections).
    public var step = 0
    /// First moments, parameter layout.
    public var m: [Float]
    /// Second moments, parameter layout.
    public var v: [Float]
    /// The hidden matrices' slots of `m` hold Muon's momentum and AdamW skips them (`train.optimizer: muon`).
    public var muon = false

    public init(parameterCount: Int) {
        m = [Float](repeating: 0, count: parameterCount)
        v = [Float](repeating: 0, count: parameterCount)
    }

    /// One update of `model.params` from `model.grads` with learning rate `lr`.
    public mutating func update(_ model: GPT, lr: Float) { update(model) { _ in lr } }

    /// One update with a learning rate per tensor (parameter groups); a tensor whose rate is nil is left alone.
    public mutating func update(_ model: GPT, rate: (TensorSpec) -> Float?) {
        step += 1
        let c1 = 1 - pow(beta1, Float(step)), c2 = 1 - pow(beta2, Float(step))
        let b1 = beta1, b2 = beta2, eps = eps, wd = weightDecay, threads = model.threads
        let tensors = model.layout.tensors
        model.params.withUnsafeMutableBufferPointer { P in
            model.grads.withUnsafeBufferPointer { G in
                m.withUnsafeMutableBufferPointer { M in
                    v.withUnsafeMutableBufferPointer { Vb in
                        let p = P.baseAddress!, g = G.baseAddress!, mm = M.baseAddress!, vv = Vb.baseAddress!
                        for t in tensors {
                            guard let lr = rate(t) else { continue }
                            let decay = t.decays ? 1 - lr * wd : 1
                            let o = t.offset
                            parallelRanges(t.count, threads: threads, grain: 1 << 15) { r in
                                AdamW.kernel(
                                    p + o + r.lowerBound, g + o + r.lowerBound, mm + o + r.lowerBound,
                                    vv + o + r.lowerBound,
                                    count: r.count, lr: lr, decay: decay, b1: b1, b2: b2, c1: c1, c2: c2, eps: eps)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `c1`, `c2`: bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ; `decay` = 1 − lr·λ (decoupled weight decay).
    @inline(__always)
    static func kernel(
        _ p: FloatPointer, _ g: UnsafePointer<Float>, _ m: FloatPointer, _ v: FloatPointer, count: Int,
        lr: Float, decay: Float, b1: Float, b2: Float, c1: Float, c2: Float, eps: Float
    ) {
        for i in 0..<count {
            let gi = g[i]
            let mi = b1 * m[i] + (1 - b1) * gi
            let vi = b2 * v[i] + (1 - b2) * gi * gi
            m[i] = mi
            v[i] = vi
            p[i] = p[i] * decay - lr * (mi / c1) / ((vi / c2).squareRoot() + eps)
        }
    }
}

/// Linear warm-up to `maxLR` over `warmup` steps, then cosine decay to `minLR` at `total` steps.
public struct LRSchedule: Sendable {
    /// Peak rate, reached after warm-up.
    public var maxLR: Double
    /// Final rate.
    public var minLR: Double
    /// Warm-up steps.
    public var warmup: Int
    /// Steps of the whole run.
    public var total: Int

    public init(maxLR: Double, minLR: Double, warmup: Int, total: Int) {
        self.maxLR = maxLR
        self.minLR = minLR
        self.warmup = warmup
        self.total = total
    }

    /// The learning rate of step `step` (0-based).
    public func rate(at step: Int) -> Double {
        if step < warmup { return maxLR * Double(step + 1) / Double(warmup) }
        if step >= total { return minLR }
        let progress = Double(step - warmup) / Double(max(1, total - warmup))
        return minLR + 0.5 * (maxLR - minLR) * (1 + cos(Double.pi * progress))
    }
}
