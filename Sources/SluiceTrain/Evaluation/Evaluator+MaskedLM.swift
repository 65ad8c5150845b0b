// Masked-token loss and accuracy of an MLM checkpoint (`sluice eval` on a model of objective mlm):
// the ids are cut into chunks of T, each chunk is corrupted as in training with a generator
// seeded by (seed, chunk index), and the chosen positions are scored. No next-token figures.
import Foundation
import SluiceCore

extension Evaluator {
    /// The random generator of chunk `index` under `seed` (independent of batching).
    static func maskRNG(seed: UInt64, index: Int) -> SplitMix64 {
        SplitMix64(seed: seed &* 0xD1B5_4A32_D192_ED03 ^ UInt64(index) &* 0x9E37_79B9_7F4A_7C15 ^ 0x6D6C_6D)
    }

    /// Masked-token figures over `ids` cut into chunks of T (the last one shorter; a chunk of one
    /// id is left out), each chunk corrupted by `masking` with `maskRNG(seed:index:)`.
    /// - Precondition: the model's objective is MLM.
    public func evaluateMasked(ids: [Int32], masking: MaskedLM, seed: UInt64) -> MaskedEvalResult {
        precondition(model.config.objective == .mlm, "evaluateMasked needs an MLM model")
        let T = model.config.contextLength, n = ids.count
        var counts = [Int: Int]()
        for id in ids { counts[Int(id), default: 0] += 1 }
        let top = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? -1
        var total = 0.0, masked = 0, correct = 0, unigramTotal = 0.0, unigramCorrect = 0
        var seen = 0
        var chunk = 0
        while chunk * T < n {
            // Full chunks in groups of batchSize; the short tail alone.
            let start = chunk * T
            let full = (n - start) / T
            let B = full > 0 ? min(batchSize, full) : 1
            let len = full > 0 ? T : n - start
            if len < 2 { break }
            var x = [Int32](), y = [Int32]()
            for b in 0..<B {
                var w = Array(ids[(start + b * len)..<(start + (b + 1) * len)])
                var rng = Self.maskRNG(seed: seed, index: chunk + b)
                y += masking.corrupt(&w, B: 1, T: len, rng: &rng)
                x += w
            }
            model.forward(tokens: x, targets: y, B: B, T: len)
            let losses = model.lastLosses
            for i in 0..<(B * len) where y[i] >= 0 {
                total += Double(losses[i])
                masked += 1
                let row = model.lastRow(i)
                var best = 0
                for j in 1..<row.count where row[j] > row[best] { best = j }
                if Int32(best) == y[i] { correct += 1 }
                if Int(y[i]) == top { unigramCorrect += 1 }
                unigramTotal -= log(Double(counts[Int(y[i])]!) / Double(n))
            }
            seen += B * len
            chunk += B
        }
        return MaskedEvalResult(
            tokens: seen, masked: masked, loss: masked == 0 ? .nan : total / Double(masked), correct: correct,
            unigramAccuracy: masked == 0 ? .nan : Double(unigramCorrect) / Double(masked),
            unigramLoss: masked == 0 ? .nan : unigramTotal / Double(masked))
    }

    /// `evaluateMasked` over a text tokenized with `codec`.
    public func evaluateMasked(text: String, codec: any TextCodec, masking: MaskedLM, seed: UInt64) -> MaskedEvalResult
    {
        evaluateMasked(ids: codec.encode(text), masking: masking, seed: seed)
    }

    /// `evaluateMasked` over every token of a stream.
    public func evaluateMasked(stream: any TokenStream, masking: MaskedLM, seed: UInt64) throws -> MaskedEvalResult {
        let ids = try stream.read(0..<stream.tokenCount)
        try checkIDs(ids, vocab: model.config.vocabSize, source: stream.label, at: 0)
        return evaluateMasked(ids: ids, masking: masking, seed: seed)
    }
}
