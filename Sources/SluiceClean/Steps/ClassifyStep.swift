// Step `classify`: scores each document with a model from `sluice classifier train`, writes the
// probability of one label into metadata, and drops above or below a threshold. The model is
// loaded once per task in `prepare`; `validate` checks at load time that it parses and has the label.
// With `train_input`, a missing model is trained first by a declared one-task pass (`classify.train`,
// with a marker), deterministically (one thread, fixed seed); an existing model file is used as is.
import Foundation
import SluiceCore

/// Scores documents with a trained classifier and filters on one label's probability.
public struct ClassifyStep: PreparingStep {
    public static let name = "classify"
    public static let summary =
        "score with a trained classifier (toxicity, spam, quality); drop above/below a threshold"

    public var modelPath: String
    public var label: String
    public var threshold: Double
    /// `drop_above`, `drop_below` or `none` (score only).
    public var direction: String
    public var scoreKey: String
    private var model: (any ClassifierModel)?
    private var predictor: (any LabelScorer)?
    private var labelIndex = 0

    public init(options: inout StageOptions) throws {
        modelPath = try options.string(
            "model",
            "model file from `sluice classifier train`, or a fastText .bin/.ftz model (recognised by its magic number)")
        label = try options.string("label", "the label whose probability is scored (e.g. spam)")
        threshold = try options.double("threshold", default: 0.5, range: 0...1, "probability threshold")
        direction = try options.choice(
            "direction", default: "drop_above", ["drop_above", "drop_below", "none"],
            "drop when the probability is above (toxicity, spam) or below (quality) the threshold")
        scoreKey = try options.string(
            "score_key", default: "", "metadata key for the probability (default: <label>_score)")
        if scoreKey.isEmpty { scoreKey = label + "_score" }
        trainInput = try options.optionalString(
            "train_input", "labelled CSV/TSV/JSONL to train the model from when the model file is absent")
        trainTextField = try options.string("train_text_field", default: "text", "column or key of the text")
        trainLabelField = try options.string("train_label_field", default: "label", "column or key of the label")
        trainEpochs = try options.int("train_epochs", default: 5, range: 1...1000, "passes over the labelled data")
        trainSeed = try options.int("train_seed", default: 1, range: 0...Int.max, "shuffling seed")
    }

    /// Labelled data for the `classify.train` pass (nil: the model file must exist).
    public var trainInput: String?
    public var trainTextField: String
    public var trainLabelField: String
    public var trainEpochs: Int
    public var trainSeed: Int

    /// One pass, `train`, when `train_input` is set: it trains the model if the file is absent.
    public func preparationPasses() -> [any CorpusPass] {
        guard let trainInput else { return [] }
        var o = TrainingOptions()
        o.epochs = trainEpochs
        o.seed = UInt64(trainSeed)
        o.threads = 1  // lock-free SGD on several threads is not reproducible
        return [
            ClassifierTrainingPass(
                input: trainInput, textField: trainTextField, labelField: trainLabelField, model: modelPath, options: o)
        ]
    }

    /// The reason this step drops with: `classify:<label>`.
    public var dropReason: DropReason { DropReason("classify:\(label)") }

    public func validate() throws {
        if let trainInput, !FileManager.default.fileExists(atPath: modelPath) {
            // The `classify.train` pass makes the model; its labels must be there.
            guard FileManager.default.isReadableFile(atPath: trainInput) else {
                throw SluiceError(.config, "classify.train_input: cannot read the labelled data", file: trainInput)
            }
            return
        }
        _ = try loadModel()
    }

    private func loadModel() throws -> (any ClassifierModel, Int) {
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw SluiceError(
                .config,
                "classify.model: no model file; make it with `sluice classifier train --input LABELS.csv --text-field TEXT --label-field LABEL --output \(modelPath)`, or set classify.train_input to train it in this pipeline",
                file: modelPath)
        }
        let model = try ClassifierModels.load(path: modelPath)
        return (model, try model.labelIndex(label, option: "classify.label", path: modelPath))
    }

    public mutating func prepare(context: TaskContext) throws {
        // Each task gets its own buffers; the model itself is read-only and shared.
        if let model {
            predictor = model.makeScorer()
            return
        }
        let (m, i) = try loadModel()
        model = m
        predictor = m.makeScorer()
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

// MARK: - What fired (kept drops only; see DropAudit)

extension ClassifyStep: DropExplaining {
    /// The score the document got, the threshold and the direction.
    public func explainDrop(_ document: Document, reason: DropReason) -> JSONValue? {
        var object = JSONObject()
        object["score"] = document.metadata[scoreKey] ?? .null
        object["label"] = .string(label)
        object["threshold"] = .double(threshold)
        object["direction"] = .string(direction)
        return .object(object)
    }
}
