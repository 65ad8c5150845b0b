// Stats files (`OUTPUT/_stats/<pass>/<task>.json`, one per task) and their merge into the table
// that `sluice run` and `sluice stats` print. Merging adds counts and seconds; it never re-reads outputs.
import Foundation

/// The JSON file one task writes: which pass and task, wall time, and per-stage figures.
public struct TaskStatsFile: Codable, Sendable, Equatable {
    public var pass: String
    public var passIndex: Int
    public var task: Int
    public var taskCount: Int
    public var seconds: Double
    public var stages: [StageStats]

    enum CodingKeys: String, CodingKey {
        case pass, task, seconds, stages
        case passIndex = "pass_index"
        case taskCount = "task_count"
    }

    public init(pass: String, passIndex: Int, task: Int, taskCount: Int, seconds: Double, stages: [StageStats]) {
        self.pass = pass
        self.passIndex = passIndex
        self.task = task
        self.taskCount = taskCount
        self.seconds = seconds
        self.stages = stages
    }

    /// Pretty JSON with sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

/// The merged stats of an output folder: per pass, per stage, summed over tasks.
public struct StatsReport: Sendable, Equatable, Codable {
    public struct PassStats: Sendable, Equatable, Codable {
        public var pass: String
        public var passIndex: Int
        /// Tasks with a stats file, and the pass's task count.
        public var tasksReported: Int
        public var taskCount: Int
        /// Sum of the tasks' wall times.
        public var seconds: Double
        public var stages: [StageStats]

        enum CodingKeys: String, CodingKey {
            case pass, seconds, stages
            case passIndex = "pass_index"
            case tasksReported = "tasks_reported"
            case taskCount = "task_count"
        }
    }

    public var passes: [PassStats]

    public init(passes: [PassStats]) { self.passes = passes }

    /// Reads every `_stats/*/*.json` under `outputDirectory` and merges them.
    /// - Throws: `SluiceError(.io)` when there is no stats folder, `.corruptInput` for an unreadable file.
    public static func load(outputDirectory: String) throws -> StatsReport {
        let root = OutputLayout(root: outputDirectory).statsDirectory
        let fm = FileManager.default
        guard let passFolders = try? fm.contentsOfDirectory(atPath: root) else {
            throw SluiceError(
                .io, "no stats here (expected \(root)); has a run written to this folder?", file: outputDirectory)
        }
        var files: [TaskStatsFile] = []
        for folder in passFolders.sorted() {
            let entries = (try? fm.contentsOfDirectory(atPath: root + "/" + folder)) ?? []
            for name in entries.sorted() where name.hasSuffix(".json") {
                let path = root + "/" + folder + "/" + name
                guard let data = fm.contents(atPath: path),
                    let file = try? JSONDecoder().decode(TaskStatsFile.self, from: data)
                else { throw SluiceError(.corruptInput, "not a task stats file", file: path) }
                files.append(file)
            }
        }
        return merge(files)
    }

    /// Merges task stats: by pass (ordered by pass index), then stage by position and name.
    public static func merge(_ files: [TaskStatsFile]) -> StatsReport {
        var passes: [PassStats] = []
        for f in files.sorted(by: { ($0.passIndex, $0.pass, $0.task) < ($1.passIndex, $1.pass, $1.task) }) {
            if let i = passes.firstIndex(where: { $0.pass == f.pass && $0.passIndex == f.passIndex }) {
                passes[i].tasksReported += 1
                passes[i].taskCount = max(passes[i].taskCount, f.taskCount)
                passes[i].seconds += f.seconds
                for (position, s) in f.stages.enumerated() {
                    if position < passes[i].stages.count && passes[i].stages[position].name == s.name {
                        passes[i].stages[position].merge(s)
                    } else if let j = passes[i].stages.firstIndex(where: { $0.name == s.name }) {
                        passes[i].stages[j].merge(s)
                    } else {
                        passes[i].stages.append(s)
                    }
                }
            } else {
                passes.append(
                    PassStats(
                        pass: f.pass, passIndex: f.passIndex, tasksReported: 1, taskCount: f.taskCount,
                        seconds: f.seconds,
                        stages: f.stages))
            }
        }
        return StatsReport(passes: passes)
    }

    /// Pretty JSON with sorted keys, for `sluice stats --json`.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The human table: one block per pass, one row per stage, then its drops, errors and counters.
    public func table() -> String {
        var out = ""
        for p in passes {
            out +=
                "\(p.pass): \(p.tasksReported) of \(p.taskCount) tasks, "
                + String(format: "%.2f", p.seconds) + " s task time\n"
            let header = ["stage", "docs in", "docs out", "MB in", "MB out", "seconds"]
            var rows: [[String]] = [header]
            var details: [Int: [String]] = [:]
            for (i, s) in p.stages.enumerated() {
                rows.append([
                    s.name, Self.grouped(s.documentsIn), Self.grouped(s.documentsOut), Self.megabytes(s.bytesIn),
                    Self.megabytes(s.bytesOut), String(format: "%.2f", s.seconds),
                ])
                var lines: [String] = []
                for (k, v) in s.drops.sorted(by: { $0.key < $1.key }) {
                    lines.append("dropped  \(k)  \(Self.grouped(v))")
                }
                for (k, v) in s.errors.sorted(by: { $0.key < $1.key }) {
                    lines.append("error    \(k)  \(Self.grouped(v))")
                }
                for (k, v) in s.counters.sorted(by: { $0.key < $1.key }) {
                    lines.append("counter  \(k)  \(Self.grouped(v))")
                }
                details[i + 1] = lines
            }
            var widths = Array(repeating: 0, count: header.count)
            for r in rows { for (j, c) in r.enumerated() { widths[j] = max(widths[j], c.count) } }
            for (i, r) in rows.enumerated() {
                var line = "  "
                for (j, c) in r.enumerated() {
                    let pad = String(repeating: " ", count: widths[j] - c.count)
                    line += j == 0 ? c + pad : "  " + pad + c
                }
                out += line + "\n"
                for d in details[i] ?? [] { out += "      " + d + "\n" }
            }
        }
        return out.isEmpty ? "no stats\n" : out
    }

    /// `1234567` → `1,234,567`.
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    static func megabytes(_ b: Int) -> String { String(format: "%.2f", Double(b) / 1e6) }
}
