// `sluice classifier train|eval|predict`: hashed n-gram text classifiers (toxicity, spam, quality),
// and `sluice clean-verdicts`, which runs cleaning stages over JSONL and prints each document's
// verdict (used by the agreement benchmark). Thin: parse flags, call SluiceClean, print.
import ArgumentParser
import Foundation
import SluiceClean
import SluiceCore

struct ClassifierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classifier",
        abstract: "Train, evaluate and apply hashed n-gram text classifiers (fastText recipe).",
        subcommands: [ClassifierTrain.self, ClassifierEval.self, ClassifierPredict.self]
    )
}

/// Flags naming a labelled input file.
struct LabeledInputOptions: ParsableArguments {
    @Option(help: "CSV, TSV or JSONL file.") var input: String
    @Option(help: "Column (CSV/TSV header) or key (JSONL) holding the text.") var textField: String
    @Option(help: "csv, tsv or jsonl (default: from the extension).") var format: String?

    func labeledFormat() throws -> LabeledFormat? {
        guard let format else { return nil }
        guard let f = LabeledFormat(rawValue: format) else { throw ValidationError("--format must be csv, tsv or jsonl") }
        return f
    }
}

/// Runs `body`, printing a SluiceError on one line and exiting non-zero.
func runReportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let e as SluiceError {
        FileHandle.standardError.write(Data("sluice: \(e)\n".utf8))
        throw ExitCode.failure
    }
}

struct ClassifierTrain: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train a classifier on labelled text.")
    @OptionGroup var data: LabeledInputOptions
    @Option(help: "Column or key holding the label.") var labelField: String
    @Option(help: "Where to write the model (.slcm).") var output: String
    @Option(help: "Passes over the data.") var epochs = 5
    @Option(help: "Initial learning rate (decays linearly to 0).") var lr: Float = 0.75
    @Option(help: "Longest word n-gram.") var wordNgrams = 2
    @Option(help: "Shortest character n-gram (0 = none).") var minn = 3
    @Option(help: "Longest character n-gram.") var maxn = 5
    @Option(help: "Hash rows, a power of two.") var buckets = 1 << 20
    @Option(help: "Training threads (lock-free SGD).") var threads = 2
    @Option(help: "Random seed for shuffling.") var seed: UInt64 = 1
    @Flag(help: "Keep letter case (default lowercases ASCII).") var keepCase = false

    func validate() throws {
        guard buckets > 0, buckets & (buckets - 1) == 0, buckets <= 1 << 26 else {
            throw ValidationError("--buckets must be a power of two up to 2^26")
        }
        guard epochs >= 1, wordNgrams >= 1, wordNgrams <= 10, threads >= 1, lr > 0 else {
            throw ValidationError("--epochs, --word-ngrams, --threads and --lr must be positive")
        }
        guard minn >= 0, maxn >= minn, maxn <= 20 else { throw ValidationError("need 0 <= --minn <= --maxn <= 20") }
    }

    func run() throws {
        try runReportingErrors {
            let examples = try LabeledData.read(
                path: data.input, textField: data.textField, labelField: labelField, format: try data.labeledFormat())
            var o = TrainingOptions()
            o.features = FeatureConfig(
                buckets: buckets, wordNgrams: wordNgrams, minn: minn, maxn: minn == 0 ? 0 : maxn, lowercase: !keepCase)
            o.epochs = epochs
            o.learningRate = lr
            o.threads = threads
            o.seed = seed
            let clock = ContinuousClock()
            let start = clock.now
            let model = try ClassifierTrainer.train(examples, options: o)
            let seconds = (clock.now - start) / .seconds(1)
            try model.write(to: output)
            let labels = model.labels.map { "\"\($0)\"" }.joined(separator: ", ")
            print("{\"examples\": \(examples.count), \"labels\": [\(labels)], \"train_seconds\": \(seconds)}")
        }
    }
}

struct ClassifierEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Print accuracy, macro F1 and per-label scores as one JSON object.")
    @Option(help: "Model file from `sluice classifier train`, or a fastText .bin/.ftz model.") var model: String
    @OptionGroup var data: LabeledInputOptions
    @Option(help: "Column or key holding the gold label.") var labelField: String

    func run() throws {
        try runReportingErrors {
            let m = try ClassifierModels.load(path: model)
            let examples = try LabeledData.read(
                path: data.input, textField: data.textField, labelField: labelField, format: try data.labeledFormat())
            print(ClassifierEvaluation(model: m, examples: examples).json)
        }
    }
}

struct ClassifierPredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict", abstract: "Label each record: one JSON line {\"label\", \"probability\", \"probabilities\"}.")
    @Option(help: "Model file from `sluice classifier train`, or a fastText .bin/.ftz model.") var model: String
    @OptionGroup var data: LabeledInputOptions

    func run() throws {
        try runReportingErrors {
            let m = try ClassifierModels.load(path: model)
            let examples = try LabeledData.read(
                path: data.input, textField: data.textField, labelField: nil, format: try data.labeledFormat())
            let p = m.makeScorer()
            var out = ""
            for e in examples {
                let probs = p.probabilities(e.text)
                var best = 0
                for l in 1..<probs.count where probs[l] > probs[best] { best = l }
                let all = zip(m.labels, probs).map { "\"\($0)\": \(String(format: "%.6f", $1))" }.joined(separator: ", ")
                out += "{\"label\": \"\(m.labels[best])\", \"probability\": \(String(format: "%.6f", probs[best])), "
                out += "\"probabilities\": {\(all)}}\n"
                if out.utf8.count > 1 << 16 {
                    FileHandle.standardOutput.write(Data(out.utf8))
                    out = ""
                }
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }
}

struct CleanVerdicts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean-verdicts",
        abstract: "Run cleaning stages over a JSONL file; print each document's verdict (keep or the drop reason).")
    @Option(help: "Comma-separated stage names, applied in order (gopher_quality,c4,…).") var stages: String
    @Option(help: "JSONL documents with a \"text\" field.") var input: String
    @Option(help: "stage.key=value option overrides (YAML values).") var set: [String] = []
    @Option(help: "Apply the chain this many times (timing only; verdicts from the first run).") var repeatCount = 1
    @Flag(help: "Print only the timing line.") var quiet = false

    func run() throws {
        try runReportingErrors {
            let names = stages.split(separator: ",").map(String.init)
            var steps: [any Step] = []
            for name in names {
                var options = StageOptions(stageName: name, values: [], file: nil)
                for s in set where s.hasPrefix(name + ".") {
                    let kv = s.dropFirst(name.count + 1).split(separator: "=", maxSplits: 1)
                    guard kv.count == 2 else { throw SluiceError(.config, "--set needs stage.key=value, got '\(s)'") }
                    try options.override(String(kv[0]), yaml: String(kv[1]))
                }
                let step = try CleanStages.makeStep(named: name, options: &options)
                steps.append(step)
            }
            guard let data = FileManager.default.contents(atPath: input) else {
                throw SluiceError(.io, "cannot read the file", file: input)
            }
            var documents: [Document] = []
            for (n, line) in data.split(separator: 0x0A).enumerated() {
                guard let o = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
                    let text = o["text"] as? String
                else { throw SluiceError(.corruptInput, "not a JSON object with a text field", file: input, line: n + 1) }
                // Foundation hands back UTF-16-backed strings; the engine's reader makes native UTF-8 ones.
                var native = text
                native.makeContiguousUTF8()
                documents.append(Document(id: (o["id"] as? String) ?? String(n), text: native, source: "jsonl"))
            }
            let context = TaskContext(
                taskIndex: 0, taskCount: 1, outputDirectory: NSTemporaryDirectory(),
                temporaryDirectory: NSTemporaryDirectory(), stageNames: names)
            for i in steps.indices { try steps[i].prepare(context: context) }
            var verdicts: [String] = []
            let clock = ContinuousClock()
            let start = clock.now
            for r in 0..<max(1, repeatCount) {
                for d in documents {
                    var doc = d
                    var verdict = "keep"
                    for i in steps.indices {
                        context.stageIndex = i
                        if case .drop(let reason) = try steps[i].apply(to: &doc, context: context) {
                            verdict = reason.rawValue
                            break
                        }
                    }
                    if r == 0 { verdicts.append(verdict) }
                }
            }
            let seconds = (clock.now - start) / .seconds(1)
            if !quiet { print(verdicts.joined(separator: "\n")) }
            let docs = documents.count * max(1, repeatCount)
            FileHandle.standardError.write(Data("{\"documents\": \(docs), \"seconds\": \(seconds)}\n".utf8))
        }
    }
}
