// Dropped documents kept for audit (`dropped:` in a pipeline file, at the top and per stage): the
// engine sees every verdict, so it writes a deterministic sample of each step's drops (and, on
// request, before/after pairs of its edits) as one JSONL.zst file per task, committed with the
// task's other outputs. It does not decide anything: stages keep their verdicts.
import Foundation

/// A step that can say what fired when it dropped a document (the repeated n-gram, the matched
/// words, the classifier score). The engine calls it only for drops it keeps, never on the hot path.
public protocol DropExplaining {
    /// What fired for `reason` on `document` (the document as the step left it), or nil.
    func explainDrop(_ document: Document, reason: DropReason) -> JSONValue?
}

/// How one stage's drops are kept.
public struct DropAuditRule: Sendable, Equatable {
    /// The folder, relative to the run folder, that holds the sample files.
    public var output = "dropped"
    /// The fraction of drops kept, chosen by a hash of the document id (reruns keep the same ones).
    public var sample = 1.0
    /// At most this many kept documents per reason and task (nil: no limit).
    public var maxPerReason: Int?
    /// Also keep before/after pairs of documents the stage changed but kept.
    public var edits = false

    public init(output: String = "dropped", sample: Double = 1.0, maxPerReason: Int? = nil, edits: Bool = false) {
        self.output = output
        self.sample = sample
        self.maxPerReason = maxPerReason
        self.edits = edits
    }

    /// Reads `dropped: {output, sample, max_per_reason, edits}`, `dropped: true` or `dropped: false`
    /// (nil); keys not given come from `base`.
    /// - Throws: `SluiceError(.config)` naming the key, file and line.
    public static func parse(_ value: ConfigValue, base: DropAuditRule?, name: String, file: String?) throws
        -> DropAuditRule?
    {
        let start = base ?? DropAuditRule()
        if let s = value.scalar {
            switch s.lowercased() {
            case "true", "yes", "on", "", "~", "null": return start
            case "false", "no", "off": return nil
            default:
                throw SluiceError(
                    .config, "\(name): expected true, false or a map {output, sample, max_per_reason, edits}",
                    file: file,
                    line: value.line == 0 ? nil : value.line)
            }
        }
        guard let map = value.mapValue else {
            throw SluiceError(
                .config, "\(name): expected true, false or a map {output, sample, max_per_reason, edits}", file: file,
                line: value.line == 0 ? nil : value.line)
        }
        var o = StageOptions(stageName: name, values: map, file: file, line: value.line)
        var rule = start
        rule.output = try o.string("output", default: start.output, "folder under the run folder for the samples")
        rule.sample = try o.double("sample", default: start.sample, range: 0...1, "fraction of drops kept (by id hash)")
        let given = o.has("max_per_reason")
        let cap = try o.optionalInt("max_per_reason", range: 0...Int.max, "kept drops per reason and task")
        if given { rule.maxPerReason = cap }
        rule.edits = try o.bool("edits", default: start.edits, "also keep before/after pairs of edited documents")
        try o.finish()
        let parts = rule.output.split(separator: "/", omittingEmptySubsequences: true)
        if rule.output.hasPrefix("/") || parts.isEmpty || parts.contains("..") || parts.contains(".")
            || parts[0].hasPrefix("_")
        {
            throw o.error(
                "output",
                "'\(rule.output)' is not a folder inside the run folder: give a relative name such as dropped (not starting with _)"
            )
        }
        rule.output = parts.joined(separator: "/")
        return rule
    }

    /// Whether a document with this id falls in the sample.
    @inline(__always) public func samples(id: String) -> Bool {
        if sample >= 1 { return true }
        if sample <= 0 { return false }
        return Double(xxHash64(id, seed: DropAudit.sampleSeed) >> 11) * 0x1p-53 < sample
    }
}

/// The audit settings of a pipeline: a rule per stage index that keeps its drops.
public struct DropAudit: Sendable, Equatable {
    /// By index into `Pipeline.stages`.
    public var rules: [Int: DropAuditRule] = [:]
    public init(rules: [Int: DropAuditRule] = [:]) { self.rules = rules }
    public var isEmpty: Bool { rules.isEmpty }

    /// The seed of the id hash that picks the sample (fixed, so every run picks the same documents).
    public static let sampleSeed: UInt64 = 0x5EED_D20B
    /// The name ending of sample files, which tells them apart from a run's outputs.
    public static let fileSuffix = ".dropped.jsonl.zst"

    /// Resolves the pipeline-level value and each stage's own `dropped` value into rules for the
    /// stages that keep drops (steps and corpus stages; a stage's own value wins).
    public static func resolve(
        pipelineValue: ConfigValue?, stageValues: [Int: ConfigValue], stages: [StageSpec], file: String?
    ) throws -> DropAudit {
        let base = try pipelineValue.flatMap { try DropAuditRule.parse($0, base: nil, name: "dropped", file: file) }
        var audit = DropAudit()
        for (i, spec) in stages.enumerated() {
            let isWriter = spec.type is any DocumentWriter.Type
            if let v = stageValues[i] {
                if isWriter {
                    throw SluiceError(
                        .config, "\(spec.name).dropped: a writer drops nothing; set dropped on the steps", file: file,
                        line: v.line == 0 ? nil : v.line)
                }
                if let rule = try DropAuditRule.parse(v, base: base, name: "\(spec.name).dropped", file: file) {
                    audit.rules[i] = rule
                }
            } else if let base, !isWriter {
                audit.rules[i] = base
            }
        }
        return audit
    }

    /// A canonical text for the plan's fingerprint (empty when nothing is kept).
    var fingerprintText: String {
        rules.sorted { $0.key < $1.key }.map {
            "dropped=\($0.key):\($0.value.output):\($0.value.sample):\($0.value.maxPerReason ?? -1):\($0.value.edits)\n"
        }.joined()
    }

    /// Splits a stage entry's options into its own `dropped` value and the rest.
    public static func split(_ values: [(key: String, value: ConfigValue)]) -> (
        ConfigValue?, [(key: String, value: ConfigValue)]
    ) {
        guard let i = values.firstIndex(where: { $0.key == "dropped" }) else { return (nil, values) }
        var rest = values
        rest.remove(at: i)
        return (values[i].value, rest)
    }
}

/// The writer a segment task uses for kept drops: one file per output folder, opened on the first
/// kept document, so a task that keeps nothing writes nothing.
final class DropAuditWriter {
    /// The rule of each step slot of the task (nil: not kept).
    let rules: [DropAuditRule?]
    let stageNames: [String]
    let pass: String
    let root: String
    private var writers: [String: JSONLWriter] = [:]
    private var kept: [String: [String: Int]] = [:]  // folder → reason → kept in this task

    init(rules: [DropAuditRule?], stageNames: [String], pass: String, root: String) {
        self.rules = rules
        self.stageNames = stageNames
        self.pass = pass
        self.root = root
    }

    /// Whether step slot `s` keeps before/after pairs.
    @inline(__always) func wantsEdits(_ s: Int) -> Bool { rules[s]?.edits == true }

    /// Keeps `document`, dropped by step `s` for `reason`, when the rule samples it.
    func dropped(_ document: Document, reason: DropReason, step s: Int, explainer: any Step, context: TaskContext)
        throws
    {
        guard let rule = rules[s], rule.samples(id: document.id), admit(rule, reason.rawValue) else { return }
        var d = document
        d.raw = nil
        d.metadata["dropped_by"] = .string(reason.rawValue)
        if let e = explainer as? any DropExplaining, let fired = e.explainDrop(document, reason: reason) {
            d.metadata["dropped_fired"] = fired
        }
        try writer(rule, context).write(d)
        context.count("dropped_kept")
    }

    /// Keeps a before/after pair when step `s` changed the text of a document it kept.
    func edited(before: String, _ document: Document, step s: Int, context: TaskContext) throws {
        guard let rule = rules[s], rule.edits, before != document.text, rule.samples(id: document.id),
            admit(rule, "edit:" + stageNames[s])
        else { return }
        var d = document
        d.raw = nil
        d.metadata["edited_by"] = .string(stageNames[s])
        d.metadata["text_before"] = .string(before)
        try writer(rule, context).write(d)
        context.count("edits_kept")
    }

    private func admit(_ rule: DropAuditRule, _ key: String) -> Bool {
        let n = kept[rule.output, default: [:]][key, default: 0]
        if let cap = rule.maxPerReason, n >= cap { return false }
        kept[rule.output, default: [:]][key] = n + 1
        return true
    }

    private func writer(_ rule: DropAuditRule, _ context: TaskContext) throws -> JSONLWriter {
        if let w = writers[rule.output] { return w }
        let name = "\(rule.output)/\(pass)/\(context.taskStem)\(DropAudit.fileSuffix)"
        let w = try JSONLWriter(path: context.auxiliaryOutputPath(name, root: root))
        writers[rule.output] = w
        return w
    }

    // MARK: - Checkpoints (TaskCheckpoint.swift)

    /// What a task checkpoint records of the kept drops: each open file cut at a frame boundary
    /// (size, documents, bytes), the kept counts per reason (for `max_per_reason`), and the
    /// files registered with the task, so a resumed task writes the same bytes as an uninterrupted one.
    struct State: Codable {
        struct File: Codable {
            var path: String
            var size: Int
            var documents: Int
            var bytes: Int
        }
        var files: [String: File]
        var kept: [String: [String: Int]]
        var auxiliary: [TaskCheckpoint.Output]
    }

    /// Ends each open file's compressed frame, syncs it, and returns the state to save.
    /// - Throws: `SluiceError(.io)` when a file cannot be flushed.
    func checkpoint(context: TaskContext) throws -> State {
        var files: [String: State.File] = [:]
        for key in writers.keys.sorted() {
            let w = writers[key]!
            files[key] = State.File(
                path: w.path, size: try w.checkpoint(), documents: w.documentCount, bytes: w.byteCount)
        }
        let auxiliary = context.auxiliaryOutputs.map {
            TaskCheckpoint.Output(temporary: $0.temporary, final: $0.final, owner: -1)
        }
        return State(files: files, kept: kept, auxiliary: auxiliary)
    }

    /// Reopens the files `checkpoint` left, cut to their sizes, and takes back the counts; the
    /// task's auxiliary outputs are registered again.
    /// - Throws: `SluiceError(.io)` when a file is missing or shorter than recorded.
    func restore(_ state: State, context: TaskContext) throws {
        context.restoreAuxiliaryOutputs(state.auxiliary.map { (temporary: $0.temporary, final: $0.final) })
        kept = state.kept
        writers = [:]
        for (key, f) in state.files {
            writers[key] = try JSONLWriter(
                resuming: f.path, size: f.size, documentCount: f.documents, byteCount: f.bytes)
        }
    }

    /// Closes every file (sorted, so the order of work is the same on every run).
    func finish() throws {
        for key in writers.keys.sorted() { try writers[key]!.close() }
        writers = [:]
    }
}
