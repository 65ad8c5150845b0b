// Continuous batching: several sequences, each with its own key/value cache and position, advance
// together. Every linear layer, the head included, runs once over the rows of all sequences through
// `decodeLinear` (F32 or INT8 weights of a `DecodeModel`); attention runs per sequence over its own
// cache. A new sequence's prompt rides in the same step as the others' single tokens. `Generator` is
// this decoder with one slot, so for one sequence the arithmetic is the same, operation for operation.
// It does not schedule or sample: `DecodingSequence` samples, a server schedules.
import Foundation
import SluiceCore

/// Incremental inference for up to `slots` sequences at once, each with its own KV cache, over F32
/// or INT8 weights (`DecodeModel`).
public final class BatchDecoder {
    /// The weights decoded with.
    public let model: DecodeModel
    /// Sequences that can hold a cache at once.
    public let slots: Int
    let C: Int, T: Int
    /// Per slot: keys | values of every layer, (L, T, C) each; allocated on a slot's first use.
    var caches: [UnsafeMutablePointer<Float>?]
    var scratch: [UnsafeMutablePointer<Float>] = []
    var scratchRows = 0, scratchSeqs = 0

    /// One sequence's work in a step: `tokens` at positions `start…` of the cache of `slot`.
    public struct Input: Sendable {
        public var slot: Int
        public var tokens: [Int32]
        public var start: Int
        public init(slot: Int, tokens: [Int32], start: Int) {
            self.slot = slot
            self.tokens = tokens
            self.start = start
        }
    }

    /// A decoder over `model`'s F32 weights (its parameter buffer is shared, not copied).
    public convenience init(model: GPT, slots: Int) { self.init(model: DecodeModel(model: model), slots: slots) }

    /// A decoder over `model`'s weights (F32 or INT8) with `slots` caches.
    public init(model: DecodeModel, slots: Int) {
        precondition(slots > 0)
        self.model = model
        self.slots = slots
        C = model.config.width
        T = model.config.contextLength
        caches = Array(repeating: nil, count: slots)
    }

    deinit {
        for c in caches { c?.deallocate() }
        for s in scratch { s.deallocate() }
    }

    /// Bytes of one slot's cache (keys and values of every layer).
    public var bytesPerSlot: Int { 2 * model.config.layers * T * C * MemoryLayout<Float>.stride }

    func cache(_ slot: Int) -> UnsafeMutablePointer<Float> {
        if let c = caches[slot] { return c }
        let n = 2 * model.config.layers * T * C
        let c = UnsafeMutablePointer<Float>.allocate(capacity: n)
        c.initialize(repeating: 0, count: n)
        caches[slot] = c
        return c
    }

    /// Frees the cache memory of `slot` (it is allocated again when used).
    public func release(slot: Int) {
        caches[slot]?.deallocate()
        caches[slot] = nil
    }

    /// Scratch for `rows` rows over `seqs` sequences: x, h, r, a (rows·C), qkv (rows·3C),
    /// fc (rows·F), fcg (rows·H), qkRstd (rows·2NH), lnf (seqs·C), logits (seqs·V).
    func ensureScratch(rows: Int, seqs: Int) {
        guard rows > scratchRows || seqs > scratchSeqs else { return }
        for s in scratch { s.deallocate() }
        let cfg = model.config
        scratchRows = max(rows, scratchRows)
        scratchSeqs = max(seqs, scratchSeqs)
        let n = scratchRows, s = scratchSeqs
        let sizes = [
            n * C, n * C, n * C, n * C, n * 3 * C, n * cfg.mlpFCOut, n * cfg.mlpHidden, n * 2 * cfg.heads, s * C,
            s * cfg.vocabSize,
        ]
        scratch = sizes.map {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: $0)
            p.initialize(repeating: 0, count: $0)
            return p
        }
    }

    /// Runs every input's tokens through the model, writing their keys and values into their slots'
    /// caches, and returns for each input the logits of its last token (V floats), in input order.
    /// - Precondition: distinct slots, at least one token each, `start + tokens.count ≤ context`.
    public func step(_ inputs: [Input]) -> [[Float]] {
        let S = inputs.count
        guard S > 0 else { return [] }
        let cfg = model.config, L = cfg.layers, NH = cfg.heads, hs = cfg.headSize, V = cfg.vocabSize
        let H = cfg.mlpHidden, th = model.threads
        // Row ranges: sequence s owns rows rowStart[s] ..< rowStart[s + 1].
        var rowStart = [0]
        for (i, inp) in inputs.enumerated() {
            precondition(
                !inp.tokens.isEmpty && inp.start >= 0 && inp.start + inp.tokens.count <= T, "KV cache overflow")
            precondition(inp.slot >= 0 && inp.slot < slots, "no such slot")
            precondition(!inputs[..<i].contains { $0.slot == inp.slot }, "slot used twice in one step")
            rowStart.append(rowStart[i] + inp.tokens.count)
        }
        let N = rowStart[S]
        ensureScratch(rows: N, seqs: S)
        let x = scratch[0], h = scratch[1], r = scratch[2], a = scratch[3], q = scratch[4], f = scratch[5],
            fg = scratch[6]
        let qr = scratch[7], lnf = scratch[8], lg = scratch[9]
        let cachePtrs = inputs.map { cache($0.slot) }
        let layerStride = T * C, kvStride = L * T * C
        // Token row + position row: F32 rows are copied, INT8 rows dequantized (the position row
        // goes through h, which the first norm overwrites).
        for (s, inp) in inputs.enumerated() {
            for (i, tok) in inp.tokens.enumerated() {
                let row = rowStart[s] + i
                model.wte.embeddingRow(Int(tok), into: x + row * C)
                if let wpe = model.wpe {
                    let e = x + row * C, pe = h + row * C
                    wpe.embeddingRow(inp.start + i, into: pe)
                    for c in 0..<C { e[c] = e[c] + pe[c] }
                }
            }
        }
        model.vectors.withUnsafeBufferPointer { PB in
            let P = PB.baseAddress!
            model.ropeTable.withUnsafeBufferPointer { RT in
                for l in 0..<L {
                    let w = model.blocks[l]
                    model.normForward(P, out: h, inp: x, w: w.ln1w, b: w.ln1b, rows: N)
                    decodeLinear(h, rows: N, w.qkv, bias: model.opt(P, w.qkvb), out: q, threads: th)
                    if cfg.qkNorm { Kernels.qkNormForward(qkv: q, rstd: qr, rows: N, C: C, NH: NH, threads: th) }
                    for s in 0..<S {
                        let r0 = rowStart[s], n = rowStart[s + 1] - r0, p0 = inputs[s].start
                        if cfg.positions == .rope {
                            // Rows r0… are positions p0…p0+n−1.
                            Kernels.rope(
                                q + r0 * 3 * C, rows: n, T: n, start: p0, C: C, NH: NH, table: RT.baseAddress!,
                                tableT: T, threads: th)
                        }
                        let kc = cachePtrs[s] + l * layerStride, vc = cachePtrs[s] + kvStride + l * layerStride
                        for i in 0..<n {
                            (kc + (p0 + i) * C).update(from: q + (r0 + i) * 3 * C + C, count: C)
                            (vc + (p0 + i) * C).update(from: q + (r0 + i) * 3 * C + 2 * C, count: C)
                        }
                    }
                    // Attention per sequence over its own cache; sequences are independent rows.
                    parallelRanges(S, threads: th) { range in
                        for s in range {
                            let r0 = rowStart[s], n = rowStart[s + 1] - r0
                            let kc = cachePtrs[s] + l * layerStride, vc = cachePtrs[s] + kvStride + l * layerStride
                            Self.attend(
                                out: a + r0 * C, q: q + r0 * 3 * C, kc: kc, vc: vc, n: n, p0: inputs[s].start, C: C,
                                NH: NH, hs: hs)
                        }
                    }
                    r.update(from: x, count: N * C)
                    decodeLinear(a, rows: N, w.proj, bias: model.opt(P, w.projb), out: r, accumulate: true, threads: th)
                    model.normForward(P, out: h, inp: r, w: w.ln2w, b: w.ln2b, rows: N)
                    decodeLinear(h, rows: N, w.fc, bias: model.opt(P, w.fcb), out: f, threads: th)
                    switch cfg.mlp {
                    case .gelu: Kernels.geluForward(out: fg, inp: f, n: N * H, threads: th)
                    case .relu2: Kernels.relu2Forward(out: fg, inp: f, n: N * H, threads: th)
                    case .swiglu: Kernels.swigluForward(out: fg, inp: f, rows: N, H: H, threads: th)
                    }
                    x.update(from: r, count: N * C)
                    decodeLinear(
                        fg, rows: N, w.fcproj, bias: model.opt(P, w.fcprojb), out: x, accumulate: true, threads: th)
                }
            }
            // The final norm and the head on each sequence's last row only.
            for s in 0..<S {
                model.normForward(
                    P, out: lnf + s * C, inp: x + (rowStart[s + 1] - 1) * C, w: model.lnfw, b: model.lnfb, rows: 1)
            }
        }
        decodeLinear(lnf, rows: S, model.head, out: lg, threads: th)
        if cfg.logitSoftcap > 0 {
            Kernels.softcapForward(lg, tanhOut: nil, n: S * V, cap: Float(cfg.logitSoftcap), threads: 1)
        }
        return (0..<S).map { s in Array(UnsafeBufferPointer(start: lg + s * V, count: V)) }
    }

    /// Causal attention of `n` new rows (positions p0…) over the cached keys/values 0…p0+i.
    static func attend(
        out: FloatPointer, q: UnsafePointer<Float>, kc: UnsafePointer<Float>, vc: UnsafePointer<Float>, n: Int, p0: Int,
        C: Int, NH: Int, hs: Int
    ) {
        let scale = 1 / Float(hs).squareRoot()
        var scores = [Float](repeating: 0, count: p0 + n)
        for i in 0..<n {
            let p = p0 + i
            for hd in 0..<NH {
                let qi = q + i * 3 * C + hd * hs
                var mx = -Float.infinity
                for t in 0...p {
                    let k = kc + t * C + hd * hs
                    var s: Float = 0
                    for d in 0..<hs { s += qi[d] * k[d] }
                    s *= scale
                    scores[t] = s
                    mx = max(mx, s)
                }
                var sum: Float = 0
                for t in 0...p {
                    scores[t] = exp1(scores[t] - mx)
                    sum += scores[t]
                }
                let o = out + i * C + hd * hs
                for d in 0..<hs { o[d] = 0 }
                for t in 0...p {
                    let wgt = scores[t] / sum, v = vc + t * C + hd * hs
                    for d in 0..<hs { o[d] += wgt * v[d] }
                }
            }
        }
    }
}

/// Why a sequence stopped.
public enum FinishReason: String, Sendable {
    /// The end-of-text id was sampled.
    case stop
    /// `maxTokens` were generated.
    case length
}

/// One sequence's sampling state, driven by whoever owns a `BatchDecoder` slot: `input` says what
/// to run next, `advance(logits:)` samples from the result. The ids it produces for a prompt, seed
/// and options are exactly `Generator.generate`'s (same sampler, same rebuild of a full context
/// from its last half).
public struct DecodingSequence: Sendable {
    public let options: SamplingOptions
    let T: Int
    var rng: SplitMix64
    /// Prompt and generated ids.
    public private(set) var all: [Int32]
    /// Generated ids.
    public private(set) var generated: [Int32] = []
    /// Positions filled in this sequence's cache.
    public private(set) var cacheLength = 0
    /// Ids to run next (the prompt first, then the last sampled id).
    public private(set) var pending: [Int32]
    /// Set once the sequence has stopped.
    public private(set) var finish: FinishReason?

    /// A sequence for `prompt` in a model of context `contextLength` (an empty prompt starts from
    /// the stop id, or 0, as `Generator` does; a longer one keeps its last `contextLength` ids).
    public init(prompt: [Int32], options: SamplingOptions, contextLength: Int) {
        self.options = options
        T = contextLength
        rng = SplitMix64(seed: options.seed)
        all = prompt.isEmpty ? [options.stopID ?? 0] : prompt
        pending = Array(all.suffix(T))
        if options.maxTokens <= 0 { finish = .length }
    }

    /// The decoder input for this step in `slot`.
    public func input(slot: Int) -> BatchDecoder.Input { .init(slot: slot, tokens: pending, start: cacheLength) }

    /// Takes the logits of the step that ran `pending` and samples the next id (nil when the
    /// sequence stops instead).
    public mutating func advance(logits: [Float]) -> Int32? {
        precondition(finish == nil, "sequence already finished")
        cacheLength += pending.count
        let next = Generator.sample(logits, options: options, rng: &rng)
        if let stop = options.stopID, next == stop {
            finish = .stop
            return nil
        }
        generated.append(next)
        all.append(next)
        if generated.count >= options.maxTokens { finish = .length }
        if cacheLength == T {
            // Context full: rebuild the cache from the most recent half (as `Generator.generate`).
            cacheLength = 0
            pending = Array(all.suffix(T / 2))
        } else {
            pending = [next]
        }
        return next
    }

    /// Stops the sequence early (a stop string, a filter, a client gone).
    public mutating func end(_ reason: FinishReason) { if finish == nil { finish = reason } }
}

extension BatchDecoder {
    /// Continues every prompt together, one batched step per token, each sequence in its own slot
    /// (at most `slots` prompts). Returns the generated ids of each, as `Generator.generate` would.
    public func generate(prompts: [[Int32]], options: [SamplingOptions]) -> [[Int32]] {
        precondition(prompts.count == options.count && prompts.count <= slots)
        var seqs = zip(prompts, options).map { DecodingSequence(prompt: $0, options: $1, contextLength: T) }
        while true {
            let live = seqs.indices.filter { seqs[$0].finish == nil }
            if live.isEmpty { break }
            let logits = step(live.map { seqs[$0].input(slot: $0) })
            for (k, i) in live.enumerated() { _ = seqs[i].advance(logits: logits[k]) }
        }
        return seqs.map(\.generated)
    }
}
