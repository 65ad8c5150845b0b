// BERT's masked-language-modelling corruption (Devlin et al. 2019, §3.1; Google's
// create_pretraining_data.py): per sequence, 15 % of the positions are chosen; a chosen token
// becomes [MASK] 80 % of the time, a random id 10 %, stays 10 %; the loss is on chosen positions
// only. Deterministic for a random generator, so the trainer's batches depend on (seed, step) only.
import SluiceCore

/// The masking of one objective: which id is `[MASK]`, which ids a random replacement draws from.
public struct MaskedLM: Sendable, Equatable {
    /// The content of the mask token added to the tokenizer.
    public static let maskToken = "[MASK]"
    /// BERT's share of positions chosen per sequence.
    public static let defaultProbability = 0.15

    /// The `[MASK]` id.
    public var maskID: Int32
    /// Random replacements are drawn uniformly from `0..<vocab` without `maskID`.
    public var vocab: Int
    /// Share of the eligible positions of a sequence that are chosen (rounded, at least one).
    public var probability: Double
    /// An id never chosen (the end-of-text separator between documents), as HF's collator skips special tokens.
    public var skipID: Int32?

    public init(maskID: Int32, vocab: Int, probability: Double = MaskedLM.defaultProbability, skipID: Int32? = nil) {
        precondition(vocab >= 2 && Int(maskID) < vocab && probability > 0 && probability <= 1)
        self.maskID = maskID
        self.vocab = vocab
        self.probability = probability
        self.skipID = skipID
    }

    /// Corrupts the `B` sequences of `T` ids in `tokens` in place and returns the targets: the
    /// original id at each chosen position, −1 elsewhere (count B·T).
    ///
    /// Per sequence, k = max(1, round(probability · eligible)) of the eligible positions (all but
    /// `skipID`) are chosen by a partial Fisher–Yates shuffle, then each draws one of ten: 0–7
    /// `[MASK]`, 8 a random id, 9 kept.
    public func corrupt(_ tokens: inout [Int32], B: Int, T: Int, rng: inout SplitMix64) -> [Int32] {
        precondition(tokens.count == B * T)
        var targets = [Int32](repeating: -1, count: B * T)
        var eligible: [Int] = []
        eligible.reserveCapacity(T)
        for b in 0..<B {
            eligible.removeAll(keepingCapacity: true)
            for t in 0..<T where tokens[b * T + t] != skipID { eligible.append(b * T + t) }
            guard !eligible.isEmpty else { continue }
            let k = min(eligible.count, max(1, Int((probability * Double(eligible.count)).rounded())))
            for i in 0..<k {
                let j = i + Int(rng.next() % UInt64(eligible.count - i))
                eligible.swapAt(i, j)
                let p = eligible[i]
                targets[p] = tokens[p]
                switch rng.next() % 10 {
                case 0..<8: tokens[p] = maskID
                case 8:
                    let r = Int32(rng.next() % UInt64(vocab - 1))
                    tokens[p] = r >= maskID ? r + 1 : r
                default: break
                }
            }
        }
        return targets
    }
}

/// Masked-token figures of an evaluation.
public struct MaskedEvalResult: Sendable, Equatable {
    /// Ids evaluated (every position the model saw).
    public var tokens: Int
    /// Positions chosen and predicted.
    public var masked: Int
    /// Mean cross-entropy over the chosen positions, nats.
    public var loss: Double
    /// Chosen positions whose most likely id is the original one.
    public var correct: Int
    /// correct / masked.
    public var accuracy: Double { masked == 0 ? .nan : Double(correct) / Double(masked) }
    /// The accuracy of always answering the most frequent id of the evaluated ids (the unigram baseline).
    public var unigramAccuracy: Double
    /// The cross-entropy of the chosen originals under the evaluated ids' unigram distribution, nats.
    public var unigramLoss: Double

    /// `{"objective": "mlm", "tokens", "masked", "loss", "accuracy", "unigram_loss", "unigram_accuracy"}`.
    public var json: String {
        "{\"objective\": \"mlm\", \"tokens\": \(tokens), \"masked\": \(masked), \"loss\": \(fmt(loss)), "
            + "\"accuracy\": \(fmt(accuracy)), \"unigram_loss\": \(fmt(unigramLoss)), "
            + "\"unigram_accuracy\": \(fmt(unigramAccuracy))}"
    }
}
