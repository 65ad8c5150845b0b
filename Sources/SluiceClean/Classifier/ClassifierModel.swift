// One face for the classifier files sluice reads — its own `.slcm` models and fastText `.bin` /
// `.ftz` models — chosen by the file's magic number wherever a model path is accepted (`classify`,
// `language`, `sluice classifier predict | eval`). It does not convert between the formats.
import Foundation
import SluiceCore

/// A loaded text classifier: its labels and a way to make per-thread scorers.
public protocol ClassifierModel: AnyObject, Sendable {
    /// Label names, in the order `LabelScorer.probabilities` returns them (fastText's without `__label__`).
    var labels: [String] { get }
    /// What the model is, for messages (`sluice classifier`, `fastText softmax, quantized`).
    var kindDescription: String { get }
    /// A scorer with its own buffers; make one per thread or stage instance.
    func makeScorer() -> any LabelScorer
}

/// Scores text with reusable buffers.
public protocol LabelScorer: AnyObject {
    /// Probabilities of every label for `text`, in the model's label order. The array shares the
    /// scorer's buffer: read it before the next call and nothing is allocated.
    func probabilities(_ text: String) -> [Float]
}

extension LabelScorer {
    /// The most probable label's index and its probability.
    public func best(_ text: String) -> (label: Int, probability: Float) {
        let p = probabilities(text)
        var best = 0
        for l in 1..<p.count where p[l] > p[best] { best = l }
        return (best, p[best])
    }
}

extension ClassifierModel {
    /// The index of `label`, accepting a fastText label with or without its `__label__` prefix.
    /// - Throws: `SluiceError(.config)` naming the label and listing the model's labels.
    public func labelIndex(_ label: String, option: String, path: String) throws -> Int {
        let name = label.hasPrefix("__label__") ? String(label.dropFirst(9)) : label
        guard let i = labels.firstIndex(of: name) else {
            let shown =
                labels.count > 40
                ? labels.prefix(40).joined(separator: ", ") + ", … (\(labels.count) in all)"
                : labels.joined(separator: ", ")
            throw SluiceError(.config, "\(option): the model has no label '\(label)' (labels: \(shown))", file: path)
        }
        return i
    }
}

extension TextClassifier: ClassifierModel {
    public var kindDescription: String { "sluice classifier" }
    public func makeScorer() -> any LabelScorer { makePredictor() }
}

extension TextClassifier.Predictor: LabelScorer {}

extension FastTextModel: ClassifierModel {
    public var kindDescription: String { "fastText \(loss.name)\(isQuantized ? ", quantized" : "")" }
    public func makeScorer() -> any LabelScorer { makePredictor() }
}

extension FastTextModel.Predictor: LabelScorer {}

/// Loads classifier model files of any format sluice reads.
public enum ClassifierModels {
    /// Loads `path` as a sluice model (`SLCM`) or a fastText model (magic 793712314), by its first bytes.
    /// - Throws: `SluiceError(.io)` if unreadable, `.corruptInput` if it is neither or is damaged.
    public static func load(path: String) throws -> any ClassifierModel {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SluiceError(.io, "cannot read the model file", file: path)
        }
        let head = [UInt8]((try? handle.read(upToCount: 4)) ?? Data())
        try? handle.close()
        if FastTextModel.hasMagic(head) { return try FastTextModel.load(path: path) }
        if head == TextClassifier.magic { return try TextClassifier.load(path: path) }
        throw SluiceError(
            .corruptInput,
            "not a sluice classifier model or a fastText .bin/.ftz model (the file starts with neither 'SLCM' nor fastText's magic number)",
            file: path)
    }

    /// Parses model bytes of either format; `path` only names the file in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws -> any ClassifierModel {
        if FastTextModel.hasMagic(bytes) { return try FastTextModel.parse(bytes, path: path) }
        return try TextClassifier.parse(bytes, path: path)
    }
}
