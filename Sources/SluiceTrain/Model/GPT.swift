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
    /// Called during `backward` with the gradient buffer and each range of it the pass has finished
    /// (final norm and head, then each block from the last, then the embeddings), so that
    /// data-parallel training sums a range over ranks while the rest is computed; nil: no calls.
    public var gradientsReady: ((UnsafeMutablePointer<Float>, Range<Int>) -> Void)?
    var acts: Activations?
    /// RoPE cos | sin for positions 0..<contextLength (empty with learned positions).
    let ropeTable: [Float]

    /// A model with zero parameters (fill `params` or call `initialize(seed:)`).
    public init(config: GPTConfig, threads: Int = 2) throws {
        try config.validate()
        self.config = config
        layout = ParameterLayout(config)
        params = [Float](repeating: 0, count: layout.count)
        self.threads = max(1, threads)
        dropout = Float(config.dropout)
        ropeTable =
            config.positions == .rope
            ? Kernels.ropeTable(T: config.contextLength, headSize: config.headSize, theta: config.ropeTheta) : []
    }

    /// GPT-2's initialisation: N(0, 0.02) for weights and embeddings, N(0, 0.02/√(2L)) for the
    /// two residual projections, zero biases, unit layer-norm gains. Deterministic for a seed.
    /// With `zeroInitProjections` both residual projections and an untied head start at zero.
    public func initialize(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let residStd = 0.02 / (2 * Double(config.layers)).squareRoot()
        for t in layout.tensors {
            let n = t.name
            if n.hasSuffix("ln_1.weight") || n.hasSuffix("ln_2.weight") || n == "ln_f.weight" {
                for i in t.range { params[i] = 1 }
            } else if n.hasSuffix(".bias") {
                for i in t.range { params[i] = 0 }
            } else if config.zeroInitProjections && (n.hasSuffix("c_proj.weight") || n == "lm_head.weight") {
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
    ///   - segmentStarts: packed windows (count B·T): position t of sequence b starts its example at
    ///     `segmentStarts[b·T + t]` (≤ t); it attends within its example only and its learned
    ///     position restarts there (see `Kernels+Segments.swift`). Nil: one causal sequence per row.
    @discardableResult
    public func forward(
        tokens: [Int32], targets: [Int32]?, B: Int, T: Int, recompute: Bool = false, forTraining: Bool = false,
        segmentStarts: [Int32]? = nil
    ) -> Double {
        precondition(tokens.count == B * T && (targets == nil || targets!.count == B * T))
        precondition(T <= config.contextLength)
        let a = activations(B: B, T: T, recompute: recompute || !forTraining, withGradients: forTraining)
        tokens.withUnsafeBufferPointer { a.tokens.update(from: $0.baseAddress!, count: B * T) }
        for i in 0..<(B * T) {
            precondition(tokens[i] >= 0 && Int(tokens[i]) < config.vocabSize, "token id out of range")
        }
        if let targets { targets.withUnsafeBufferPointer { a.targets.update(from: $0.baseAddress!, count: B * T) } }
        a.segmented = segmentStarts != nil
        if let segmentStarts { a.setSegments(segmentStarts) }
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
        if a.segmented {
            Kernels.encoderForward(
                out: a.resid, tokens: a.tokens, wte: P + layout.wte, wpe: opt(P, layout.wpe),
                segmentStarts: a.segmentStarts, B: B,
                T: T, C: C, threads: threads)
        } else {
            Kernels.encoderForward(
                out: a.resid, tokens: a.tokens, wte: P + layout.wte, wpe: opt(P, layout.wpe), B: B, T: T, C: C,
                threads: threads)
        }
        a.dropout?.apply(a.resid, n: BT * C, site: Dropout.embeddingSite, threads: threads)
        for l in 0..<L { blockForward(P, a, l, set: a.recompute ? 0 : l) }
        normForward(
            P, out: a.lnf, mean: a.lnfMean, rstd: a.lnfRstd, inp: a.resid + L * BT * C, w: layout.lnfw, b: layout.lnfb,
            rows: BT)
        // logits = lnf · headᵀ (head = wte when tied).
        Kernels.sgemm(
            transA: false, transB: true, m: BT, n: V, k: C, a.lnf, lda: C, P + layout.head, ldb: C, beta: 0, a.logits,
            ldc: V)
        if config.logitSoftcap > 0 {
            Kernels.softcapForward(
                a.logits, tanhOut: a.capTanh, n: BT * V, cap: Float(config.logitSoftcap), threads: threads)
        }
        if withTargets {
            Kernels.crossEntropyForward(
                logits: a.logits, losses: a.losses, targets: a.targets, rows: BT, V: V, threads: threads)
        }
    }

    private func blockForward(_ P: UnsafePointer<Float>, _ a: Activations, _ l: Int, set s: Int) {
        let C = config.width, NH = config.heads
        let B = a.B, T = a.T, BT = B * T, BTC = BT * C
        let w = layout.blocks[l], x = a.resid + l * BTC, out = a.resid + (l + 1) * BTC
        let ac = a.blocks[s]
        normForward(P, out: ac.ln1, mean: ac.ln1Mean, rstd: ac.ln1Rstd, inp: x, w: w.ln1w, b: w.ln1b, rows: BT)
        Kernels.matmulForward(
            out: ac.qkv, inp: ac.ln1, weight: P + w.qkvw, bias: opt(P, w.qkvb), rows: BT, inC: C, outC: 3 * C,
            threads: threads)
        if config.qkNorm {
            Kernels.qkNormForward(qkv: ac.qkv, rstd: ac.qkRstd, rows: BT, C: C, NH: NH, threads: threads)
        }
        if config.positions == .rope {
            ropeTable.withUnsafeBufferPointer { tb in
                Kernels.rope(
                    ac.qkv, rows: BT, T: T, C: C, NH: NH, table: tb.baseAddress!, tableT: config.contextLength,
                    threads: threads)
            }
        }
        let d = a.dropout
        if a.segmented {
            Kernels.attentionForward(
                out: ac.atty, att: ac.att, qkv: ac.qkv, segmentStarts: a.segmentStarts, B: B, T: T, C: C, NH: NH,
                threads: threads,
                dropout: d, site: Dropout.attentionSite(l), scratch: a.attScratch)
        } else {
            Kernels.attentionForward(
                out: ac.atty, att: ac.att, qkv: ac.qkv, B: B, T: T, C: C, NH: NH, threads: threads, dropout: d,
                site: Dropout.attentionSite(l), scratch: a.attScratch, causal: config.causalAttention)
        }
        if let d {
            // Dropped branch: res2 = x + m ⊙ proj(atty), the branch built in the dln scratch.
            Kernels.matmulForward(
                out: a.dln, inp: ac.atty, weight: P + w.projw, bias: opt(P, w.projb), rows: BT, inC: C, outC: C,
                threads: threads)
            d.addBranch(
                out: ac.res2, x: x, branch: a.dln, n: BTC, site: Dropout.attentionResidualSite(l), threads: threads)
        } else {
            ac.res2.update(from: x, count: BTC)
            Kernels.matmulForward(
                out: ac.res2, inp: ac.atty, weight: P + w.projw, bias: opt(P, w.projb), rows: BT, inC: C, outC: C,
                accumulate: true,
                threads: threads)
        }
        normForward(P, out: ac.ln2, mean: ac.ln2Mean, rstd: ac.ln2Rstd, inp: ac.res2, w: w.ln2w, b: w.ln2b, rows: BT)
        let F = config.mlpFCOut, H = config.mlpHidden
        Kernels.matmulForward(
            out: ac.fch, inp: ac.ln2, weight: P + w.fcw, bias: opt(P, w.fcb), rows: BT, inC: C, outC: F,
            threads: threads)
        switch config.mlp {
        case .gelu: Kernels.geluForward(out: ac.fchGelu, inp: ac.fch, n: BT * H, threads: threads)
        case .relu2: Kernels.relu2Forward(out: ac.fchGelu, inp: ac.fch, n: BT * H, threads: threads)
        case .swiglu: Kernels.swigluForward(out: ac.fchGelu, inp: ac.fch, rows: BT, H: H, threads: threads)
        }
        if let d {
            Kernels.matmulForward(
                out: a.dln, inp: ac.fchGelu, weight: P + w.fcprojw, bias: opt(P, w.fcprojb), rows: BT, inC: H, outC: C,
                threads: threads)
            d.addBranch(out: out, x: ac.res2, branch: a.dln, n: BTC, site: Dropout.mlpResidualSite(l), threads: threads)
        } else {
            out.update(from: ac.res2, count: BTC)
            Kernels.matmulForward(
                out: out, inp: ac.fchGelu, weight: P + w.fcprojw, bias: opt(P, w.fcprojb), rows: BT, inC: H, outC: C,
                accumulate: true, threads: threads)
        }
    }

    // MARK: - Architecture switches

    /// `P + offset`, or nil for a tensor the architecture does not have (offset −1).
    @inline(__always)
    func opt(_ P: UnsafePointer<Float>, _ offset: Int) -> UnsafePointer<Float>? { offset < 0 ? nil : P + offset }

    @inline(__always)
    func opt(_ G: FloatPointer, _ offset: Int) -> FloatPointer? { offset < 0 ? nil : G + offset }

    /// Layer norm or RMS norm of `rows` rows with the gain at `w` (and the bias at `b`, layer norm only).
    func normForward(
        _ P: UnsafePointer<Float>, out: FloatPointer, mean: FloatPointer?, rstd: FloatPointer?,
        inp: UnsafePointer<Float>,
        w: Int, b: Int, rows: Int
    ) {
        if config.norm == .rmsnorm {
            Kernels.rmsNormForward(
                out: out, rstd: rstd, inp: inp, weight: P + w, rows: rows, C: config.width, threads: threads)
        } else {
            Kernels.layerNormForward(
                out: out, mean: mean, rstd: rstd, inp: inp, weight: P + w, bias: P + b, rows: rows, C: config.width,
                threads: threads)
        }
    }

    /// The backward pass of `normForward`: adds to dinp and the gain's (and bias's) gradient.
    private func normBackward(
        _ P: UnsafePointer<Float>, _ G: FloatPointer, dinp: FloatPointer, dout: UnsafePointer<Float>,
        inp: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, w: Int, b: Int, rows: Int
    ) {
        if config.norm == .rmsnorm {
            Kernels.rmsNormBackward(
                dinp: dinp, dweight: G + w, dout: dout, inp: inp, weight: P + w, rstd: rstd, rows: rows,
                C: config.width,
                threads: threads)
        } else {
            Kernels.layerNormBackward(
                dinp: dinp, dweight: G + w, dbias: G + b, dout: dout, inp: inp, weight: P + w, mean: mean, rstd: rstd,
                rows: rows,
                C: config.width, threads: threads)
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
        Kernels.crossEntropyBackward(
            probs: a.logits, targets: a.targets, rows: BT, V: V, scale: scale, threads: threads)
        if config.logitSoftcap > 0, let t = a.capTanh {
            Kernels.softcapBackward(a.logits, tanh: t, n: BT * V, threads: threads)
        }
        // Output projection (head = wte when tied): dlnf = dlogits · head; dhead += dlogitsᵀ · lnf.
        Kernels.sgemm(
            transA: false, transB: false, m: BT, n: C, k: V, a.logits, lda: V, P + layout.head, ldb: C, beta: 0, a.dln,
            ldc: C)
        Kernels.sgemm(
            transA: true, transB: false, m: V, n: C, k: BT, a.logits, lda: V, a.lnf, ldb: C, beta: 1, G + layout.head,
            ldc: C)
        a.dR.update(repeating: 0, count: BTC)
        normBackward(
            P, G, dinp: a.dR, dout: a.dln, inp: a.resid + L * BTC, mean: a.lnfMean, rstd: a.lnfRstd, w: layout.lnfw,
            b: layout.lnfb, rows: BT)
        gradientsReady?(G, layout.headGradientRange)
        for l in stride(from: L - 1, through: 0, by: -1) {
            if a.recompute { blockForward(P, a, l, set: 0) }
            blockBackward(P, G, a, l, set: a.recompute ? 0 : l)
            gradientsReady?(G, layout.blockGradientRange(l))
        }
        a.dropout?.apply(a.dR, n: BTC, site: Dropout.embeddingSite, threads: threads)
        if a.segmented {
            Kernels.encoderBackward(
                dwte: G + layout.wte, dwpe: opt(G, layout.wpe), dout: a.dR, tokens: a.tokens,
                segmentStarts: a.segmentStarts, B: B,
                T: T, C: C, threads: threads)
        } else {
            Kernels.encoderBackward(
                dwte: G + layout.wte, dwpe: opt(G, layout.wpe), dout: a.dR, tokens: a.tokens, B: B, T: T, C: C,
                threads: threads)
        }
        gradientsReady?(G, layout.embeddingGradientRange)
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
        let F = config.mlpFCOut, H = config.mlpHidden
        Kernels.matmulBackward(
            dinp: a.dact, dweight: G + w.fcprojw, dbias: opt(G, w.fcprojb), dout: dBranch, inp: ac.fchGelu,
            weight: P + w.fcprojw,
            rows: BT, inC: H, outC: C, threads: threads)
        switch config.mlp {
        case .gelu: Kernels.geluBackward(dinp: a.dfch, inp: ac.fch, dout: a.dact, n: BT * H, threads: threads)
        case .relu2: Kernels.relu2Backward(dinp: a.dfch, inp: ac.fch, dout: a.dact, n: BT * H, threads: threads)
        case .swiglu: Kernels.swigluBackward(dinp: a.dfch, inp: ac.fch, dout: a.dact, rows: BT, H: H, threads: threads)
        }
        Kernels.matmulBackward(
            dinp: a.dln, dweight: G + w.fcw, dbias: opt(G, w.fcb), dout: a.dfch, inp: ac.ln2, weight: P + w.fcw,
            rows: BT,
            inC: C, outC: F, threads: threads)
        normBackward(
            P, G, dinp: a.dR, dout: a.dln, inp: ac.res2, mean: ac.ln2Mean, rstd: ac.ln2Rstd, w: w.ln2w, b: w.ln2b,
            rows: BT)
        // Attention branch: res2 = x + m ⊙ proj(attn(ln1(x))).
        dBranch = UnsafePointer(a.dR)
        if let d {
            d.masked(out: a.dln, a.dR, n: BTC, site: Dropout.attentionResidualSite(l), threads: threads)
            dBranch = UnsafePointer(a.dln)
        }
        Kernels.matmulBackward(
            dinp: a.datty, dweight: G + w.projw, dbias: opt(G, w.projb), dout: dBranch, inp: ac.atty,
            weight: P + w.projw,
            rows: BT, inC: C, outC: C, threads: threads)
        Kernels.attentionBackward(
            dqkv: a.dqkv, datt: a.datt, dout: a.datty, att: ac.att, qkv: ac.qkv, B: B, T: T, C: C, NH: NH,
            threads: threads,
            dropout: d, site: Dropout.attentionSite(l), scratch: a.attScratch, causal: config.causalAttention)
        // QK norm's backward runs on the rotated values (see `qkNormBackward`), then RoPE's transpose.
        if config.qkNorm {
            Kernels.qkNormBackward(dqkv: a.dqkv, qkv: ac.qkv, rstd: ac.qkRstd, rows: BT, C: C, NH: NH, threads: threads)
        }
        if config.positions == .rope {
            ropeTable.withUnsafeBufferPointer { tb in
                Kernels.rope(
                    a.dqkv, rows: BT, T: T, C: C, NH: NH, table: tb.baseAddress!, tableT: config.contextLength,
                    inverse: true,
                    threads: threads)
            }
        }
        Kernels.matmulBackward(
            dinp: a.dln, dweight: G + w.qkvw, dbias: opt(G, w.qkvb), dout: a.dqkv, inp: ac.ln1, weight: P + w.qkvw,
            rows: BT,
            inC: C, outC: 3 * C, threads: threads)
        normBackward(
            P, G, dinp: a.dR, dout: a.dln, inp: x, mean: ac.ln1Mean, rstd: ac.ln1Rstd, w: w.ln1w, b: w.ln1b, rows: BT)
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
