// Step `language`: fastText language identification as FineWeb runs it (datatrove's
// `LanguageFilter`): newlines become spaces, the model's best label and its score go to `language`
// and `language_score`, and a document is kept when one of `languages` scores above `threshold`.
// The default model is fastText's lid.176 (`lid.176.ftz`, shipped in Fixtures/models); any fastText
// LID model (GlotLID's `eng_Latn` labels also fill `language_script`) or sluice model can replace it.
import Foundation
import SluiceCore

/// Identifies each document's language with a fastText model and keeps the chosen languages.
public struct LanguageStep: Step {
    public static let name = "language"
    public static let summary =
        "fastText language ID (lid.176 by default): writes language and language_score; keeps languages above a threshold"
    /// The model name that resolves to the shipped lid.176.ftz.
    public static let defaultModel = "lid.176"

    public var modelPath: String
    public var languages: [String]
    public var threshold: Double
    public var labelOnly: Bool
    public var languageKey: String
    public var scoreKey: String

    /// Drop reason when the best language is listed but scores at or below the threshold.
    public static let lowScore = DropReason("language:low_score")

    private var model: (any ClassifierModel)?
    private var fastText: FastTextModel.Predictor?
    private var scorer: (any LabelScorer)?
    /// Per model label: its metadata value, drop reason, script (GlotLID) and whether it is kept.
    private var labelValues: [JSONValue] = []
    private var scriptValues: [JSONValue?] = []
    private var dropReasons: [DropReason] = []
    private var keptLabels: [Int] = []

    public init(options: inout StageOptions) throws {
        modelPath = try options.string(
            "model", default: Self.defaultModel,
            "fastText LID model (.bin/.ftz, e.g. GlotLID's model_v3.bin); lid.176 is the shipped lid.176.ftz")
        languages = try options.stringList(
            "languages", default: ["en"], "language labels to keep (without __label__); [] keeps any language")
        threshold = try options.double(
            "threshold", default: 0.65, range: 0...1, "keep when a listed language scores above this (FineWeb: 0.65)")
        labelOnly = try options.bool("label_only", default: false, "only write the metadata, never drop")
        languageKey = try options.string("language_key", default: "language", "metadata key for the best label")
        scoreKey = try options.string("score_key", default: "language_score", "metadata key for its probability")
    }

    public func validate() throws { _ = try loadModel() }

    /// The model file `model` names: a path, or `lid.176` for the shipped lid.176.ftz (found through
    /// `$SLUICE_LID_MODEL`, beside the executable, or in `Fixtures/models/` of a folder above the
    /// executable or the working directory).
    public static func resolveModelPath(_ model: String) throws -> String {
        guard model == defaultModel else { return model }
        let fm = FileManager.default
        var tried: [String] = []
        if let env = ProcessInfo.processInfo.environment["SLUICE_LID_MODEL"], !env.isEmpty {
            if fm.fileExists(atPath: env) { return env }
            tried.append(env)
        }
        var starts: [URL] = []
        if let exe = Bundle.main.executableURL {
            starts.append(exe.resolvingSymlinksInPath().deletingLastPathComponent())
        }
        starts.append(URL(fileURLWithPath: fm.currentDirectoryPath))
        if let first = starts.first {
            let beside = first.appendingPathComponent("lid.176.ftz").path
            if fm.fileExists(atPath: beside) { return beside }
        }
        for start in starts {
            var dir = start
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent("Fixtures/models/lid.176.ftz").path
                if fm.fileExists(atPath: candidate) { return candidate }
                tried.append(candidate)
                let up = dir.deletingLastPathComponent()
                if up.path == dir.path { break }
                dir = up
            }
        }
        throw SluiceError(
            .config,
            "language.model: cannot find lid.176.ftz (set SLUICE_LID_MODEL, put it beside the sluice binary, or give model: PATH)"
        )
    }

    private func loadModel() throws -> (any ClassifierModel, String) {
        let path = try Self.resolveModelPath(modelPath)
        guard FileManager.default.fileExists(atPath: path) else {
            throw SluiceError(.config, "language.model: no such model file", file: path)
        }
        let model = try ClassifierModels.load(path: path)
        for l in languages { _ = try model.labelIndex(l, option: "language.languages", path: path) }
        return (model, path)
    }

    public mutating func prepare(context: TaskContext) throws {
        if model == nil {
            let (m, path) = try loadModel()
            model = m
            labelValues = []
            scriptValues = []
            dropReasons = []
            for l in m.labels {
                // GlotLID labels are `<iso639-3>_<Script>`: the language and the script go to separate keys.
                let parts = l.split(separator: "_", maxSplits: 1)
                let isScript = parts.count == 2 && parts[1].utf8.count == 4 && parts[1].first!.isUppercase
                let language = isScript ? String(parts[0]) : l
                labelValues.append(.string(language))
                scriptValues.append(isScript ? .string(String(parts[1])) : nil)
                dropReasons.append(DropReason("language:\(language)"))
            }
            keptLabels = try languages.map { try m.labelIndex($0, option: "language.languages", path: path) }
        }
        // Each task gets its own buffers; the model is read-only and shared.
        if let ft = model as? FastTextModel {
            fastText = ft.makePredictor()
        } else {
            scorer = model!.makeScorer()
        }
    }

    public mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
        if model == nil || (fastText == nil && scorer == nil) { try prepare(context: context) }
        var best = -1
        var bestScore: Float = 0
        var kept = false
        if let ft = fastText {
            if let top = ft.top(document.text) {
                best = top.label
                bestScore = top.probability
                if keptLabels.isEmpty {
                    kept = Double(bestScore) > threshold
                } else {
                    for l in keptLabels where Double(ft.lastProbability(of: l)) > threshold { kept = true }
                }
            }
        } else if let scorer {
            let p = scorer.probabilities(document.text)
            best = 0
            for l in 1..<p.count where p[l] > p[best] { best = l }
            bestScore = p[best]
            kept =
                keptLabels.isEmpty ? Double(bestScore) > threshold : keptLabels.contains { Double(p[$0]) > threshold }
        }
        guard best >= 0 else {
            // No input row at all (a model without `</s>` and an empty text): no language.
            document.metadata[languageKey] = .string("unknown")
            document.metadata[scoreKey] = .double(0)
            return labelOnly ? .keep : .drop(Self.lowScore)
        }
        document.metadata[languageKey] = labelValues[best]
        if let script = scriptValues[best] { document.metadata[languageKey + "_script"] = script }
        document.metadata[scoreKey] = .double((Double(bestScore) * 1e6).rounded() / 1e6)
        if labelOnly || kept { return .keep }
        if keptLabels.isEmpty || keptLabels.contains(best) { return .drop(Self.lowScore) }
        return .drop(dropReasons[best])
    }
}
