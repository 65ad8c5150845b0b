// Accuracy, per-label precision/recall/F1 and macro F1 of a classifier on labelled examples, and
// the JSON object `sluice classifier eval` prints. Macro F1 averages over every label seen in the
// gold data or the model (as scikit-learn does over the union of true and predicted labels).
import SluiceCore

/// Scores of one label.
public struct LabelScores: Sendable, Equatable {
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var support: Int
}

/// The result of evaluating a classifier.
public struct ClassifierEvaluation: Sendable, Equatable {
    public var accuracy: Double
    public var macroF1: Double
    /// Per label, sorted by label.
    public var labels: [(String, LabelScores)]

    public static func == (a: Self, b: Self) -> Bool {
        a.accuracy == b.accuracy && a.macroF1 == b.macroF1 && a.labels.map(\.0) == b.labels.map(\.0)
            && a.labels.map(\.1) == b.labels.map(\.1)
    }

    /// Scores predictions against gold labels.
    public init(gold: [String], predicted: [String]) {
        precondition(gold.count == predicted.count)
        let names = Array(Set(gold).union(predicted)).sorted()
        var tp: [String: Int] = [:]
        var fp: [String: Int] = [:]
        var fn: [String: Int] = [:]
        var support: [String: Int] = [:]
        var correct = 0
        for (g, p) in zip(gold, predicted) {
            support[g, default: 0] += 1
            if g == p {
                correct += 1
                tp[g, default: 0] += 1
            } else {
                fp[p, default: 0] += 1
                fn[g, default: 0] += 1
            }
        }
        labels = names.map { name in
            let t = Double(tp[name] ?? 0)
            let precision = t + Double(fp[name] ?? 0) > 0 ? t / (t + Double(fp[name] ?? 0)) : 0
            let recall = t + Double(fn[name] ?? 0) > 0 ? t / (t + Double(fn[name] ?? 0)) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            return (name, LabelScores(precision: precision, recall: recall, f1: f1, support: support[name] ?? 0))
        }
        accuracy = gold.isEmpty ? 0 : Double(correct) / Double(gold.count)
        macroF1 = labels.isEmpty ? 0 : labels.map(\.1.f1).reduce(0, +) / Double(labels.count)
    }

    /// Evaluates `model` on `examples`.
    public init(model: any ClassifierModel, examples: [LabeledExample]) {
        let p = model.makeScorer()
        self.init(gold: examples.map(\.label), predicted: examples.map { model.labels[p.best($0.text).label] })
    }

    /// `{"accuracy": …, "macro_f1": …, "labels": {"<label>": {"precision": …, "recall": …, "f1": …, "support": …}}}`.
    public var json: String {
        func num(_ d: Double) -> String { String(format: "%.6f", d) }
        var s = "{\"accuracy\": \(num(accuracy)), \"macro_f1\": \(num(macroF1)), \"labels\": {"
        s += labels.map { name, v in
            "\(JSONSerializer.quoted(name)): {\"precision\": \(num(v.precision)), \"recall\": \(num(v.recall)), "
                + "\"f1\": \(num(v.f1)), \"support\": \(v.support)}"
        }.joined(separator: ", ")
        return s + "}}"
    }
}
