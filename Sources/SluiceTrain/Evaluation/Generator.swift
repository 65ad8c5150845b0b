// Sampling text from a model with a key/value cache: the prompt runs once, then each new token
// costs one row through the blocks, attending to cached keys and values. Temperature, top-k,
// top-p (nucleus, Holtzman et al. 2020) and a seed. When the context fills, the cache is rebuilt
// from the last half of the tokens.
import Foundation
import SluiceCore

/// Sampling settings.
public struct SamplingOptions: Sendable {
    /// Tokens generated at most.
    public var maxTokens = 64
    /// 0 means greedy.
    public var temperature = 1.0
    /// Keep the k most likely tokens (0: all).
    public var topK = 0
    /// Keep the smallest set whose probability reaches p (1: all).
    public var topP = 1.0
    /// Seed of the sampler.
    public var seed: UInt64 = 1
    /// Stop at this id (not emitted).
    public var stopID: Int32?
    public init() {}
}

/// Incremental GPT-2 inference with a KV cache for one sequence, over F32 or INT8 weights
/// (`DecodeModel`); every matrix multiply goes through `decodeLinear`.
public final class Generator {
    /// The weights decoded with.
    public let decoder: DecodeModel
    let C: Int, T: Int
    /// Per layer: keys and values of cached positions, (T, C) each.
    var kCache: [[Float]], vCache: [[Float]]
    /// Positions in the cache.
    public private(set) var length = 0
    var scratch: [Float] = []

    /// A generator over `model`'s F32 weights (shared, not copied).
    public convenience init(model: GPT) { self.init(decoder: DecodeModel(model: model)) }

    /// A generator over `decoder`'s weights (F32 or INT8).
    public init(decoder: DecodeModel) {
        self.decoder = decoder
        C = decoder.config.width
        T = decoder.config.contextLength
        kCache = Array(repeating: [Float](repeating: 0, count: T * C), count: decoder.config.layers)
        vCache = kCache
    }

    /// Empties the cache.
    public func reset() { length = 0 }

    /// Runs `tokens` at positions `length…` through the model, appends their keys and values to
    /// the cache, and returns the logits of the last one (V floats).
    public func append(_ tokens: [Int32]) -> [Float] {
        let n = tokens.count
        precondition(n > 0 && length + n <= T, "KV cache overflow")
        let model = decoder, cfg = model.config, L = cfg.layers, NH = cfg.heads, hs = cfg.headSize, V = cfg.vocabSize
        let F = cfg.mlpFCOut, H = cfg.mlpHidden
        let th = model.threads, p0 = length
        var x = [Float](repeating: 0, count: n * C), h = x, res2 = x, atty = x
        var qkv = [Float](repeating: 0, count: n * 3 * C), fc = [Float](repeating: 0, count: n * F)
        var fcg = [Float](repeating: 0, count: n * H), qkRstd = [Float](repeating: 0, count: n * 2 * NH)
        var logits = [Float](repeating: 0, count: V)
        var lnf = [Float](repeating: 0, count: C)
        var row = [Float](repeating: 0, count: C)
        model.vectors.withUnsafeBufferPointer { PB in
            let P = PB.baseAddress!
            x.withUnsafeMutableBufferPointer { X in
                let x = X.baseAddress!
                row.withUnsafeMutableBufferPointer { RB in
                    let e = RB.baseAddress!
                    for i in 0..<n {
                        // Token row (+ position row): F32 rows are copied, INT8 rows dequantized.
                        model.wte.embeddingRow(Int(tokens[i]), into: e)
                        if let wpe = model.wpe {
                            wpe.embeddingRow(p0 + i, into: x + i * C)
                            for c in 0..<C { x[i * C + c] = e[c] + x[i * C + c] }
                        } else {
                            (x + i * C).update(from: e, count: C)
                        }
                    }
                }
                h.withUnsafeMutableBufferPointer { H_ in
                    qkv.withUnsafeMutableBufferPointer { Q in
                        atty.withUnsafeMutableBufferPointer { A in
                            res2.withUnsafeMutableBufferPointer { R in
                                fc.withUnsafeMutableBufferPointer { F_ in
                                    fcg.withUnsafeMutableBufferPointer { FG in
                                        qkRstd.withUnsafeMutableBufferPointer { QR in
                                            model.ropeTable.withUnsafeBufferPointer { RT in
                                                let h = H_.baseAddress!, q = Q.baseAddress!, a = A.baseAddress!,
                                                    r = R.baseAddress!
                                                let f = F_.baseAddress!, fg = FG.baseAddress!
                                                for l in 0..<L {
                                                    let w = model.blocks[l]
                                                    model.normForward(P, out: h, inp: x, w: w.ln1w, b: w.ln1b, rows: n)
                                                    decodeLinear(
                                                        h, rows: n, w.qkv, bias: model.opt(P, w.qkvb), out: q,
                                                        threads: th)
                                                    if cfg.qkNorm {
                                                        Kernels.qkNormForward(
                                                            qkv: q, rstd: QR.baseAddress!, rows: n, C: C, NH: NH,
                                                            threads: th)
                                                    }
                                                    if cfg.positions == .rope {
                                                        // Rows are positions p0…p0+n−1.
                                                        Kernels.rope(
                                                            q, rows: n, T: n, start: p0, C: C, NH: NH,
                                                            table: RT.baseAddress!, tableT: T,
                                                            threads: th)
                                                    }
                                                    kCache[l].withUnsafeMutableBufferPointer { KB in
                                                        vCache[l].withUnsafeMutableBufferPointer { VB in
                                                            let kc = KB.baseAddress!, vc = VB.baseAddress!
                                                            for i in 0..<n {
                                                                (kc + (p0 + i) * C).update(
                                                                    from: q + i * 3 * C + C, count: C)
                                                                (vc + (p0 + i) * C).update(
                                                                    from: q + i * 3 * C + 2 * C, count: C)
                                                            }
                                                            Generator.attend(
                                                                out: a, q: q, kc: kc, vc: vc, n: n, p0: p0, C: C,
                                                                NH: NH, hs: hs)
                                                        }
                                                    }
                                                    r.update(from: x, count: n * C)
                                                    decodeLinear(
                                                        a, rows: n, w.proj, bias: model.opt(P, w.projb), out: r,
                                                        accumulate: true, threads: th)
                                                    model.normForward(P, out: h, inp: r, w: w.ln2w, b: w.ln2b, rows: n)
                                                    decodeLinear(
                                                        h, rows: n, w.fc, bias: model.opt(P, w.fcb), out: f, threads: th
                                                    )
                                                    switch cfg.mlp {
                                                    case .gelu:
                                                        Kernels.geluForward(out: fg, inp: f, n: n * H, threads: th)
                                                    case .relu2:
                                                        Kernels.relu2Forward(out: fg, inp: f, n: n * H, threads: th)
                                                    case .swiglu:
                                                        Kernels.swigluForward(
                                                            out: fg, inp: f, rows: n, H: H, threads: th)
                                                    }
                                                    x.update(from: r, count: n * C)
                                                    decodeLinear(
                                                        fg, rows: n, w.fcproj, bias: model.opt(P, w.fcprojb), out: x,
                                                        accumulate: true, threads: th)
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                lnf.withUnsafeMutableBufferPointer { LN in
                    model.normForward(
                        P, out: LN.baseAddress!, inp: x + (n - 1) * C, w: model.lnfw, b: model.lnfb, rows: 1)
                    logits.withUnsafeMutableBufferPointer { LG in
                        decodeLinear(LN.baseAddress!, rows: 1, model.head, out: LG.baseAddress!, threads: th)
                        if cfg.logitSoftcap > 0 {
                            Kernels.softcapForward(
                                LG.baseAddress!, tanhOut: nil, n: V, cap: Float(cfg.logitSoftcap), threads: 1)
                        }
                    }
                }
            }
        }
        length += n
        return logits
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

    /// Continues `prompt` by up to `options.maxTokens` sampled ids (returned without the prompt).
    public func generate(prompt: [Int32], options: SamplingOptions) -> [Int32] {
        var rng = SplitMix64(seed: options.seed)
        var all = prompt.isEmpty ? [options.stopID ?? 0] : prompt
        reset()
        var logits = append(Array(all.suffix(T)))
        var out: [Int32] = []
        for _ in 0..<options.maxTokens {
            let next = Generator.sample(logits, options: options, rng: &rng)
            if let stop = options.stopID, next == stop { break }
            out.append(next)
            all.append(next)
            if length == T {
                // Context full: rebuild the cache from the most recent half.
                reset()
                logits = append(Array(all.suffix(T / 2)))
            } else {
                logits = append([next])
            }
        }
        return out
    }

    /// Draws an id from `logits` with temperature, top-k and top-p.
    static func sample(_ logits: [Float], options: SamplingOptions, rng: inout SplitMix64) -> Int32 {
        if options.temperature <= 0 {
            var best = 0
            for j in 1..<logits.count where logits[j] > logits[best] { best = j }
            return Int32(best)
        }
        var order = Array(0..<logits.count)
        order.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        if options.topK > 0 { order = Array(order.prefix(options.topK)) }
        let t = options.temperature
        let mx = Double(logits[order[0]])
        var probs = order.map { exp((Double(logits[$0]) - mx) / t) }
        let z = probs.reduce(0, +)
        probs = probs.map { $0 / z }
        if options.topP < 1 {
            var cum = 0.0, keep = 0
            while keep < probs.count {
                cum += probs[keep]
                keep += 1
                if cum >= options.topP { break }
            }
            probs = Array(probs.prefix(keep))
            order = Array(order.prefix(keep))
        }
        let total = probs.reduce(0, +)
        var u = rng.nextUnit() * total
        for (i, p) in probs.enumerated() {
            u -= p
            if u < 0 { return Int32(order[i]) }
        }
        return Int32(order[probs.count - 1])
    }
}
