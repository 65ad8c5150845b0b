// What produced a run: the pipeline file's text, its resolved stages and options, the Sluice
// version and the plan's fingerprint, written once per run beside the stats (`_stats/run.json`)
// for `sluice report`. It records configuration only, never timings or paths that differ by machine.
import Foundation

/// The configuration record of a run folder.
public struct RunRecord: Codable, Sendable, Equatable {
    public struct StageRecord: Codable, Sendable, Equatable {
        public var name: String
        /// The options as written (`key: value` YAML-ish text, one per entry), then `--set` overrides.
        public var options: [String]
        /// Whether the stage keeps its drops (`dropped:`), as `folder sample max edits`.
        public var dropped: String?
    }
    public var version: String
    public var fingerprint: String
    public var pipelineFile: String?
    /// The pipeline file's text when it could be read.
    public var pipelineText: String?
    public var tasks: Int
    public var inputs: Int
    public var readers: [String]
    public var stages: [StageRecord]
    public var passes: [String]

    enum CodingKeys: String, CodingKey {
        case version, fingerprint, tasks, inputs, readers, stages, passes
        case pipelineFile = "pipeline_file"
        case pipelineText = "pipeline_text"
    }

    /// Where a run folder keeps it.
    public static func path(root: String) -> String { OutputLayout(root: root).statsDirectory + "/run.json" }

    /// Reads a run folder's record; nil when it has none or it does not parse.
    public static func load(root: String) -> RunRecord? {
        guard let data = FileManager.default.contents(atPath: path(root: root)) else { return nil }
        return try? JSONDecoder().decode(RunRecord.self, from: data)
    }
}

extension PipelinePlan {
    /// The record of this plan.
    public var runRecord: RunRecord {
        func text(_ v: ConfigValue) -> String {
            switch v {
            case .scalar(let s, _): s
            case .list(let l, _): "[" + l.map(text).joined(separator: ", ") + "]"
            case .map(let m, _): "{" + m.map { "\($0.key): " + text($0.value) }.joined(separator: ", ") + "}"
            }
        }
        let stages = pipeline.stages.enumerated().map { i, s in
            RunRecord.StageRecord(
                name: s.name,
                options: s.values.map { "\($0.key): " + text($0.value) }
                    + s.overrides.map { "--set \($0.key)=\($0.yaml)" },
                dropped: pipeline.dropAudit.rules[i].map {
                    "\($0.output) sample=\($0.sample) max_per_reason=\($0.maxPerReason.map(String.init) ?? "none") edits=\($0.edits)"
                })
        }
        let fileText = pipeline.file.flatMap { FileManager.default.contents(atPath: $0) }.flatMap {
            String(data: $0, encoding: .utf8)
        }
        return RunRecord(
            version: SluiceVersion.string, fingerprint: fingerprint, pipelineFile: pipeline.file,
            pipelineText: fileText,
            tasks: pipeline.tasks, inputs: pipeline.inputs.count, readers: pipeline.readers.map(\.name), stages: stages,
            passes: passes.map { "\($0.name) \($0.taskCount)" })
    }

    /// Writes `_stats/run.json` through a temporary name and a rename (sorted keys: a rerun of the
    /// same configuration writes the same bytes).
    public func recordRun() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let path = RunRecord.path(root: layout.root)
        try Self.writeAtomically(
            try encoder.encode(runRecord), to: path, through: path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        )
    }
}

/// The version this build of Sluice reports (run records and `sluice report`).
public enum SluiceVersion {
    public static let string = "0.1.0"
}
