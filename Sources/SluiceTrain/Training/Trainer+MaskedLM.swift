// The trainer's side of the MLM objective: windows of T ids corrupted by BERT's masking, and the
// check that a checkpoint to resume or start from was trained with the configured objective.
import Foundation
import SluiceCore

extension Trainer {
    /// `B` windows of T ids of `stream` (the training data when nil), window b starting at
    /// `start(b)`, corrupted by `masking` with `rng`: inputs and targets (−1 where not chosen).
    func maskedWindows(
        B: Int, T: Int, masking: MaskedLM, rng: inout SplitMix64, from stream: (any TokenStream)? = nil,
        start: (Int) -> Int
    ) throws -> ([Int32], [Int32]) {
        let s = stream ?? train
        var x = [Int32]()
        x.reserveCapacity(B * T)
        for b in 0..<B {
            let at = start(b)
            let w = try s.read(at..<(at + T))
            try checkIDs(w, vocab: model.config.vocabSize, source: s.label, at: at)
            x += w
        }
        let y = masking.corrupt(&x, B: B, T: T, rng: &rng)
        return (x, y)
    }
}

/// Throws when the checkpoint in `dir` (config `c`) was trained with another objective, or another
/// `[MASK]` id, than the run wants: a causal model cannot continue as an MLM, nor the reverse.
func checkObjective(of c: GPTConfig, in dir: String, against wanted: GPTConfig) throws {
    guard c.objective == wanted.objective else {
        throw SluiceError(
            .config,
            "the checkpoint \(dir) was trained with objective \(c.objective.rawValue) and the configuration says "
                + "model.objective: \(wanted.objective.rawValue); use a checkpoint of the same objective or train from scratch",
            file: dir)
    }
    if c.objective == .mlm, c.maskTokenID != wanted.maskTokenID {
        throw SluiceError(
            .config,
            "the checkpoint \(dir) has \(MaskedLM.maskToken) id \(c.maskTokenID.map { String($0) } ?? "none"), the data's "
                + "tokenizer gives \(wanted.maskTokenID.map { String($0) } ?? "none")",
            file: dir)
    }
}
