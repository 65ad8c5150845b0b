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
        guard let f = LabeledFormat(rawValue: format) else {
            throw ValidationError("--format must be csv, tsv or jsonl")
        }
        return f
    }
}

struct ClassifierTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a classifier on labelled text.",
        discussion: """
            Labelled rows come from --input (CSV, TSV or JSONL with --label-field), or whole document files \
            and folders get one label each with --documents LABEL=PATH (repeatable). --holdout keeps a seeded, \
            stratified share of every label out of training and prints the model's scores on it.
            Example: sluice classifier train --documents hq=out/wiki --documents cc=out/crawl --holdout 0.2 \
            --output out/models/quality.slcm
            """)
    @Option(help: "CSV, TSV or JSONL file of labelled rows.") var input: String?
    @Option(help: "Column (CSV/TSV header) or key (JSONL) holding the text.") var textField = "text"
    @Option(help: "csv, tsv or jsonl (default: from the extension).") var format: String?
    @Option(help: "Column or key holding the label (with --input).") var labelField: String?
    @Option(
        help: ArgumentHelp(
            "LABEL=PATH: every document of PATH gets LABEL (repeatable).",
            discussion: "PATH: a .jsonl(.gz/.zst/.bz2) document file, a .txt/.md file (one example per paragraph), "
                + "or a folder of them such as a `sluice run` output."))
    var documents: [String] = []
    @Option(help: "Where to write the model (.slcm).") var output: String
    @Option(help: "Passes over the data.") var epochs = 5
    @Option(help: "Initial learning rate (decays linearly to 0).") var lr: Float = 0.75
    @Option(help: "Longest word n-gram.") var wordNgrams = 2
    @Option(help: "Shortest character n-gram (0 = none).") var minn = 3
    @Option(help: "Longest character n-gram.") var maxn = 5
    @Option(help: "Hash rows, a power of two.") var buckets = 1 << 20
    @Option(help: "Training threads (lock-free SGD).") var threads = 2
    @Option(help: "Random seed for shuffling, --balance and the --holdout split.") var seed: UInt64 = 1
    @Flag(help: "Keep letter case (default lowercases ASCII).") var keepCase = false
    @Option(help: "Fraction of each label held out for evaluation (0 = none).") var holdout = 0.0
    @Flag(help: "Downsample every label to the size of the smallest (seeded).") var balance = false
    @Option(help: "Leave out examples with fewer whitespace-separated words.") var minWords = 0
    @Option(help: "One example of a --documents .txt/.md file: line (as fastText's files) or paragraph.")
    var textUnit = "line"
    @Option(help: "Write the held-out examples here as JSONL {text, label}.") var heldOutOutput: String?
    @Option(help: "Write the training examples here as JSONL {text, label} (after --balance and --holdout).")
    var trainOutput: String?

    func validate() throws {
        guard buckets > 0, buckets & (buckets - 1) == 0, buckets <= 1 << 26 else {
            throw ValidationError("--buckets must be a power of two up to 2^26")
        }
        guard epochs >= 1, wordNgrams >= 1, wordNgrams <= 10, threads >= 1, lr > 0 else {
            throw ValidationError("--epochs, --word-ngrams, --threads and --lr must be positive")
        }
        guard minn >= 0, maxn >= minn, maxn <= 20 else { throw ValidationError("need 0 <= --minn <= --maxn <= 20") }
        guard input != nil || !documents.isEmpty else {
            throw ValidationError("give --input or --documents LABEL=PATH")
        }
        if input != nil && labelField == nil { throw ValidationError("--input needs --label-field") }
        guard holdout >= 0, holdout < 1 else { throw ValidationError("--holdout must be in [0, 1)") }
        guard minWords >= 0 else { throw ValidationError("--min-words must be >= 0") }
        if heldOutOutput != nil && holdout == 0 { throw ValidationError("--held-out-output needs --holdout") }
        guard LabeledData.TextUnit(rawValue: textUnit) != nil else {
            throw ValidationError("--text-unit must be line or paragraph")
        }
        for d in documents {
            guard let eq = d.firstIndex(of: "="), eq != d.startIndex, d.index(after: eq) != d.endIndex else {
                throw ValidationError("--documents takes LABEL=PATH, got '\(d)'")
            }
        }
    }

    func run() throws {
        try reportingErrors {
            var examples: [LabeledExample] = []
            if let input {
                var labeledFormat: LabeledFormat?
                if let format {
                    guard let f = LabeledFormat(rawValue: format) else {
                        throw ValidationError("--format must be csv, tsv or jsonl")
                    }
                    labeledFormat = f
                }
                examples = try LabeledData.read(
                    path: input, textField: textField, labelField: labelField, format: labeledFormat)
                if minWords > 0 { examples = examples.filter { LabeledData.wordCount($0.text, atLeast: minWords) } }
            }
            for d in documents {
                let eq = d.firstIndex(of: "=")!
                examples += try LabeledData.documents(
                    at: String(d[d.index(after: eq)...]), label: String(d[..<eq]), minWords: minWords,
                    textUnit: LabeledData.TextUnit(rawValue: textUnit) ?? .line)
            }
            if balance, let smallest = Dictionary(grouping: examples, by: \.label).values.map(\.count).min() {
                examples = LabeledData.capped(examples, perLabel: smallest, seed: seed)
            }
            var heldOut: [LabeledExample] = []
            if holdout > 0 {
                let parts = LabeledData.split(examples, holdout: holdout, seed: seed)
                examples = parts.train
                heldOut = parts.heldOut
            }
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
            let folder = (output as NSString).deletingLastPathComponent
            if !folder.isEmpty {
                try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
            try model.write(to: output)
            var summary: JSONObject = [
                "examples": .int(Int64(examples.count)), "labels": .array(model.labels.map { .string($0) }),
                "train_seconds": .double(seconds),
            ]
            if holdout > 0 { summary["held_out"] = ClassifierEvaluation(model: model, examples: heldOut).jsonValue }
            if let heldOutOutput { try Self.write(heldOut, to: heldOutOutput) }
            if let trainOutput { try Self.write(examples, to: trainOutput) }
            print(JSONSerializer.spacedString(.object(summary)))
        }
    }

    /// Writes examples as JSONL `{"text", "label"}`, the shape `--input … --label-field label` reads.
    static func write(_ examples: [LabeledExample], to path: String) throws {
        var lines = ""
        for e in examples {
            lines += JSONSerializer.string(.object(["text": .string(e.text), "label": .string(e.label)])) + "\n"
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(lines.utf8)) else {
            throw SluiceError(.io, "cannot write the examples", file: path)
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
        try reportingErrors {
            let m = try ClassifierModels.load(path: model)
            let examples = try LabeledData.read(
                path: data.input, textField: data.textField, labelField: labelField, format: try data.labeledFormat())
            print(ClassifierEvaluation(model: m, examples: examples).json)
        }
    }
}

struct ClassifierPredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Label each record: one JSON line {\"label\", \"probability\", \"probabilities\"}.")
    @Option(help: "Model file from `sluice classifier train`, or a fastText .bin/.ftz model.") var model: String
    @OptionGroup var data: LabeledInputOptions

    func run() throws {
        try reportingErrors {
            let m = try ClassifierModels.load(path: model)
            let examples = try LabeledData.read(
                path: data.input, textField: data.textField, labelField: nil, format: try data.labeledFormat())
            let p = m.makeScorer()
            // Probabilities to six decimals, as fastText prints them.
            func rounded(_ x: Float) -> JSONValue { .double((Double(x) * 1e6).rounded() / 1e6) }
            var out = ""
            for e in examples {
                let probs = p.probabilities(e.text)
                var best = 0
                for l in 1..<probs.count where probs[l] > probs[best] { best = l }
                var all = JSONObject()
                for (label, probability) in zip(m.labels, probs) { all[label] = rounded(probability) }
                out += JSONSerializer.spacedString([
                    "label": .string(m.labels[best]), "probability": rounded(probs[best]),
                    "probabilities": .object(all),
                ])
                out += "\n"
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
    @Option(help: "JSONL documents with a \"text\" field (.jsonl, .jsonl.gz, .jsonl.zst).") var input: String
    @Option(help: "stage.key=value option overrides (YAML values).") var set: [String] = []
    @Option(help: "Apply the chain this many times (timing only; verdicts from the first run).") var repeatCount = 1
    @Flag(help: "Print only the timing line.") var quiet = false

    func run() throws {
        try reportingErrors {
            let names = stages.split(separator: ",").map(String.init)
            var steps: [any Step] = []
            for name in names {
                var options = StageOptions(stageName: name, values: [], file: nil)
                for s in set {
                    let (stage, key, value) = try OptionSetting.stageOption(s)
                    if stage == name { try options.override(key, yaml: value) }
                }
                guard
                    let step = try StageBuilder.build(named: name, in: CleanStages.all, options: &options) as? any Step
                else { throw SluiceError(.config, "'\(name)' is not a step") }
                steps.append(step)
            }
            // Documents as `sluice run` reads them (the engine's `jsonl` reader: .gz/.zst/.bz2, unknown
            // fields into metadata), through the engine's step loop (StepChain).
            let context = TaskContext(
                taskIndex: 0, taskCount: 1, outputDirectory: NSTemporaryDirectory(),
                temporaryDirectory: NSTemporaryDirectory(), stageNames: [JSONLReader.name] + names)
            var documents: [Document] = []
            var reader = try JSONLReader().open(input, context: context)
            while let d = try reader.next() { documents.append(d) }
            // Every line must be a document: verdicts are matched to input lines by position.
            let bad = context.stats.stages[0].errors.filter { $0.key != JSONLReader.invalidUTF8 }
            if let first = bad.min(by: { $0.key < $1.key }) {
                throw SluiceError(.corruptInput, "\(first.value) lines are not documents (\(first.key))", file: input)
            }
            var chain = StepChain(steps, firstSlot: 1)
            try chain.prepare(context: context)
            var verdicts: [String] = []
            let clock = ContinuousClock()
            let start = clock.now
            for r in 0..<max(1, repeatCount) {
                for d in documents {
                    var doc = d
                    let verdict = try chain.apply(to: &doc, context: context)
                    guard r == 0 else { continue }
                    if case .drop(let reason) = verdict {
                        verdicts.append(reason.rawValue)
                    } else {
                        verdicts.append("keep")
                    }
                }
            }
            let seconds = (clock.now - start) / .seconds(1)
            if !quiet { print(verdicts.joined(separator: "\n")) }
            let docs = documents.count * max(1, repeatCount)
            stderrLine(JSONSerializer.spacedString(["documents": .int(Int64(docs)), "seconds": .double(seconds)]))
        }
    }
}
