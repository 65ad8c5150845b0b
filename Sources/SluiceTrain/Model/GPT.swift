// The GPT-2 model: one flat parameter buffer (and one gradient buffer) cut by `ParameterLayout`,
// a hand-written forward and backward pass over the kernels, optional activation recomputation.
// It does not sample batches or update weights: `Trainer` and `AdamW` do.
import Foundation
import SluiceCore

/// A decoder-only transformer in the GPT-2 layout with parameters in one flat `[Float]`.
public final class GPT {
    /// The model shape.
    public let config: GPTConfig
    /// Offsets of the named tensors in `params` and `grads`.
    public let layout: ParameterLayout
    /// All parameters, tensors at `layout` offsets.
    public var params: [Float]
    /// Gradients, same layout; empty until `prepareTraining`.
    public var grads: [Float] = []
    /// Threads for the hand-written kernels (OpenBLAS has its own setting, see `BLAS.setThreads`).
    public var threads: Int
    /// Dropout probability of training passes (embeddings, attention probabilities, both residual
    /// branches, as GPT-2); starts at `config.dropout`. Evaluation passes never drop.
    public var dropout: Float
    /// Seed of the next training pass's dropout masks (the trainer sets it per micro-batch).
    public var dropoutSeed: UInt64 = 0
    var acts: Activations?

    /// A model with zero parameters (fill `params` or call `initialize(seed:)`).
    public init(config: GPTConfig, threads: Int = 2) throws {
        try config.validate()
        self.config = config
        layout = ParameterLayout(config)
        params = [Float](repeating: 0, count: layout.count)
        self.threads = max(1, threads)
        dropout = Float(config.dropout)
    }

    /// GPT-2's initialisation: N(0, 0.02) for weights and embeddings, N(0, 0.02/√(2L)) for the
    /// two residual projections, zero biases, unit layer-norm gains. Deterministic for a seed.
    public func initialize(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let residStd = 0.02 / (2 * Double(config.layers)).squareRoot()
        for t in layout.tensors {
            let n = t.name
            if n.hasSuffix("ln_1.weight") || n.hasSuffix("ln_2.weight") || n == "ln_f.weight" {
                for i in t.range { params[i] = 1 }
            } else if n.hasSuffix(".bias") {
                for i in t.range { params[i] = 0 }
            } else {
                let std = n.hasSuffix("c_proj.weight") ? residStd : 0.02
                for i in t.range { params[i] = Float(rng.nextGaussian() * std) }
            }
        }
    }

    /// Allocates the gradient buffer.
    public func prepareTraining() {
        if grads.count != params.count { grads = [Float](repeating: 0, count: params.count) }
    }

    /// Sets all gradients to zero.
    public func zeroGradients() {
        grads.withUnsafeMutableBufferPointer { g in
            let base = g.baseAddress!
            parallelRanges(g.count, threads: threads, grain: 1 << 16) { r in
                (base + r.lowerBound).update(repeating: 0, count: r.count)
            }
        }
    }

    func activations(B: Int, T: Int, recompute: Bool, withGradients: Bool) -> Activations {
        if let a = acts, a.B == B, a.T == T, !a.recompute || recompute, a.withGradients || !withGradients { return a }
        acts = nil
        let a = Activations(config: config, B: B, T: T, recompute: recompute, withGradients: withGradients)
        acts = a
        return a
    }

    /// Frees the activation buffers.
    public func releaseActivations() { acts = nil }

    // MARK: - Forward

    /// Runs the model over `B` sequences of `T` tokens (row-major `tokens`, count B·T).
    ///
    /// With `targets` (same shape; −1 ignores a position) it computes per-position losses and
    /// returns their mean over non-ignored positions; without, it returns 0 and leaves logits only.
    /// Probabilities (softmax of the logits) are in `lastProbabilities` afterwards when targets are given,
    /// raw logits when not.
    /// - Parameters:
    ///   - recompute: keep only one block's activations (for training, see `backward`).
    ///   - forTraining: allocate the gradient scratch so `backward` can follow.
    @discardableResult
    public func forward(
        tokens: [Int32], targets: [Int32]?, B: Int, T: Int, recompute: Bool = false, forTraining: Bool = false
    ) -> Double {
        precondition(tokens.count == B * T && (targets == nil || targets!.count == B * T))
        precondition(T <= config.contextLength)
        let a = activations(B: B, T: T, recompute: recompute || !forTraining, withGradients: forTraining)
        tokens.withUnsafeBufferPointer { a.tokens.update(from: $0.baseAddress!, count: B * T) }
        for i in 0..<(B * T) { precondition(tokens[i] >= 0 && Int(tokens[i]) < config.vocabSize, "token id out of range") }
        if let targets { targets.withUnsafeBufferPointer { a.targets.update(from: $0.baseAddress!, count: B * T) } }
        a.dropout = forTraining && dropout > 0 ? Dropout(p: dropout, seed: dropoutSeed) : nil
        params.withUnsafeBufferPointer { P in forwardPass(P.baseAddress!, a, withTargets: targets != nil) }
        guard let targets else { return 0 }
        var sum = 0.0, n = 0
        for i in 0..<(B * T) where targets[i] >= 0 {
            sum += Double(a.losses[i])
            n += 1
        }
        return n == 0 ? 0 : sum / Double(n)
    }

    /// Per-position losses of the last forward pass with targets (count B·T).
    public var lastLosses: [Float] {
        guard let a = acts else { return [] }
        return Array(UnsafeBufferPointer(start: a.losses, count: a.B * a.T))
    }

    /// The logits (or probabilities, after a pass with targets) of row `r` of the last pass.
    public func lastRow(_ r: Int) -> UnsafeBufferPointer<Float> {
        let a = acts!
        precondition(r < a.B * a.T)
        return UnsafeBufferPointer(start: a.logits + r * config.vocabSize, count: config.vocabSize)
    }

    private func forwardPass(_ P: UnsafePointer<Float>, _ a: Activations, withTargets: Bool) {
        let C = config.width, V = config.vocabSize, L = config.layers
        let B = a.B, T = a.T, BT = B * T
        Kernels.encoderForward(out: a.resid, tokens: a.tokens, wte: P + layout.wte, wpe: P + layout.wpe, B: B, T: T, C: C, threads: threads)
        a.dropout?.apply(a.resid, n: BT * C, site: Dropout.embeddingSite, threads: threads)
        for l in 0..<L { blockForward(P, a, l, set: a.recompute ? 0 : l) }
        Kernels.layerNormForward(
            out: a.lnf, mean: a.lnfMean, rstd: a.lnfRstd, inp: a.resid + L * BT * C, weight: P + layout.lnfw,
            bias: P + layout.lnfb, rows: BT, C: C, threads: threads)
        // logits = lnf · wteᵀ (the tied output projection).
        Kernels.sgemm(transA: false, transB: true, m: BT, n: V, k: C, a.lnf, lda: C, P + layout.wte, ldb: C, beta: 0, a.logits, ldc: V)
        if withTargets {
            Kernels.crossEntropyForward(logits: a.logits, losses: a.losses, targets: a.targets, rows: BT, V: V, threads: threads)
        }
    }

    private func blockForward(_ P: UnsafePointer<Float>, _ a: Activations, _ l: Int, set s: Int) {
        let C = config.width, NH = config.heads
        let B = a.B, T = a.T, BT = B * T, BTC = BT * C
        let w = layout.blocks[l], x = a.resid + l * BTC, out = a.resid + (l + 1) * BTC
        let ac = a.blocks[s]
        Kernels.layerNormForward(
            out: ac.ln1, mean: ac.ln1Mean, rstd: ac.ln1Rstd, inp: x, weight: P + w.ln1w, bias: P + w.ln1b, rows: BT, C: C,
            threads: threads)
        Kernels.matmulForward(out: ac.qkv, inp: ac.ln1, weight: P + w.qkvw, bias: P + w.qkvb, rows: BT, inC: C, outC: 3 * C, threads: threads)
        let d = a.dropout
        Kernels.attentionForward(
            out: ac.atty, att: ac.att, qkv: ac.qkv, B: B, T: T, C: C, NH: NH, threads: threads, dropout: d,
            site: Dropout.attentionSite(l), scratch: a.attScratch)
        if let d {
            // Dropped branch: res2 = x + m ⊙ proj(atty), the branch built in the dln scratch.
            Kernels.matmulForward(out: a.dln, inp: ac.atty, weight: P + w.projw, bias: P + w.projb, rows: BT, inC: C, outC: C, threads: threads)
            d.addBranch(out: ac.res2, x: x, branch: a.dln, n: BTC, site: Dropout.attentionResidualSite(l), threads: threads)
        } else {
            ac.res2.update(from: x, count: BTC)
            Kernels.matmulForward(
                out: ac.res2, inp: ac.atty, weight: P + w.projw, bias: P + w.projb, rows: BT, inC: C, outC: C, accumulate: true,
                threads: threads)
        }
        Kernels.layerNormForward(
            out: ac.ln2, mean: ac.ln2Mean, rstd: ac.ln2Rstd, inp: ac.res2, weight: P + w.ln2w, bias: P + w.ln2b, rows: BT,
            C: C, threads: threads)
        Kernels.matmulForward(out: ac.fch, inp: ac.ln2, weight: P + w.fcw, bias: P + w.fcb, rows: BT, inC: C, outC: 4 * C, threads: threads)
        Kernels.geluForward(out: ac.fchGelu, inp: ac.fch, n: 4 * BTC, threads: threads)
        if let d {
            Kernels.matmulForward(
                out: a.dln, inp: ac.fchGelu, weight: P + w.fcprojw, bias: P + w.fcprojb, rows: BT, inC: 4 * C, outC: C, threads: threads)
            d.addBranch(out: out, x: ac.res2, branch: a.dln, n: BTC, site: Dropout.mlpResidualSite(l), threads: threads)
        } else {
            out.update(from: ac.res2, count: BTC)
            Kernels.matmulForward(
                out: out, inp: ac.fchGelu, weight: P + w.fcprojw, bias: P + w.fcprojb, rows: BT, inC: 4 * C, outC: C,
                accumulate: true, threads: threads)
        }
    }

    // MARK: - Backward

    /// Back-propagates the last `forward(…, forTraining: true)` with targets and **adds** the
    /// gradient of `lossScale × mean loss` to `grads` (so micro-batches accumulate).
    public func backward(lossScale: Float = 1) {
        guard let a = acts, a.withGradients else { preconditionFailure("backward needs forward(forTraining: true)") }
        prepareTraining()
        let BT = a.B * a.T
        var counted = 0
        for i in 0..<BT where a.targets[i] >= 0 { counted += 1 }
        let scale = lossScale / Float(max(counted, 1))
        params.withUnsafeBufferPointer { P in
            grads.withUnsafeMutableBufferPointer { G in
                backwardPass(P.baseAddress!, G.baseAddress!, a, scale: scale)
            }
        }
    }

    private func backwardPass(_ P: UnsafePointer<Float>, _ G: FloatPointer, _ a: Activations, scale: Float) {
        let C = config.width, V = config.vocabSize, L = config.layers
        let B = a.B, T = a.T, BT = B * T, BTC = BT * C
        Kernels.crossEntropyBackward(probs: a.logits, targets: a.targets, rows: BT, V: V, scale: scale, threads: threads)
        // Tied output projection: dlnf = dlogits · wte; dwte += dlogitsᵀ · lnf.
        Kernels.sgemm(transA: false, transB: false, m: BT, n: C, k: V, a.logits, lda: V, P + layout.wte, ldb: C, beta: 0, a.dln, ldc: C)
        Kernels.sgemm(transA: true, transB: false, m: V, n: C, k: BT, a.logits, lda: V, a.lnf, ldb: C, beta: 1, G + layout.wte, ldc: C)
        a.dR.update(repeating: 0, count: BTC)
        Kernels.layerNormBackward(
            dinp: a.dR, dweight: G + layout.lnfw, dbias: G + layout.lnfb, dout: a.dln, inp: a.resid + L * BTC,
            weight: P + layout.lnfw, mean: a.lnfMean, rstd: a.lnfRstd, rows: BT, C: C, threads: threads)
        for l in stride(from: L - 1, through: 0, by: -1) {
            if a.recompute { blockForward(P, a, l, set: 0) }
            blockBackward(P, G, a, l, set: a.recompute ? 0 : l)
        }
        a.dropout?.apply(a.dR, n: BTC, site: Dropout.embeddingSite, threads: threads)
        Kernels.encoderBackward(dwte: G + layout.wte, dwpe: G + layout.wpe, dout: a.dR, tokens: a.tokens, B: B, T: T, C: C, threads: threads)
    }

    /// One block backward; on entry `dR` is the gradient of the block's output, on exit of its input.
    private func blockBackward(_ P: UnsafePointer<Float>, _ G: FloatPointer, _ a: Activations, _ l: Int, set s: Int) {
        let C = config.width, NH = config.heads
        let B = a.B, T = a.T, BT = B * T, BTC = BT * C
        let w = layout.blocks[l], ac = a.blocks[s], x = a.resid + l * BTC
        let d = a.dropout
        // MLP branch: out = res2 + m ⊙ fcproj(gelu(fc(ln2(res2)))); the branch's gradient is m ⊙ dR.
        var dBranch = UnsafePointer(a.dR)
        if let d {
            d.masked(out: a.dln, a.dR, n: BTC, site: Dropout.mlpResidualSite(l), threads: threads)
            dBranch = UnsafePointer(a.dln)
        }
        Kernels.matmulBackward(
            dinp: a.dfch, dweight: G + w.fcprojw, dbias: G + w.fcprojb, dout: dBranch, inp: ac.fchGelu, weight: P + w.fcprojw,
            rows: BT, inC: 4 * C, outC: C, threads: threads)
        Kernels.geluBackward(dinp: a.dfch, inp: ac.fch, dout: a.dfch, n: 4 * BTC, threads: threads)
        Kernels.matmulBackward(
            dinp: a.dln, dweight: G + w.fcw, dbias: G + w.fcb, dout: a.dfch, inp: ac.ln2, weight: P + w.fcw, rows: BT,
            inC: C, outC: 4 * C, threads: threads)
        Kernels.layerNormBackward(
            dinp: a.dR, dweight: G + w.ln2w, dbias: G + w.ln2b, dout: a.dln, inp: ac.res2, weight: P + w.ln2w,
            mean: ac.ln2Mean, rstd: ac.ln2Rstd, rows: BT, C: C, threads: threads)
        // Attention branch: res2 = x + m ⊙ proj(attn(ln1(x))).
        dBranch = UnsafePointer(a.dR)
        if let d {
            d.masked(out: a.dln, a.dR, n: BTC, site: Dropout.attentionResidualSite(l), threads: threads)
            dBranch = UnsafePointer(a.dln)
        }
        Kernels.matmulBackward(
            dinp: a.datty, dweight: G + w.projw, dbias: G + w.projb, dout: dBranch, inp: ac.atty, weight: P + w.projw,
            rows: BT, inC: C, outC: C, threads: threads)
        Kernels.attentionBackward(
            dqkv: a.dqkv, datt: a.datt, dout: a.datty, att: ac.att, qkv: ac.qkv, B: B, T: T, C: C, NH: NH, threads: threads,
            dropout: d, site: Dropout.attentionSite(l), scratch: a.attScratch)
        Kernels.matmulBackward(
            dinp: a.dln, dweight: G + w.qkvw, dbias: G + w.qkvb, dout: a.dqkv, inp: ac.ln1, weight: P + w.qkvw, rows: BT,
            inC: C, outC: 3 * C, threads: threads)
        Kernels.layerNormBackward(
            dinp: a.dR, dweight: G + w.ln1w, dbias: G + w.ln1b, dout: a.dln, inp: x, weight: P + w.ln1w,
            mean: ac.ln1Mean, rstd: ac.ln1Rstd, rows: BT, C: C, threads: threads)
    }

    // MARK: - Gradient utilities

    /// √Σg² over all gradients, summed in Double over 64 fixed chunks (same result for any thread count).
    public func gradientNorm() -> Double {
        grads.withUnsafeBufferPointer { g in
            let chunks = 64, n = g.count
            var partial = [Double](repeating: 0, count: chunks)
            partial.withUnsafeMutableBufferPointer { out in
                let o = out.baseAddress!, base = g.baseAddress!
                parallelRanges(chunks, threads: threads) { cs in
                    for c in cs {
                        var s = 0.0
                        for i in (n * c / chunks)..<(n * (c + 1) / chunks) { s += Double(base[i]) * Double(base[i]) }
                        o[c] = s
                    }
                }
            }
            return partial.reduce(0, +).squareRoot()
        }
    }

    /// Multiplies every gradient by `factor` (gradient clipping).
    public func scaleGradients(_ factor: Float) {
        grads.withUnsafeMutableBufferPointer { g in
            let base = g.baseAddress!
            parallelRanges(g.count, threads: threads, grain: 1 << 16) { r in
                for i in r { base[i] *= factor }
            }
        }
    }
}

