// Inverted dropout (Srivastava et al. 2014) whose masks are a pure function of (seed, site,
// index): a counter-based hash instead of a stored bitmap, so the backward pass and activation
// recomputation rebuild exactly the mask the forward pass used, whatever the thread count.
import SluiceCore

/// Dropout with probability `p` for one micro-batch (`seed`); `site` names where in the model.
struct Dropout {
    let p: Float
    let seed: UInt64
    var scale: Float { 1 / (1 - p) }

    /// Sites: embeddings, then per block the attention probabilities and the two residual branches.
    static let embeddingSite: UInt64 = 1
    static func attentionSite(_ layer: Int) -> UInt64 { 16 + 4 * UInt64(layer) }
    static func attentionResidualSite(_ layer: Int) -> UInt64 { 17 + 4 * UInt64(layer) }
    static func mlpResidualSite(_ layer: Int) -> UInt64 { 18 + 4 * UInt64(layer) }

    /// The mask entry at `i` of `site` times 1/(1−p): 0 or `scale`.
    @inline(__always)
    func factor(_ site: UInt64, _ i: Int) -> Float {
        let z = SplitMix64.finalize(
            seed &+ site &* SplitMix64.increment &+ UInt64(bitPattern: Int64(i)) &* 0xD1B5_4A32_D192_ED03)
        return Float(z >> 40) * 0x1p-24 >= p ? scale : 0
    }

    /// `x[i] *= factor(site, i)` for i in 0..<n.
    func apply(_ x: FloatPointer, n: Int, site: UInt64, threads: Int) {
        parallelRanges(n, threads: threads, grain: 4096) { r in
            for i in r { x[i] *= factor(site, i) }
        }
    }

    /// `out[i] = x[i] + branch[i]·factor(site, i)`: a residual connection with a dropped branch.
    func addBranch(
        out: FloatPointer, x: UnsafePointer<Float>, branch: UnsafePointer<Float>, n: Int, site: UInt64, threads: Int
    ) {
        parallelRanges(n, threads: threads, grain: 4096) { r in
            for i in r { out[i] = x[i] + branch[i] * factor(site, i) }
        }
    }

    /// `out[i] = x[i]·factor(site, i)`.
    func masked(out: FloatPointer, _ x: UnsafePointer<Float>, n: Int, site: UInt64, offset: Int = 0, threads: Int) {
        parallelRanges(n, threads: threads, grain: 4096) { r in
            for i in r { out[i] = x[i] * factor(site, offset + i) }
        }
    }
}
