// The ablation file (`sluice ablate ABLATION.yaml`): variants of a corpus, a shared tokenizer, one
// token budget, seeds, the model and train sections of `sluice train`, evaluations. Every key is
// checked here, naming file, line and key, before any work; variant pipelines are loaded and
// checked too. The `model` and `train` sections go to `TrainOptions.load` unchanged, so every key
// the trainer knows works here. Running lives in AblationPlan.swift.
import Foundation
import SluiceCore
import SluiceTokenize
import SluiceTrain

/// One variant of the data: documents as they are, or the output of a pipeline run first.
public struct AblationVariant: @unchecked Sendable {
    // @unchecked: `plan` holds only Sendable values and stage metatypes.
    public enum Source {
        /// JSONL files (folders and globs expanded, sorted).
        case documents([String])
        /// A pipeline whose output folder holds the variant's documents.
        case pipeline(PipelinePlan)
    }
    public let name: String
    /// The line of the variant's entry, for messages.
    public let line: Int
    public let source: Source
    /// Whether a variant with fewer tokens than the budget is repeated instead of refused.
    public let repeatData: Bool
    /// A hash of what decides the variant's documents.
    public let fingerprint: String
}

/// One evaluation: a text file (bits per byte) or a task file (accuracy).
public struct AblationEval: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case text(path: String, maxBytes: Int?)
        /// `multiple-choice` (HellaSwag-style JSONL) or `lambada`, as `sluice eval --task`.
        case task(name: String, path: String)
    }
    public let name: String
    public let kind: Kind
    /// `bits_per_byte` for texts, `accuracy` for tasks.
    public var metric: String {
        if case .text = kind { "bits_per_byte" } else { "accuracy" }
    }
    /// Whether smaller values are better.
    public var lowerIsBetter: Bool { metric == "bits_per_byte" }
}

/// A checked ablation file.
public struct AblationConfig: @unchecked Sendable {
    // @unchecked: ConfigValues and TrainOptions are plain values.
    public enum TokenizerSource {
        /// Train on `sampleBytes` (nil: the smallest variant's size) of every variant.
        case train(TokenizerTrainingSettings, sampleBytes: Int?)
        /// An existing tokenizer.json.
        case path(String)
    }
    public let file: String
    public let variants: [AblationVariant]
    public let baseline: String
    public let tokenizer: TokenizerSource
    public let budgetTokens: Int
    public let seeds: [Int]
    /// The trainer's options (model and train sections); steps, seed and out are set per run.
    public let train: TrainOptions
    /// Tokens one optimizer step consumes (batch × context × accumulation).
    public var tokensPerStep: Int { train.batchSize * train.contextLength * train.gradAccum }
    /// Optimizer steps of every run: the budget divided by the tokens of a step.
    public var steps: Int { budgetTokens / tokensPerStep }
    public let evals: [AblationEval]
    /// The text evaluation whose loss is tracked during training (the validation curves).
    public let validation: String?
    public let out: String
    /// Canonical text of the model and train sections (and overrides), for fingerprints.
    let trainingText: String
    /// Canonical text of the tokenizer section.
    let tokenizerText: String

    public static let topKeys = [
        "variants", "baseline", "tokenizer", "budget_tokens", "seeds", "model", "train", "eval",
        "validation", "out",
    ]
    static let variantKeys = ["documents", "pipeline", "stages", "input", "set", "skip", "repeat"]
    /// Train keys the ablation sets itself.
    static let ownedTrainKeys = [
        "steps": "budget_tokens sets the steps of every run", "seed": "seeds sets the seed of each run",
    ]

    /// Overrides from the command line.
    public struct Overrides: Sendable {
        /// `key=value` with a dotted key into the file (`budget_tokens=1e6`, `train.lr=3e-4`,
        /// `variants.raw.repeat=true`); the value is YAML.
        public var settings: [String] = []
        public var seeds: [Int]?
        public var budgetTokens: Int?
        public var out: String?
        public var workers: Int?
        public init(
            settings: [String] = [], seeds: [Int]? = nil, budgetTokens: Int? = nil, out: String? = nil,
            workers: Int? = nil
        ) {
            self.settings = settings
            self.seeds = seeds
            self.budgetTokens = budgetTokens
            self.out = out
            self.workers = workers
        }
    }

    /// Reads and checks an ablation file.
    /// - Parameter registry: the stages variant pipelines may use.
    /// - Throws: `SluiceError(.config)` naming file, line and key.
    public static func load(path: String, registry: StageRegistry, overrides: Overrides = .init()) throws
        -> AblationConfig
    {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
            let data = FileManager.default.contents(atPath: path)
        else { throw SluiceError(.config, "cannot read the ablation file", file: path) }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw SluiceError(.config, "the ablation file is not valid UTF-8; save it as UTF-8", file: path)
        }
        return try parse(yaml: text, file: path, registry: registry, overrides: overrides)
    }

    /// Parses ablation YAML; `file` names it in messages.
    public static func parse(yaml: String, file: String, registry: StageRegistry, overrides: Overrides = .init()) throws
        -> AblationConfig
    {
        var root = try ConfigValue.parseYAML(yaml, file: file)
        guard var top = root.mapValue, !top.isEmpty else {
            throw SluiceError(
                .config, "an ablation file is a map with variants, baseline, budget_tokens, seeds, model, train, eval",
                file: file, line: root.line == 0 ? nil : root.line)
        }
        func fail(_ v: ConfigValue?, _ key: String, _ message: String) -> SluiceError {
            let line = v?.line ?? 0
            return SluiceError(
                .config, "\(key): \(message)", file: line == 0 && v != nil ? "--set" : file,
                line: line == 0 ? nil : line)
        }
        for (key, value) in top where !topKeys.contains(key) {
            if key == "data" {
                throw fail(value, key, "the ablation makes each run's data from its variant; remove `data`")
            }
            throw fail(value, key, "unknown key (known: \(topKeys.joined(separator: ", ")))")
        }

        // --set: model.* and train.* go to the trainer's parser; everything else edits the tree.
        var trainOverrides: [(String, String)] = []
        for setting in overrides.settings {
            guard let eq = setting.firstIndex(of: "="), eq > setting.startIndex else {
                throw SluiceError(.usage, "--set \(setting): expected key=value (budget_tokens=500000, train.lr=3e-4)")
            }
            let key = String(setting[..<eq]), value = String(setting[setting.index(after: eq)...])
            let path = key.split(separator: ".").map(String.init)
            guard !path.isEmpty else { throw SluiceError(.usage, "--set \(setting): expected key=value") }
            if path[0] == "model" || path[0] == "train" {
                guard path.count == 2 else {
                    throw SluiceError(.usage, "--set \(setting): expected \(path[0]).key=value")
                }
                trainOverrides.append((key, value))
                continue
            }
            guard topKeys.contains(path[0]) else {
                throw SluiceError(
                    .config, "\(path[0]): unknown key (known: \(topKeys.joined(separator: ", ")))",
                    file: "--set \(setting)")
            }
            var parsed: ConfigValue
            do { parsed = try ConfigValue.parseYAML(value, file: "--set \(setting)") } catch var e as SluiceError {
                e.message = "\(key): " + e.message
                throw e
            }
            if case .map(let m, _) = parsed, m.isEmpty { parsed = .scalar(value, line: 0) }
            root = try root.setting(path[...], to: parsed.zeroLines, flag: "--set \(setting)")
        }
        if let seeds = overrides.seeds {
            root = try root.setting(
                ["seeds"], to: .list(seeds.map { .scalar(String($0), line: 0) }, line: 0), flag: "--seeds")
        }
        if let b = overrides.budgetTokens {
            root = try root.setting(["budget_tokens"], to: .scalar(String(b), line: 0), flag: "--budget-tokens")
        }
        if let o = overrides.out { root = try root.setting(["out"], to: .scalar(o, line: 0), flag: "--out") }
        top = root.mapValue!
        func value(_ key: String) -> ConfigValue? { top.first { $0.key == key }?.value }
        func required(_ key: String) throws -> ConfigValue {
            guard let v = value(key) else {
                throw SluiceError(.config, "\(key): required key is missing", file: file)
            }
            return v
        }

        // budget, seeds, out
        let budgetValue = try required("budget_tokens")
        guard let b = budgetValue.scalar.flatMap(parseCount), b >= 1 else {
            throw fail(budgetValue, "budget_tokens", "expected a positive number of tokens (2000000, 2e6 or 2M)")
        }
        let seedsValue = try required("seeds")
        var seeds: [Int] = []
        for item in seedsValue.listValue ?? [seedsValue] {
            guard let s = item.scalar.flatMap({ Int($0) }), s >= 0 else {
                throw fail(item, "seeds", "expected a list of integers ≥ 0")
            }
            guard !seeds.contains(s) else { throw fail(item, "seeds", "seed \(s) appears twice") }
            seeds.append(s)
        }
        guard !seeds.isEmpty else { throw fail(seedsValue, "seeds", "give at least one seed") }
        var out = "runs/ablation"
        if let v = value("out") {
            guard let s = v.scalar, !s.isEmpty else { throw fail(v, "out", "expected a folder path") }
            out = s
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isFolder), !isFolder.boolValue {
            throw fail(value("out"), "out", "'\(out)' is a file, not a folder")
        }

        // variants
        let variantsValue = try required("variants")
        guard let variantMap = variantsValue.mapValue else {
            throw fail(variantsValue, "variants", "expected a map of name: {documents: …} or {pipeline: …}")
        }
        guard variantMap.count >= 2 else {
            throw fail(
                variantsValue, "variants", "an ablation compares two or more variants (\(variantMap.count) given)")
        }
        var variants: [AblationVariant] = []
        for (name, v) in variantMap {
            guard isPlainName(name) else {
                throw fail(v, "variants.\(name)", "a variant name is letters, digits, '-' and '_' (it names folders)")
            }
            variants.append(
                try parseVariant(name: name, v, file: file, out: out, registry: registry, workers: overrides.workers))
        }

        // baseline
        let baselineValue = try required("baseline")
        guard let baseline = baselineValue.scalar, variants.contains(where: { $0.name == baseline }) else {
            throw fail(
                baselineValue, "baseline",
                "'\(baselineValue.scalar ?? "?")' is not a variant (variants: \(variants.map(\.name).joined(separator: ", ")))"
            )
        }

        // tokenizer
        let tokValue = try required("tokenizer")
        guard let tokMap = tokValue.mapValue else {
            throw fail(tokValue, "tokenizer", "expected {vocab_size: N} or {path: tokenizer.json}")
        }
        let tokenizer: TokenizerSource
        if let p = tokMap.first(where: { $0.key == "path" }) {
            guard tokMap.count == 1 else {
                let other = tokMap.first { $0.key != "path" }!
                throw fail(other.value, "tokenizer.\(other.key)", "a given tokenizer (path) takes no training options")
            }
            guard let s = p.value.scalar, FileManager.default.fileExists(atPath: s) else {
                throw fail(p.value, "tokenizer.path", "no tokenizer.json at '\(p.value.scalar ?? "?")'")
            }
            do { _ = try Tokenizer.load(path: s) } catch var e as SluiceError {
                e.message = "tokenizer.path: " + e.message
                throw e
            }
            tokenizer = .path(s)
        } else {
            var o = StageOptions(stageName: "tokenizer", values: tokMap, file: file, line: tokValue.line)
            let sample = try o.bytes(
                "sample_bytes", default: 0,
                "text sampled from every variant to train the tokenizer (0: the smallest variant's size)")
            guard o.has("vocab_size") else {
                throw fail(tokValue, "tokenizer.vocab_size", "required key is missing (or give tokenizer.path)")
            }
            let settings = try TokenizerTrainingSettings(options: &o)
            try o.finish()
            tokenizer = .train(settings, sampleBytes: sample > 0 ? sample : nil)
        }

        // model and train: the trainer's own parser
        var sections: [(key: String, value: ConfigValue)] = []
        for key in ["model", "train"] {
            guard let v = value(key) else { continue }
            guard let m = v.mapValue else {
                throw fail(v, key, "expected a map (the \(key) section of `sluice train`)")
            }
            if key == "train" {
                for (k, kv) in m {
                    if let why = ownedTrainKeys[k] { throw fail(kv, "train.\(k)", "\(why); remove it") }
                }
            }
            sections.append((key, v))
        }
        for (k, _) in trainOverrides {
            let sub = String(k.dropFirst(6))
            if k.hasPrefix("train."), let why = ownedTrainKeys[sub] {
                throw SluiceError(.config, "\(k): \(why)", file: "--set")
            }
        }
        var train = try TrainOptions.load(root: .map(sections, line: 0), file: file, overrides: trainOverrides)
        do { try train.modelConfig(vocab: train.vocabSize ?? 1, eos: nil).validate() } catch var e as SluiceError {
            // The shape checks of `sluice train`, with the place of the model section.
            e.file = file
            e.line = value("model").map { $0.line == 0 ? nil : $0.line } ?? nil
            throw e
        }
        train.steps = max(1, b / (train.batchSize * train.contextLength * train.gradAccum))
        let tokensPerStep = train.batchSize * train.contextLength * train.gradAccum
        guard b >= tokensPerStep else {
            throw fail(
                budgetValue, "budget_tokens",
                "\(b) is less than one optimizer step (\(tokensPerStep) tokens = batch_size × context_length × grad_accum)"
            )
        }
        if train.warmup > train.steps {
            throw fail(
                value("train")?["warmup"] ?? budgetValue, "train.warmup",
                "\(train.warmup) warm-up steps, but the budget gives only \(train.steps) steps")
        }

        // eval
        let evalValue = try required("eval")
        guard let evalList = evalValue.listValue, !evalList.isEmpty else {
            throw fail(evalValue, "eval", "expected a list of {name, text} or {name, task, path}")
        }
        var evals: [AblationEval] = []
        for item in evalList {
            guard let m = item.mapValue else {
                throw fail(
                    item, "eval",
                    "each evaluation is {name: …, text: file} or {name: …, task: multiple-choice, path: file}")
            }
            guard let nameValue = m.first(where: { $0.key == "name" })?.value, let name = nameValue.scalar,
                isPlainName(name)
            else {
                throw fail(item, "eval.name", "each evaluation needs a name (letters, digits, '-', '_')")
            }
            guard !evals.contains(where: { $0.name == name }) else {
                throw fail(nameValue, "eval.\(name)", "the name appears twice")
            }
            var o = StageOptions(
                stageName: "eval.\(name)", values: m.filter { $0.key != "name" }, file: file, line: item.line)
            let textPath = try o.optionalString("text", "plain-text file scored in bits per byte")
            let task = try o.optionalString("task", "multiple-choice or lambada, as `sluice eval --task`")
            let taskPath = try o.optionalString("path", "the task's JSONL file")
            let maxBytes = try o.bytes(
                "max_bytes", default: 0, "score only the first bytes of the text (cut at a line end; 0: all)")
            try o.finish()
            func checkFile(_ p: String, _ key: String) throws {
                var dir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: p, isDirectory: &dir), !dir.boolValue else {
                    throw o.error(key, "no file at '\(p)'")
                }
            }
            if let textPath {
                guard task == nil, taskPath == nil else {
                    throw o.error("task", "give text or task (with path), not both")
                }
                try checkFile(textPath, "text")
                evals.append(
                    AblationEval(name: name, kind: .text(path: textPath, maxBytes: maxBytes > 0 ? maxBytes : nil)))
            } else if let task {
                guard task == "multiple-choice" || task == "lambada" else {
                    throw o.error("task", "'\(task)' is not multiple-choice or lambada")
                }
                guard let taskPath else { throw o.error("path", "task \(task) needs path: its JSONL file") }
                guard maxBytes == 0 else { throw o.error("max_bytes", "applies to text evaluations only") }
                try checkFile(taskPath, "path")
                evals.append(AblationEval(name: name, kind: .task(name: task, path: taskPath)))
            } else {
                throw fail(item, "eval.\(name)", "give text: FILE or task: multiple-choice|lambada with path: FILE")
            }
        }
        var validation = evals.first { if case .text = $0.kind { true } else { false } }?.name
        if let v = value("validation") {
            guard let s = v.scalar, let e = evals.first(where: { $0.name == s }), case .text = e.kind else {
                throw fail(
                    v, "validation", "expected the name of a text evaluation (the validation curves track its loss)")
            }
            validation = s
        }

        func canonical(_ keys: [String]) -> String {
            keys.compactMap { k in value(k).map { "\(k)=\($0.canonical)" } }.joined(separator: ";")
        }
        let trainingText =
            canonical(["model", "train"]) + ";" + trainOverrides.map { "\($0.0)=\($0.1)" }.joined(separator: ";")
        return AblationConfig(
            file: file, variants: variants, baseline: baseline, tokenizer: tokenizer, budgetTokens: b, seeds: seeds,
            train: train, evals: evals, validation: validation, out: out, trainingText: trainingText,
            tokenizerText: canonical(["tokenizer"]))
    }

    /// `2000000`, `2_000_000`, `2e6`, `2M`, `500k`.
    static func parseCount(_ s: String) -> Int? {
        let t = s.replacingOccurrences(of: "_", with: "").trimmingCharacters(in: .whitespaces)
        if let i = Int(t) { return i }
        let units: [(String, Double)] = [("k", 1e3), ("K", 1e3), ("M", 1e6), ("G", 1e9), ("B", 1e9)]
        for (u, m) in units where t.hasSuffix(u) {
            guard let d = Double(t.dropLast()), d >= 0, d * m < 9e18, (d * m).rounded() == d * m else { return nil }
            return Int(d * m)
        }
        if let d = Double(t), d >= 0, d < 9e18, d.rounded() == d { return Int(d) }
        return nil
    }

    static func isPlainName(_ s: String) -> Bool {
        !s.isEmpty
            && s.utf8.allSatisfy { c in
                (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95
            }
    }

    /// The folder a variant's pipeline writes to.
    static func variantDocuments(_ out: String, _ name: String) -> String { "\(out)/variants/\(name)/documents" }

    static func parseVariant(
        name: String, _ v: ConfigValue, file: String, out: String, registry: StageRegistry, workers: Int?
    ) throws -> AblationVariant {
        let key = "variants.\(name)"
        func fail(_ value: ConfigValue, _ k: String, _ message: String) -> SluiceError {
            SluiceError(
                .config, "\(k): \(message)", file: value.line == 0 ? "--set" : file,
                line: value.line == 0 ? nil : value.line)
        }
        guard let m = v.mapValue else {
            throw fail(
                v, key,
                "expected {documents: [globs]}, {pipeline: FILE, input: [globs]} or {stages: [...], input: [globs]}")
        }
        func get(_ k: String) -> ConfigValue? { m.first { $0.key == k }?.value }
        for (k, value) in m where !variantKeys.contains(k) {
            throw fail(value, "\(key).\(k)", "unknown key (known: \(variantKeys.joined(separator: ", ")))")
        }
        func strings(_ k: String) throws -> [(String, Int)]? {
            guard let value = get(k) else { return nil }
            if let s = value.scalar { return [(s, value.line)] }
            guard let l = value.listValue, !l.isEmpty else {
                throw fail(value, "\(key).\(k)", "expected a string or a list of strings")
            }
            return try l.map { item in
                guard let s = item.scalar else { throw fail(item, "\(key).\(k)", "expected a string") }
                return (s, item.line)
            }
        }
        var repeatData = false
        if let r = get("repeat") {
            switch r.scalar?.lowercased() {
            case "true", "yes", "on": repeatData = true
            case "false", "no", "off": repeatData = false
            default: throw fail(r, "\(key).repeat", "expected true or false")
            }
        }
        let kinds = ["documents", "pipeline", "stages"].filter { get($0) != nil }
        guard kinds.count == 1 else {
            throw fail(
                v, key,
                kinds.isEmpty
                    ? "give documents, pipeline or stages"
                    : "give one of documents, pipeline, stages (not \(kinds.joined(separator: " and ")))")
        }
        if let docs = try strings("documents") {
            for k in ["input", "set", "skip"] where get(k) != nil {
                throw fail(get(k)!, "\(key).\(k)", "applies to pipeline variants only")
            }
            var files: [String] = []
            for (pattern, line) in docs {
                var found: [String] = []
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: pattern, isDirectory: &isDir), isDir.boolValue {
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: pattern)) ?? []
                    found = names.filter { isJSONL($0) }.map { (pattern.hasSuffix("/") ? pattern : pattern + "/") + $0 }
                } else {
                    found = Glob.expand(pattern)
                }
                if found.isEmpty {
                    throw SluiceError(
                        .config, "\(key).documents: no JSONL file matches '\(pattern)'",
                        file: line == 0 ? "--set" : file, line: line == 0 ? nil : line)
                }
                files += found
            }
            files = Glob.sortedUnique(files)
            var text = "documents"
            for f in files { text += "\n\(f) \(fileSize(f))" }
            return AblationVariant(
                name: name, line: v.line, source: .documents(files), repeatData: repeatData,
                fingerprint: hex(xxHash64(text)))
        }
        // A pipeline: a file, or stages written inline.
        var d: PipelineDescription
        if let p = get("pipeline") {
            guard let path = p.scalar else { throw fail(p, "\(key).pipeline", "expected a pipeline file") }
            guard FileManager.default.fileExists(atPath: path) else {
                throw fail(p, "\(key).pipeline", "no pipeline file at '\(path)'")
            }
            d = try PipelineDescription.load(path: path)
        } else {
            let s = get("stages")!
            guard let list = s.listValue else { throw fail(s, "\(key).stages", "expected a list of stages") }
            d = PipelineDescription(file: file)
            for item in list {
                if let n = item.scalar {
                    d.stages.append((n, [], item.line))
                } else if let sm = item.mapValue, sm.count == 1 {
                    let (n, o) = sm[0]
                    if let sv = o.scalar, sv.isEmpty || sv == "null" || sv == "~" {
                        d.stages.append((n, [], item.line))
                    } else if let om = o.mapValue {
                        d.stages.append((n, om, item.line))
                    } else {
                        throw fail(o, "\(key).stages.\(n)", "options must be a map such as {key: value}")
                    }
                } else {
                    throw fail(item, "\(key).stages", "each stage is `name` or `name: {options}`")
                }
            }
            guard get("input") != nil else { throw fail(s, "\(key).input", "inline stages need input: [globs]") }
        }
        if let skip = try strings("skip") {
            for (n, line) in skip {
                guard d.stages.contains(where: { $0.name == n }) else {
                    throw SluiceError(
                        .config,
                        "\(key).skip: the pipeline has no stage '\(n)' (it has: \(d.stages.map(\.name).joined(separator: ", ")))",
                        file: line == 0 ? "--set" : file, line: line == 0 ? nil : line)
                }
            }
            d.stages.removeAll { s in skip.contains { $0.0 == s.name } }
        }
        var inputs: [String] = []
        if let input = try strings("input") {
            for (pattern, line) in input where Glob.expand(pattern).isEmpty {
                throw SluiceError(
                    .config, "\(key).input: no input matches '\(pattern)'", file: line == 0 ? "--set" : file,
                    line: line == 0 ? nil : line)
            }
            inputs = input.map { $0.0 }
        }
        let settings = try strings("set")?.map { $0.0 } ?? []
        let overrides = PipelineOverrides(
            inputs: inputs, output: variantDocuments(out, name), workers: workers, settings: settings)
        let pipeline: Pipeline
        do { pipeline = try Pipeline(d, registry: registry, overrides: overrides) } catch var e as SluiceError {
            e.message = "\(key): " + e.message
            throw e
        }
        let plan = try PipelinePlan(pipeline: pipeline, registry: registry)
        return AblationVariant(
            name: name, line: v.line, source: .pipeline(plan), repeatData: repeatData, fingerprint: plan.fingerprint)
    }

    static func isJSONL(_ name: String) -> Bool {
        [".jsonl", ".jsonl.gz", ".jsonl.zst", ".jsonl.zstd", ".jsonl.bz2"].contains { name.hasSuffix($0) }
    }
}

func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : -1
}

func hex(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

extension ConfigValue {
    /// Canonical text (keys in file order, no lines), for fingerprints.
    var canonical: String {
        switch self {
        case .scalar(let s, _): "\"\(s)\""
        case .list(let l, _): "[" + l.map(\.canonical).joined(separator: ",") + "]"
        case .map(let m, _): "{" + m.map { "\"\($0.key)\":" + $0.value.canonical }.joined(separator: ",") + "}"
        }
    }

    /// The same value with every line set to 0 (it came from the command line).
    var zeroLines: ConfigValue {
        switch self {
        case .scalar(let s, _): .scalar(s, line: 0)
        case .list(let l, _): .list(l.map(\.zeroLines), line: 0)
        case .map(let m, _): .map(m.map { ($0.key, $0.value.zeroLines) }, line: 0)
        }
    }

    /// This map with the value at `path` replaced (maps are created along the way).
    func setting(_ path: ArraySlice<String>, to value: ConfigValue, flag: String) throws -> ConfigValue {
        guard let key = path.first else { return value }
        guard case .map(var m, let line) = self else {
            throw SluiceError(.config, "\(key): the value above it is not a map", file: flag)
        }
        if let i = m.firstIndex(where: { $0.key == key }) {
            m[i].value = try m[i].value.setting(path.dropFirst(), to: value, flag: flag)
        } else {
            m.append((key, try ConfigValue.map([], line: 0).setting(path.dropFirst(), to: value, flag: flag)))
        }
        return .map(m, line: line)
    }
}
