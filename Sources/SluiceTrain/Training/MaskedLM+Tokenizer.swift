// Where the MLM objective meets the tokenizer: `[MASK]` is appended to the data's tokenizer as a
// special added token (so Hugging Face `tokenizers` loads it from the checkpoint's tokenizer.json),
// and an MLM checkpoint's tokenizer gives back the one that made its shards.
import Foundation
import SluiceCore
import SluiceTokenize

extension MaskedLM {
    /// The masking of an MLM run and the tokenizer.json its checkpoints carry: the data's tokenizer
    /// with `[MASK]` appended (written to `out/mlm-tokenizer.json`), or the data's own when it has a
    /// special `[MASK]`. Without a tokenizer, `[MASK]` is the id after the data's vocabulary.
    static func prepare(
        _ options: TrainOptions, train: any TokenStream, tokenizerPath: String?
    ) throws -> (masking: MaskedLM, tokenizerPath: String?) {
        let skip = train.eosID.map { Int32($0) }
        guard let path = tokenizerPath else {
            let id = train.vocabSize
            return (MaskedLM(maskID: Int32(id), vocab: id + 1, probability: options.mlmProbability, skipID: skip), nil)
        }
        let tokenizer = try Tokenizer.load(path: path)
        let extended = try tokenizer.appendingSpecialToken(maskToken)
        let id = Int(extended.specialTokens[maskToken]!)
        if extended !== tokenizer, id < train.vocabSize {
            throw SluiceError(
                .config,
                "the data's vocabulary (\(train.vocabSize)) is larger than its tokenizer's (\(tokenizer.vocabSize))",
                file: path)
        }
        let masking = MaskedLM(
            maskID: Int32(id), vocab: max(extended.vocabSize, train.vocabSize), probability: options.mlmProbability,
            skipID: skip)
        if extended === tokenizer { return (masking, path) }
        do {
            try FileManager.default.createDirectory(atPath: options.out, withIntermediateDirectories: true)
        } catch {
            throw SluiceError(.io, "cannot create the run folder: \(error.localizedDescription)", file: options.out)
        }
        let out = options.out + "/mlm-tokenizer.json"
        try extended.save(path: out)
        return (masking, out)
    }

    /// The masking an MLM checkpoint was trained with, for evaluation: its `[MASK]` id, random
    /// replacements over its tokenizer's vocabulary, end-of-text never chosen.
    /// - Throws: a config error for a causal checkpoint or a mask id outside the tokenizer.
    public static func of(
        checkpoint config: GPTConfig, tokenizer: Tokenizer, probability: Double = defaultProbability,
        file: String? = nil
    ) throws -> MaskedLM {
        guard config.objective == .mlm, let id = config.maskTokenID else {
            throw SluiceError(
                .config, "this checkpoint was trained with objective \(config.objective.rawValue), not mlm", file: file)
        }
        guard id < tokenizer.vocabSize, tokenizer.vocabSize >= 2 else {
            throw SluiceError(
                .config, "mask_token_id \(id) is outside the checkpoint tokenizer's \(tokenizer.vocabSize) ids",
                file: file)
        }
        return MaskedLM(
            maskID: Int32(id), vocab: tokenizer.vocabSize, probability: probability,
            skipID: tokenizer.eosID.map { Int32(bitPattern: $0) })
    }

    /// The tokenizer that made an MLM checkpoint's data: `tokenizer` without an appended `[MASK]`, or itself.
    public static func dataTokenizer(_ tokenizer: Tokenizer) throws -> Tokenizer {
        try tokenizer.removingAppendedToken(maskToken) ?? tokenizer
    }
}
