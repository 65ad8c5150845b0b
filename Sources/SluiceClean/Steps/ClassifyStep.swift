// Step `classify`: scores each document with a model from `sluice classifier train`, writes the
// probability of one label into metadata, and drops above or below a threshold. The model is
// loaded once per task in `prepare`; `validate` checks at load time that it parses and has the label.
import Foundation
import SluiceCore

/// Scores documents with a trained classifier and filters on one label's probability.
public struct ClassifyStep: Step {
    public static let name = "classify"
    public static let summary = "score with a trained classifier (toxicity, spam, quality); drop above/below a threshold"

    public var modelPath: String
    public var label: String
    public var threshold: Double
    /// `drop_above`, `drop_below` or `none` (score only).
    public var direction: String
    public var scoreKey: String
    private var predictor: TextClassifier.Predictor?
    private var labelIndex = 0

    public init(options: inout StageOptions) throws {
        modelPath = try options.string("model", "model file from `sluice classifier train`")
        label = try options.string("label", "the label whose probability is scored (e.g. spam)")
        threshold = try options.double("threshold", default: 0.5, range: 0...1, "probability threshold")
        direction = try options.choice(
            "direction", default: "drop_above", ["drop_above", "drop_below", "none"],
            "drop when the probability is above (toxicity, spam) or below (quality) the threshold")
        scoreKey = try options.string(
            "score_key", default: "", "metadata key for the probability (default: <label>_score)")
        if scoreKey.isEmpty { scoreKey = label + "_score" }
    }

    /// The reason this step drops with: `classify:<label>`.
    public var dropReason: DropReason { DropReason("classify:\(label)") }

    public func validate() throws { _ = try loadModel() }

    private func loadModel() throws -> (TextClassifier, Int) {
        let model = try TextClassifier.load(path: modelPath)
        guard let i = model.labels.firstIndex(of: label) else {
            throw SluiceError(
                .config, "classify.label: the model has no label '\(label)' (labels: \(model.labels.joined(separator: ", ")))",
                file: modelPath)
        }
        return (model, i)
    }

    public mutating func prepare(context: TaskContext) throws {
        // Each task gets its own buffers; the model itself is read-only and shared.
        if let p = predictor {
            predictor = p.model.makePredictor()
            return
        }
        let (model, i) = try loadModel()
        predictor = model.makePredictor()
        labelIndex = i
    }

    public mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
        if predictor == nil { try prepare(context: context) }
        let p = Double(predictor!.probabilities(document.text)[labelIndex])
        document.metadata[scoreKey] = .double((p * 1e6).rounded() / 1e6)
        switch direction {
        case "drop_above": return p > threshold ? .drop(dropReason) : .keep
        case "drop_below": return p < threshold ? .drop(dropReason) : .keep
        default: return .keep
        }
    }
}
