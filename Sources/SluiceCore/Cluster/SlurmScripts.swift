// Turns a pipeline's passes into Slurm array jobs: one sbatch script per pass, chained with
// `afterok` dependencies, leaving out tasks that already have completion markers. It does not
// schedule anything itself; Slurm does.
import Foundation

/// Resources and extra flags for the jobs of one submission.
public struct SlurmSettings: Sendable, Equatable {
    public var partition: String?
    public var time: String?
    public var cpusPerTask: Int?
    public var memory: String?
    /// At most this many array tasks of one pass at once (`--array=…%N`); nil for no limit.
    public var maxConcurrent: Int?
    /// Extra `#SBATCH` arguments given verbatim (`--account=x`, `--qos=y`).
    public var extraArguments: [String] = []
    /// A prefix for job names.
    public var jobName = "sluice"

    public init() {}
}

/// One pass to submit: its name, its task count, and which tasks still need to run.
public struct SlurmPass: Sendable, Equatable {
    public var index: Int
    public var name: String
    public var taskCount: Int
    public var pendingTasks: [Int]

    public init(index: Int, name: String, taskCount: Int, pendingTasks: [Int]) {
        self.index = index
        self.name = name
        self.taskCount = taskCount
        self.pendingTasks = pendingTasks
    }
}

/// Writes sbatch scripts for passes and, when asked, submits them with `sbatch`.
public struct SlurmScripts: Sendable {
    public var settings: SlurmSettings
    /// The command every task runs, before `--pass/--task-index` are appended:
    /// `["/abs/sluice", "run", "/abs/pipeline.yaml", "--output", "/abs/out", "--tasks", "8", …]`.
    public var command: [String]
    /// The pipeline's output folder (absolute): scripts go to `_slurm/`, logs to `_slurm/logs/`.
    public var outputDirectory: String

    public init(settings: SlurmSettings, command: [String], outputDirectory: String) {
        self.settings = settings
        self.command = command
        self.outputDirectory = outputDirectory
    }

    public var scriptDirectory: String { outputDirectory + "/_slurm" }
    public var logDirectory: String { outputDirectory + "/_slurm/logs" }

    /// The `--array` value for `tasks`: ranges compressed (`0-3,7,9-11`), with `%max` if set.
    public func arraySpec(_ tasks: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        let t = tasks.sorted()
        while i < t.count {
            var j = i
            while j + 1 < t.count && t[j + 1] == t[j] + 1 { j += 1 }
            parts.append(i == j ? "\(t[i])" : "\(t[i])-\(t[j])")
            i = j + 1
        }
        var spec = parts.joined(separator: ",")
        if let m = settings.maxConcurrent { spec += "%\(m)" }
        return spec
    }

    /// The text of the sbatch script for `pass`.
    public func script(for pass: SlurmPass, dependency: String?) -> String {
        var lines = ["#!/usr/bin/env bash", "# sluice-pass-tasks: \(pass.taskCount)"]
        let name = "\(settings.jobName)-\(pass.index)-\(pass.name)"
        lines.append(sbatchLine("job-name", name))
        lines.append("#SBATCH --array=\(arraySpec(pass.pendingTasks))")
        lines.append(sbatchLine("output", "\(logDirectory)/\(pass.index)-\(pass.name)-%a.log"))
        if let p = settings.partition { lines.append(sbatchLine("partition", p)) }
        if let t = settings.time { lines.append("#SBATCH --time=\(t)") }
        if let c = settings.cpusPerTask { lines.append("#SBATCH --cpus-per-task=\(c)") }
        if let m = settings.memory { lines.append("#SBATCH --mem=\(m)") }
        if let dependency {
            lines.append("#SBATCH --dependency=afterok:\(dependency)")
            // A failed earlier pass cancels this one instead of leaving it pending forever.
            lines.append("#SBATCH --kill-on-invalid-dep=yes")
        }
        for a in settings.extraArguments { lines.append("#SBATCH \(a)") }
        lines.append("set -euo pipefail")
        let args = command + ["--pass", pass.name, "--workers", "1"]
        lines.append("exec " + args.map(shellQuote).joined(separator: " ") + " --task-index \"$SLURM_ARRAY_TASK_ID\"")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes one script per pass with pending tasks and, unless `dryRun`, submits them in
    /// order, each depending on the previous submitted job. Passes with no pending task are
    /// left out (and nothing depends on them: their outputs are already complete).
    /// - Returns: (pass, script path, job id or nil on a dry run) for each written script.
    /// - Throws: `SluiceError(.io)` when a script cannot be written or `sbatch` fails.
    public func submit(_ passes: [SlurmPass], dryRun: Bool) throws -> [(
        pass: SlurmPass, script: String, jobID: String?
    )] {
        let fm = FileManager.default
        try sbatchSafe([logDirectory, settings.jobName, settings.partition ?? ""], file: scriptDirectory)
        try fm.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        var results: [(SlurmPass, String, String?)] = []
        var previous: String?
        for pass in passes where !pass.pendingTasks.isEmpty {
            let path = "\(scriptDirectory)/\(pass.index)-\(pass.name).sbatch"
            let text = script(for: pass, dependency: previous)
            do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                throw SluiceError(.io, "cannot write sbatch script: \(error)", file: path)
            }
            var job: String?
            if !dryRun {
                job = try sbatch(path)
                previous = job
            }
            results.append((pass, path, job))
        }
        return results
    }

    private func sbatch(_ script: String) throws -> String {
        let r = try runTool("sbatch", ["--parsable", script])
        guard r.status == 0 else {
            throw SluiceError(
                .io, "sbatch failed: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))", file: script)
        }
        // --parsable prints "jobid" or "jobid;cluster".
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init)
        guard let id, !id.isEmpty else { throw SluiceError(.io, "sbatch printed no job id", file: script) }
        return id
    }
}

/// An `#SBATCH --name=value` line. sbatch reads these lines with its own parser, not bash: an
/// unquoted space ends the value (the rest is read as another directive) and a `#` can start a
/// comment. A value with anything but letters, digits and `/._-=,:+@%` (a log folder under
/// "My Runs", a job named "a#1") is written in double quotes, with `"` and `\` escaped by a
/// backslash, which sbatch 22 reads back exactly (checked by hand against the local cluster). A
/// newline cannot be written into one line; `sbatchSafe` refuses it before a script is written.
func sbatchLine(_ name: String, _ value: String) -> String { "#SBATCH " + sbatchOption(name, value) }

/// `--name=value` as an `#SBATCH` line needs it (`sbatchLine`), for options given as extra arguments.
public func sbatchOption(_ name: String, _ value: String) -> String {
    if isPlainWord(value) { return "--\(name)=\(value)" }
    var v = "\""
    for c in value.unicodeScalars {
        if c == "\"" || c == "\\" { v.append("\\") }
        v.unicodeScalars.append(c)
    }
    return "--\(name)=\(v)\""
}

/// Throws when a value cannot go into an `#SBATCH` line (it holds a line break).
func sbatchSafe(_ values: [String], file: String) throws {
    for v in values where v.contains(where: { $0.isNewline }) {
        throw SluiceError(.config, "an #SBATCH value cannot hold a line break: \(v.debugDescription)", file: file)
    }
}

/// Quotes a word for bash when it needs it.
func shellQuote(_ s: String) -> String {
    isPlainWord(s) ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Non-empty and only letters, digits and `/._-=,:+@%`: a word bash and sbatch read as written.
func isPlainWord(_ s: String) -> Bool {
    !s.isEmpty
        && s.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || "/._-=,:+@%".utf8.contains(c)
        }
}

/// Output of a finished external tool.
struct ToolResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a tool found on PATH and waits for it.
func runTool(_ tool: String, _ arguments: [String]) throws -> ToolResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [tool] + arguments
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    do { try p.run() } catch { throw SluiceError(.io, "cannot run \(tool): \(error)") }
    let o = try out.fileHandleForReading.readToEndRetryingInterrupts()
    let e = try err.fileHandleForReading.readToEndRetryingInterrupts()
    p.waitUntilExit()
    return ToolResult(
        status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
        stderr: String(decoding: e, as: UTF8.self))
}
