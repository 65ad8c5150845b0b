// Growing a model's vocabulary for tokens added after pre-training (chat markers). New rows of
// the token embedding (and of an untied head) start at the mean of the trained rows, as
// `transformers`' `resize_token_embeddings(mean_resizing=True)` centres them: a new token then
// predicts and is predicted like an average token instead of dominating or vanishing, so the
// model's outputs on old text do not move (Hewitt 2021, "Initializing new word embeddings").
import Foundation
import SluiceCore

extension GPT {
    /// How new token rows start.
    public enum NewRowInit: String, Sendable {
        /// The mean of the rows that are not new.
        case mean
        /// N(0, 0.02), GPT-2's initialisation.
        case normal
    }

    /// This model with at least `vocab` token rows (a new model when it must grow, else this one),
    /// rows `newRows` initialised per `initialization`; every other parameter is copied unchanged.
    public func withVocabulary(_ vocab: Int, newRows: Range<Int>, initialization: NewRowInit = .mean, seed: UInt64 = 0)
        throws -> GPT
    {
        precondition(newRows.upperBound <= max(vocab, config.vocabSize))
        let C = config.width, oldV = config.vocabSize
        let m: GPT
        if vocab > oldV {
            var cfg = config
            cfg.vocabSize = vocab
            m = try GPT(config: cfg, threads: threads)
            m.dropout = dropout
            for t in m.layout.tensors {
                guard let old = layout[t.name] else {
                    preconditionFailure("tensor \(t.name) missing after a vocabulary change")
                }
                // Token rows are the outer dimension ([V, C]): the old ones are a prefix.
                m.params.replaceSubrange(t.offset..<(t.offset + old.count), with: params[old.range])
            }
        } else {
            m = self
        }
        let names = ["wte.weight"] + (m.layout["lm_head.weight"] != nil ? ["lm_head.weight"] : [])
        var rng = SplitMix64(seed: seed)
        for name in names {
            let off = m.layout[name]!.offset
            switch initialization {
            case .mean:
                var mean = [Double](repeating: 0, count: C)
                var n = 0
                for r in 0..<oldV where !newRows.contains(r) {
                    for c in 0..<C { mean[c] += Double(m.params[off + r * C + c]) }
                    n += 1
                }
                for r in newRows {
                    for c in 0..<C { m.params[off + r * C + c] = Float(mean[c] / Double(max(n, 1))) }
                }
            case .normal:
                for r in newRows {
                    for c in 0..<C { m.params[off + r * C + c] = Float(rng.nextGaussian() * 0.02) }
                }
            }
        }
        return m
    }
}
