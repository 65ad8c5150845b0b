// The safety filter of `sluice serve`: a Sluice text classifier (`sluice classifier train`, or a
// fastText model) scores the prompt and the growing output; a probability of the chosen label at or
// above the threshold refuses the prompt or stops the output. It does not train or rewrite text.
import Foundation
import SluiceClean
import SluiceCore

/// A classifier, one of its labels and a threshold.
public final class SafetyFilter: @unchecked Sendable {
    let model: any ClassifierModel
    /// The flagged label's index and name.
    public let label: Int, labelName: String
    /// Probability of the label at or above which text is flagged.
    public let threshold: Float
    let lock = NSLock()
    let shared: SafetyScorer

    /// Loads `path` (`.slcm` or fastText `.bin`/`.ftz`).
    /// - Throws: a config error when the model has no such label or the threshold is outside [0, 1].
    public init(path: String, label: String, threshold: Double) throws {
        let m = try ClassifierModels.load(path: path)
        let index = try m.labelIndex(label, option: "--safety-label", path: path)
        guard threshold >= 0 && threshold <= 1 else {
            throw SluiceError(.config, "--safety-threshold must be in [0, 1], not \(threshold)")
        }
        model = m
        self.label = index
        labelName = label
        self.threshold = Float(threshold)
        shared = SafetyScorer(m.makeScorer(), label: index, threshold: Float(threshold))
    }

    /// A scorer with its own buffers (one per thread).
    public func makeScorer() -> SafetyScorer { SafetyScorer(model.makeScorer(), label: label, threshold: threshold) }

    /// Whether `text` is flagged (thread-safe).
    public func flags(_ text: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return shared.flags(text)
    }
}

/// Scores text for one `SafetyFilter`; not thread-safe.
public final class SafetyScorer {
    let scorer: any LabelScorer
    let label: Int, threshold: Float
    init(_ scorer: any LabelScorer, label: Int, threshold: Float) {
        self.scorer = scorer
        self.label = label
        self.threshold = threshold
    }

    /// The flagged label's probability for `text`.
    public func probability(_ text: String) -> Float { scorer.probabilities(text)[label] }

    /// Whether the label's probability reaches the threshold.
    public func flags(_ text: String) -> Bool { probability(text) >= threshold }
}
