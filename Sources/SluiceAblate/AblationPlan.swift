// An ablation as passes of independent tasks, like a pipeline's: variant pipelines → tokenizer →
// tokenize each variant → one training run per (seed, variant) → report. Each task ends with the
// engine's completion marker (`OUT/_markers/<pass>/<task>.done`, files with sizes and xxHash64),
// whose fingerprint chains the configuration of everything the task read, so a rerun skips what is
// done and redoes what changed. Any scheduler runs one task with `run(pass:task:)`.
import Foundation
import Logging
import SluiceCore
import SluiceTokenize
import SluiceTrain

/// One pass of an ablation.
public struct AblationPass: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Run the pipeline of each pipeline variant (one task each).
        case documents
        /// Sample every variant equally and train the tokenizer (one task).
        case tokenizer
        /// Tokenize each variant into shards (one task each).
        case tokenize
        /// Train and evaluate: task = seed index × variants + variant index.
        case train
        /// results.json, the table and the charts (one task).
        case report
    }
    public let name: String
    public let kind: Kind
    public let taskCount: Int
}

/// A checked ablation divided into passes.
public struct AblationPlan: Sendable {
    public let config: AblationConfig
    public let passes: [AblationPass]
    public let layout: OutputLayout
    /// Variants that run a pipeline, in file order (the tasks of the documents pass).
    public let pipelineVariants: [Int]

    public init(config: AblationConfig) {
        self.config = config
        layout = OutputLayout(root: config.out)
        pipelineVariants = config.variants.indices.filter {
            if case .pipeline = config.variants[$0].source { true } else { false }
        }
        var p: [AblationPass] = []
        if !pipelineVariants.isEmpty {
            p.append(AblationPass(name: "documents", kind: .documents, taskCount: pipelineVariants.count))
        }
        if case .train = config.tokenizer { p.append(AblationPass(name: "tokenizer", kind: .tokenizer, taskCount: 1)) }
        p.append(AblationPass(name: "tokenize", kind: .tokenize, taskCount: config.variants.count))
        p.append(AblationPass(name: "train", kind: .train, taskCount: config.variants.count * config.seeds.count))
        p.append(AblationPass(name: "report", kind: .report, taskCount: 1))
        passes = p
    }

    /// The index of the pass called `name`.
    public func passIndex(named name: String) -> Int? { passes.firstIndex { $0.name == name } }

    // MARK: - Where things are

    public var tokenizerPath: String {
        if case .path(let p) = config.tokenizer { return p }
        return "\(config.out)/tokenizer/tokenizer.json"
    }
    func variantDirectory(_ v: Int) -> String { "\(config.out)/variants/\(config.variants[v].name)" }
    func shardDirectory(_ v: Int) -> String { variantDirectory(v) + "/shards" }
    func dataSummaryPath(_ v: Int) -> String { variantDirectory(v) + "/data.json" }
    /// The run folder of (variant, seed): the trainer's `out`.
    public func runDirectory(variant v: Int, seed: Int) -> String {
        "\(config.out)/runs/\(config.variants[v].name)/seed-\(seed)"
    }
    func runResultPath(variant v: Int, seed: Int) -> String { runDirectory(variant: v, seed: seed) + "/result.json" }
    public var resultsPath: String { config.out + "/results.json" }

    /// The (variant, seed index) of train task `task`: seeds outermost, so that adding a seed
    /// appends tasks and keeps the markers of the runs already done.
    public func trainTask(_ task: Int) -> (variant: Int, seedIndex: Int) {
        (task % config.variants.count, task / config.variants.count)
    }

    /// A one-line description of a task, for `--plan` and logs.
    public func describe(pass: Int, task: Int) -> String {
        switch passes[pass].kind {
        case .documents: return "pipeline of variant \(config.variants[pipelineVariants[task]].name)"
        case .tokenizer: return "tokenizer on an equal sample of every variant"
        case .tokenize: return "tokenize variant \(config.variants[task].name)"
        case .train:
            let (v, s) = trainTask(task)
            return
                "train \(config.variants[v].name) seed \(config.seeds[s]): \(config.steps) steps, \(config.steps * config.tokensPerStep) tokens"
        case .report: return "results.json, table, ablation.svg/.png"
        }
    }

    // MARK: - Fingerprints

    /// The files a variant's documents are: its JSONL files, or its pipeline's outputs.
    func documentFiles(_ v: Int) -> [String] {
        switch config.variants[v].source {
        case .documents(let files): return files
        case .pipeline(let plan):
            let dir = plan.pipeline.output
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            return names.filter { AblationConfig.isJSONL($0) }.sorted().map { dir + "/" + $0 }
        }
    }

    func tokenizerFingerprint() -> String {
        switch config.tokenizer {
        case .path(let p):
            return hex((try? FileChecksum.of(path: p).xxh64) ?? 0)
        case .train:
            return hex(
                xxHash64(
                    "tokenizer " + config.tokenizerText
                        + config.variants.map { "|\($0.name)=\($0.fingerprint)" }.joined()))
        }
    }

    func tokenizeFingerprint(_ v: Int) -> String {
        hex(xxHash64("tokenize \(tokenizerFingerprint()) \(config.variants[v].name)=\(config.variants[v].fingerprint)"))
    }

    func evalText() -> String {
        config.evals.map { e in
            switch e.kind {
            case .text(let p, let m): "\(e.name) text \(p) \(fileSize(p)) \(m ?? 0)"
            case .task(let t, let p): "\(e.name) \(t) \(p) \(fileSize(p))"
            }
        }.joined(separator: ";") + " validation=\(config.validation ?? "")"
    }

    func trainFingerprint(_ task: Int) -> String {
        let (v, s) = trainTask(task)
        return hex(
            xxHash64(
                "train \(tokenizeFingerprint(v)) \(config.trainingText) budget=\(config.budgetTokens) seed=\(config.seeds[s]) "
                    + "repeat=\(config.variants[v].repeatData) \(evalText())"))
    }

    /// The fingerprint a task's marker must carry to count as done.
    public func fingerprint(pass: Int, task: Int) -> String {
        switch passes[pass].kind {
        case .documents: return config.variants[pipelineVariants[task]].fingerprint
        case .tokenizer: return tokenizerFingerprint()
        case .tokenize: return tokenizeFingerprint(task)
        case .train: return trainFingerprint(task)
        case .report:
            let runs = (0..<(config.variants.count * config.seeds.count)).map(trainFingerprint).joined(separator: ",")
            return hex(xxHash64("report baseline=\(config.baseline) \(runs)"))
        }
    }

    // MARK: - Markers

    /// Whether task `task` of pass `pass` has a marker of this configuration whose files are all there.
    public func isDone(pass: Int, task: Int) -> Bool {
        guard let m = CompletionMarker.load(layout.marker(pass: passes[pass].name, task: task)),
            m.fingerprint == fingerprint(pass: pass, task: task)
        else { return false }
        return m.problems(root: layout.root, checksums: false).isEmpty
    }

    public func pendingTasks(pass: Int) -> [Int] {
        (0..<passes[pass].taskCount).filter { !isDone(pass: pass, task: $0) }
    }

    /// Writes the marker of a finished task, recording `files` (paths under the output folder).
    func markDone(pass: Int, task: Int, files: [String]) throws {
        let prefix = layout.root.hasSuffix("/") ? layout.root : layout.root + "/"
        var recorded: [CompletionMarker.File] = []
        for f in files {
            guard f.hasPrefix(prefix) else { preconditionFailure("\(f) is outside \(layout.root)") }
            recorded.append(
                CompletionMarker.File(path: String(f.dropFirst(prefix.count)), checksum: try FileChecksum.of(path: f)))
        }
        let marker = CompletionMarker(
            fingerprint: fingerprint(pass: pass, task: task), pass: passes[pass].name, task: task,
            taskCount: passes[pass].taskCount, files: recorded)
        try writeAtomically(Data(marker.text.utf8), to: layout.marker(pass: passes[pass].name, task: task))
    }

    /// Throws when a pass before `pass` has tasks without markers.
    public func checkComplete(before pass: Int) throws {
        for q in 0..<pass {
            let pending = pendingTasks(pass: q)
            if !pending.isEmpty {
                throw SluiceError(
                    .usage,
                    "pass \(passes[q].name) is not complete (\(passes[q].taskCount - pending.count) of \(passes[q].taskCount) tasks done); run it first",
                    file: config.file)
            }
        }
    }
}

/// Writes `data` to `path` through a temporary name beside it and a rename (plain POSIX writes).
func writeAtomically(_ data: Data, to path: String) throws {
    let fm = FileManager.default
    try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let tmp = path + ".tmp-\(getpid())"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw SluiceError(.io, "cannot create: \(String(cString: strerror(errno)))", file: tmp) }
    let ok = data.withUnsafeBytes { buffer -> Bool in
        var done = 0
        while done < buffer.count {
            let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }
    close(fd)
    guard ok, rename(tmp, path) == 0 else {
        unlink(tmp)
        throw SluiceError(.io, "cannot write: \(String(cString: strerror(errno)))", file: path)
    }
}
