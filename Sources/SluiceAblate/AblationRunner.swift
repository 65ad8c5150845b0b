// Runs an ablation's tasks: locally, every pass in order (finished tasks skipped), or one task as
// a scheduler's array element does. The work itself is the existing libraries': the pipeline
// engine for variants, the tokenizer trainer, the shard writer, the trainer and the evaluator.
import Foundation
import Logging
import SluiceCore
import SluiceTokenize
import SluiceTrain

/// Runs the tasks of an ablation plan.
public struct AblationRunner {
    public let plan: AblationPlan
    /// Threads for variant pipelines, tokenizer counting and shard writing.
    public var workers: Int
    /// Redo tasks that have markers.
    public var force: Bool
    public var showProgress: Bool
    /// Receives one line per event (the CLI prints them on stderr).
    public var log: @Sendable (String) -> Void

    public init(
        plan: AblationPlan, workers: Int? = nil, force: Bool = false, showProgress: Bool = false,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.plan = plan
        self.workers = max(1, workers ?? ProcessInfo.processInfo.activeProcessorCount)
        self.force = force
        self.showProgress = showProgress
        self.log = log
    }

    var config: AblationConfig { plan.config }

    /// Runs every pass in order; returns how many tasks ran and how many were already done.
    /// - Throws: the first task error, naming the pass and task; a variant short of the budget
    ///   before any training.
    @discardableResult
    public func run() throws -> (ran: Int, skipped: Int) {
        try FileManager.default.createDirectory(atPath: config.out, withIntermediateDirectories: true)
        let lock = try OutputLock.exclusive(root: plan.layout.root)
        defer { withExtendedLifetime(lock) {} }
        if let warning = lock.warning { log(warning) }
        var ran = 0, skipped = 0
        for p in plan.passes.indices {
            let pass = plan.passes[p]
            let pending = force ? Array(0..<pass.taskCount) : plan.pendingTasks(pass: p)
            skipped += pass.taskCount - pending.count
            if pass.kind == .train { try checkBudget() }
            for t in pending {
                log("\(pass.name) \(t + 1)/\(pass.taskCount): \(plan.describe(pass: p, task: t))")
                try runGuarded(pass: p, task: t)
                ran += 1
            }
        }
        return (ran, skipped)
    }

    /// Runs one task (what a Slurm array element does); false when it was already done.
    /// - Throws: `SluiceError(.usage)` when an earlier pass is not complete.
    @discardableResult
    public func runTask(pass p: Int, task: Int) throws -> Bool {
        let pass = plan.passes[p]
        guard task >= 0 && task < pass.taskCount else {
            throw SluiceError(.usage, "--task-index \(task) is outside 0..<\(pass.taskCount) for pass \(pass.name)")
        }
        try FileManager.default.createDirectory(atPath: config.out, withIntermediateDirectories: true)
        let lock = try OutputLock.task(root: plan.layout.root, pass: pass.name, task: task)
        defer { withExtendedLifetime(lock) {} }
        try plan.checkComplete(before: p)
        if !force && plan.isDone(pass: p, task: task) { return false }
        if pass.kind == .train { try checkBudget() }
        try runGuarded(pass: p, task: task)
        return true
    }

    func runGuarded(pass p: Int, task: Int) throws {
        do {
            try runOne(pass: p, task: task)
        } catch var e as SluiceError {
            e.message = "task \(plan.passes[p].name)/\(task): " + e.message
            throw e
        }
    }

    func runOne(pass p: Int, task: Int) throws {
        try? FileManager.default.removeItem(atPath: plan.layout.marker(pass: plan.passes[p].name, task: task))
        let files: [String]
        switch plan.passes[p].kind {
        case .documents: files = try runPipeline(plan.pipelineVariants[task])
        case .tokenizer: files = try trainTokenizer()
        case .tokenize: files = try tokenize(task)
        case .train:
            let (v, s) = plan.trainTask(task)
            files = try train(variant: v, seed: config.seeds[s])
        case .report: files = try AblationResults.load(plan).write(plan)
        }
        try plan.markDone(pass: p, task: task, files: files)
    }

    // MARK: - Variants

    func runPipeline(_ v: Int) throws -> [String] {
        guard case .pipeline(let pipelinePlan) = config.variants[v].source else {
            preconditionFailure("not a pipeline variant")
        }
        let executor = LocalExecutor(
            workers: workers, force: force, showProgress: showProgress, logger: Logger(label: "sluice"))
        try executor.run(pipelinePlan)
        let files = plan.documentFiles(v)
        guard !files.isEmpty else {
            throw SluiceError(
                .config, "variant \(config.variants[v].name): its pipeline wrote no JSONL documents", file: config.file,
                line: config.variants[v].line)
        }
        return files
    }

    // MARK: - Tokenizer

    /// Calls `body` with the text of every document of variant `v`, in file order; lines that are
    /// not JSONL documents are skipped (counted in the return value).
    func forEachDocument(_ v: Int, _ body: (String) throws -> Void) throws -> Int {
        var skipped = 0
        for path in plan.documentFiles(v) {
            let reader = try LineReader(path: path)
            var parser = JSONParser()
            while let line = try reader.next() {
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                guard let doc = try? parser.parseDocument(line, defaultID: "", defaultSource: "") else {
                    skipped += 1
                    continue
                }
                try body(doc.text)
            }
        }
        return skipped
    }

    /// Trains the tokenizer on the same number of bytes from every variant: each variant's
    /// documents ordered by a hash of their text, taken until the sample size (the last one cut).
    func trainTokenizer() throws -> [String] {
        guard case .train(let settings, let sampleBytes) = config.tokenizer else {
            preconditionFailure("no tokenizer to train")
        }
        let dir = config.out + "/tokenizer"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // Pass 1: hash and size of every document.
        var entries: [[(hash: UInt64, bytes: Int)]] = []
        for v in config.variants.indices {
            var e: [(hash: UInt64, bytes: Int)] = []
            _ = try forEachDocument(v) { text in
                e.append((hash: xxHash64(text, seed: 0xAB1A7E), bytes: text.utf8.count))
            }
            entries.append(e)
        }
        let totals = entries.map { $0.reduce(0) { $0 + $1.bytes } }
        let smallest = totals.min() ?? 0
        guard smallest > 0 else {
            let v = totals.firstIndex(of: 0)!
            throw SluiceError(
                .config, "variant \(config.variants[v].name) has no text to train the tokenizer on", file: config.file,
                line: config.variants[v].line)
        }
        let target = min(sampleBytes ?? min(smallest, Self.defaultSampleCap), smallest)
        // Pass 2: write each variant's sample.
        var samplePaths: [String] = []
        var summary = JSONObject()
        for v in config.variants.indices {
            let order = entries[v].indices.sorted { (entries[v][$0].hash, $0) < (entries[v][$1].hash, $1) }
            var chosen = [Int: Int]()  // document ordinal → bytes to keep
            var taken = 0
            for i in order where taken < target {
                let keep = min(entries[v][i].bytes, target - taken)
                chosen[i] = keep
                taken += keep
            }
            let path = "\(dir)/sample-\(config.variants[v].name).jsonl"
            let sink = try createByteSink(path)
            var ordinal = 0
            var bytes = 0
            _ = try forEachDocument(v) { text in
                defer { ordinal += 1 }
                guard let keep = chosen[ordinal] else { return }
                var t = text
                if keep < text.utf8.count {
                    // Cut at `keep` bytes, dropping a character the cut would split.
                    var b = Array(text.utf8.prefix(keep))
                    while let last = b.last, last & 0xC0 == 0x80 { b.removeLast() }
                    if let last = b.last, last >= 0xC0 { b.removeLast() }
                    t = String(decoding: b, as: UTF8.self)
                }
                bytes += t.utf8.count
                var o = JSONObject()
                o["text"] = .string(t)
                try sink.write(JSONSerializer.serialize(.object(o)) + [0x0A])
            }
            try sink.close()
            samplePaths.append(path)
            var s = JSONObject()
            s["documents"] = .int(Int64(chosen.count))
            s["bytes"] = .int(Int64(bytes))
            summary[config.variants[v].name] = .object(s)
        }
        log(
            "tokenizer: training \(settings.model) (vocab \(settings.vocabSize)) on \(target) bytes of each of \(config.variants.count) variants"
        )
        let (tok, _) = try settings.train(paths: samplePaths, workers: workers)
        guard tok.eosID != nil else {
            throw SluiceError(
                .config, "tokenizer.special_tokens: the tokenizer needs an end-of-text token (<|endoftext|>, </s>)",
                file: config.file)
        }
        let tmp = "\(dir)/tokenizer.json.tmp"
        try tok.save(path: tmp)
        guard rename(tmp, plan.tokenizerPath) == 0 else {
            throw SluiceError(.io, "cannot rename into place", file: plan.tokenizerPath)
        }
        for p in samplePaths { try? FileManager.default.removeItem(atPath: p) }
        let samplePath = "\(dir)/sample.json"
        try writeAtomically(Data((AblationResults.pretty(.object(summary)) + "\n").utf8), to: samplePath)
        return [plan.tokenizerPath, samplePath]
    }

    /// Sample size per variant when the file gives none: the smallest variant's, at most this.
    public static let defaultSampleCap = 16_000_000

    // MARK: - Tokenize

    func tokenize(_ v: Int) throws -> [String] {
        let dir = plan.shardDirectory(v)
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.removeItem(atPath: plan.dataSummaryPath(v))
        let inputs = plan.documentFiles(v)
        guard !inputs.isEmpty else {
            throw SluiceError(
                .config, "variant \(config.variants[v].name) has no document files", file: config.file,
                line: config.variants[v].line)
        }
        let writer = TokenizeWriter(tokenizerPath: plan.tokenizerPath, validationFraction: 0)
        let s = try ShardTools.write(
            inputs: inputs, tokenizerPath: plan.tokenizerPath, output: dir, writer: writer, workers: workers)
        guard s.documents > 0 else {
            throw SluiceError(
                .config, "variant \(config.variants[v].name) has no documents", file: config.file,
                line: config.variants[v].line)
        }
        let data = try ShardDataset(directory: dir, split: .train)
        var o = JSONObject()
        o["documents"] = .int(Int64(s.documents))
        o["tokens"] = .int(Int64(data.tokenCount))
        o["text_bytes"] = .int(Int64(s.textBytes))
        try writeAtomically(Data((AblationResults.pretty(.object(o)) + "\n").utf8), to: plan.dataSummaryPath(v))
        log("tokenize: \(config.variants[v].name): \(s.documents) documents, \(data.tokenCount) tokens")
        return data.files
            + [dir + "/tokenizer.json", plan.dataSummaryPath(v)].filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// Documents and tokens of variant `v` (after its tokenize task).
    func dataSummary(_ v: Int) throws -> (documents: Int, tokens: Int) {
        let path = plan.dataSummaryPath(v)
        guard let d = FileManager.default.contents(atPath: path) else {
            throw SluiceError(.io, "missing; rerun the tokenize pass", file: path)
        }
        var parser = JSONParser()
        guard let o = try? d.withUnsafeBytes({ try parser.parse($0) }).objectValue, let docs = o["documents"]?.intValue,
            let toks = o["tokens"]?.intValue
        else { throw SluiceError(.corruptInput, "not a data summary", file: path) }
        return (Int(docs), Int(toks))
    }

    /// Throws when a variant without `repeat: true` has fewer tokens than the budget.
    public func checkBudget() throws {
        for v in config.variants.indices where !config.variants[v].repeatData {
            let tokens = try dataSummary(v).tokens
            if tokens < config.budgetTokens {
                throw SluiceError(
                    .config,
                    "variant \(config.variants[v].name) has \(tokens) tokens, fewer than budget_tokens \(config.budgetTokens); lower the budget or set repeat: true on the variant to repeat its data",
                    file: config.file, line: config.variants[v].line == 0 ? nil : config.variants[v].line)
            }
        }
    }

    // MARK: - Train and evaluate

    /// The text an evaluation scores: the file, or its first `maxBytes` cut at a line end.
    static func evalText(_ path: String, maxBytes: Int?) throws -> String {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw SluiceError(.io, "cannot read", file: path)
        }
        var bytes = [UInt8](d)
        if let m = maxBytes, bytes.count > m {
            var cut = m
            while cut > 0 && bytes[cut - 1] != 0x0A { cut -= 1 }
            bytes.removeSubrange((cut == 0 ? m : cut)...)
        }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw SluiceError(.corruptInput, "not valid UTF-8 (within max_bytes)", file: path)
        }
        return s
    }

    func train(variant v: Int, seed: Int) throws -> [String] {
        let fm = FileManager.default
        let dir = plan.runDirectory(variant: v, seed: seed)
        let fingerprint = plan.trainFingerprint(plan.config.seeds.firstIndex(of: seed)! * config.variants.count + v)
        // A folder left by a killed run of this same configuration resumes from its last
        // checkpoint (the trainer's exact resumption); anything else starts over.
        let stamp = dir + "/ablation-run.txt"
        let resumable =
            (fm.contents(atPath: stamp).map { String(decoding: $0, as: UTF8.self) } == fingerprint)
            && fm.fileExists(atPath: dir + "/latest/config.json")
        if !resumable {
            try? fm.removeItem(atPath: dir)
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try writeAtomically(Data(fingerprint.utf8), to: stamp)
        }
        try? fm.removeItem(atPath: plan.runResultPath(variant: v, seed: seed))
        let tokenizer = try Tokenizer.load(path: plan.tokenizerPath)
        let codec = TokenizerCodec(tokenizer)
        let data = try ShardTokenStream(directory: plan.shardDirectory(v), split: .train, tokenizer: tokenizer)
        if data.tokenCount < config.budgetTokens && !config.variants[v].repeatData {
            try checkBudget()
        }
        var val: (any TokenStream)?
        if let name = config.validation, let e = config.evals.first(where: { $0.name == name }),
            case .text(let path, let maxBytes) = e.kind
        {
            let ids = codec.encode(try Self.evalText(path, maxBytes: maxBytes))
            guard ids.count >= config.train.contextLength + 1 else {
                throw SluiceError(
                    .config,
                    "eval \(name) has \(ids.count) tokens; the validation curves need at least context_length + 1 = \(config.train.contextLength + 1)",
                    file: path)
            }
            val = ArrayTokenStream(
                ids, vocabSize: tokenizer.vocabSize, eosID: tokenizer.eosID.map { Int($0) },
                fingerprint: tokenizer.fingerprint, label: path)
        }
        var options = config.train
        options.steps = config.steps
        options.seed = seed
        options.out = dir
        options.tokenizer = plan.tokenizerPath
        options.valFraction = 0
        options.resume = resumable
        let label = "\(config.variants[v].name) seed \(seed)"
        let every = max(1, config.steps / 10)
        let log = self.log
        let trainer = try Trainer(options: options, train: data, val: val, tokenizerPath: plan.tokenizerPath) { line in
            // Step lines every tenth of the run; other lines as they come.
            if line.hasPrefix("step "), let n = Int(line.dropFirst(5).prefix { $0 != "/" && $0 != " " }), n % every != 0
            {
                return
            }
            log("[\(label)] \(line)")
        }
        if resumable { log("[\(label)] resuming from step \(trainer.startStep)") }
        try trainer.run()

        // Evaluations of the final model.
        let evaluator = Evaluator(model: trainer.model, batchSize: 8)
        var evals = JSONObject()
        for e in config.evals {
            var r = JSONObject()
            switch e.kind {
            case .text(let path, let maxBytes):
                let result = evaluator.evaluate(text: try Self.evalText(path, maxBytes: maxBytes), codec: codec)
                r["bits_per_byte"] = .double(result.bitsPerByte)
                r["loss"] = .double(result.loss)
                r["tokens"] = .int(Int64(result.tokens))
            case .task(let task, let path):
                let result =
                    task == "lambada"
                    ? try evaluator.lambada(path: path, codec: codec)
                    : try evaluator.multipleChoice(path: path, codec: codec)
                r["accuracy"] = .double(result.accuracy)
                r["examples"] = .int(Int64(result.examples))
            }
            evals[e.name] = .object(r)
        }
        // The validation curve (or the training loss when there is no text evaluation), from the
        // metrics file, which a resumed run keeps up to its checkpoint and then rewrites.
        var curve: [JSONValue] = []
        var trainCurve: [JSONValue] = []
        if let d = fm.contents(atPath: dir + "/metrics.jsonl") {
            for line in d.split(separator: 0x0A) {
                var parser = JSONParser()
                guard let o = try? Data(line).withUnsafeBytes({ try parser.parse($0) }).objectValue,
                    let step = o["step"]?.intValue
                else { continue }
                if let l = o["val_loss"]?.doubleValue { curve.append(.array([.int(step), .double(l)])) }
                if let l = o["loss"]?.doubleValue, Int(step) % every == 0 || Int(step) == config.steps {
                    trainCurve.append(.array([.int(step), .double(l)]))
                }
            }
        }
        var result = JSONObject()
        result["variant"] = .string(config.variants[v].name)
        result["seed"] = .int(Int64(seed))
        result["steps"] = .int(Int64(config.steps))
        result["tokens_trained"] = .int(Int64(config.steps * config.tokensPerStep))
        result["eval"] = .object(evals)
        result["curve"] = .array(curve.isEmpty ? trainCurve : curve)
        result["curve_kind"] = .string(curve.isEmpty ? "train_loss" : "validation_loss")
        let path = plan.runResultPath(variant: v, seed: seed)
        try writeAtomically(Data((AblationResults.pretty(.object(result)) + "\n").utf8), to: path)
        return [path, dir + "/metrics.jsonl"]
    }
}
