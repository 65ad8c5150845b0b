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
/// (`DecodeModel`): a `BatchDecoder` with one slot, so single-stream and batched decoding share one
/// forward pass (every matrix multiply goes through `decodeLinear`).
public final class Generator {
    /// The weights decoded with.
    public var decoder: DecodeModel { batch.model }
    /// The forward pass and the cache (slot 0).
    let batch: BatchDecoder
    let T: Int
    /// Positions in the cache.
    public private(set) var length = 0

    /// A generator over `model`'s F32 weights (shared, not copied).
    public convenience init(model: GPT) { self.init(decoder: DecodeModel(model: model)) }

    /// A generator over `decoder`'s weights (F32 or INT8).
    public init(decoder: DecodeModel) {
        batch = BatchDecoder(model: decoder, slots: 1)
        T = decoder.config.contextLength
    }

    /// Empties the cache.
    public func reset() { length = 0 }

    /// Runs `tokens` at positions `length…` through the model, appends their keys and values to
    /// the cache, and returns the logits of the last one (V floats).
    public func append(_ tokens: [Int32]) -> [Float] {
        let n = tokens.count
        precondition(n > 0 && length + n <= T, "KV cache overflow")
        let logits = batch.step([.init(slot: 0, tokens: tokens, start: length)])[0]
        length += n
        return logits
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
