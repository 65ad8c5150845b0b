// Growing a trained tokenizer by one special added token at the end of its vocabulary (what HF's
// `tokenizer.add_special_tokens({"mask_token": "[MASK]"})` does), and undoing that to recover the
// tokenizer that made a set of shards. It never renumbers existing ids.
import Foundation
import SluiceCore

extension Tokenizer {
    /// This tokenizer with `content` as a special added token at id `vocabSize` (listed in
    /// tokenizer.json's `added_tokens`, so Hugging Face `tokenizers` loads and matches it), or
    /// `self` when a special added token `content` already exists.
    /// - Throws: a config error when `content` is empty or already a non-special token.
    public func appendingSpecialToken(_ content: String) throws -> Tokenizer {
        if specialTokens[content] != nil { return self }
        guard !content.isEmpty else { throw SluiceError(.config, "an added token cannot be empty") }
        if addedTokens.contains(where: { $0.content == content }) {
            throw SluiceError(.config, "\(content) is already an added token that is not special")
        }
        let id = UInt32(vocab.count)
        // A Unigram model scores every piece it lists; tokenizer.json gives an added piece 0 (never used:
        // added tokens are matched before the model runs), so the copy does too and survives a round trip.
        let s = scores.count == vocab.count && kind == .unigram ? scores + [0] : scores
        return try rebuilt(
            vocab: vocab + [content], scores: s, addedTokens: addedTokens + [AddedToken(id: id, content: content)])
    }

    /// The tokenizer without the special added token `content` when it holds the last id (the
    /// inverse of `appendingSpecialToken`), else nil.
    public func removingAppendedToken(_ content: String) throws -> Tokenizer? {
        guard let last = addedTokens.last, last.content == content, last.special, Int(last.id) == vocab.count - 1,
            scores.count < vocab.count || scores.last == 0
        else { return nil }
        let s = scores.count == vocab.count ? Array(scores.dropLast()) : scores
        return try rebuilt(vocab: Array(vocab.dropLast()), scores: s, addedTokens: Array(addedTokens.dropLast()))
    }

    private func rebuilt(vocab: [String], scores: [Double], addedTokens: [AddedToken]) throws -> Tokenizer {
        try Tokenizer(
            kind: kind, vocab: vocab, merges: merges, scores: scores, unkID: unkID, byteFallback: byteFallback,
            ignoreMerges: ignoreMerges, preTokenizer: preTokenizer, normalizer: normalizer, addedTokens: addedTokens,
            templatePrefix: templatePrefix, templateSuffix: templateSuffix)
    }
}
