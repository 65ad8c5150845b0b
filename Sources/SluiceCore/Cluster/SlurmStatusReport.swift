// What a submitted pipeline's tasks are doing: done (completion marker), running or pending
// (squeue), failed (a log ends without a marker and Slurm no longer lists the task).
import Foundation

/// The state of every task of every submitted pass.
public struct SlurmStatusReport: Sendable {
    /// Counts for one pass.
    public struct PassStatus: Sendable, Equatable {
        public var index: Int
        public var name: String
        public var tasks: Int
        public var done: [Int] = []
        public var running: [Int] = []
        public var pending: [Int] = []
        public var failed: [Int] = []
    }

    public var passes: [PassStatus]

    /// Reads the scripts in `OUTPUT/_slurm`, the markers, the logs, and `squeue` when present.
    /// - Throws: `SluiceError(.config)` when nothing was submitted to this folder.
    public static func load(outputDirectory out: String) throws -> SlurmStatusReport {
        let fm = FileManager.default
        let scriptDir = out + "/_slurm"
        guard let names = try? fm.contentsOfDirectory(atPath: scriptDir).filter({ $0.hasSuffix(".sbatch") }),
            !names.isEmpty
        else {
            throw SluiceError(.config, "no Slurm scripts here: run `sluice slurm submit` first", file: scriptDir)
        }
        let queue = squeueTasks()
        var passes: [PassStatus] = []
        for name in names.sorted(by: { Int($0.prefix { $0 != "-" }) ?? 0 < Int($1.prefix { $0 != "-" }) ?? 0 }) {
            let base = String(name.dropLast(".sbatch".count))
            guard let dash = base.firstIndex(of: "-"), let index = Int(base[..<dash]) else { continue }
            let pass = String(base[base.index(after: dash)...])
            let text = (try? String(contentsOfFile: scriptDir + "/" + name, encoding: .utf8)) ?? ""
            guard let tasks = Int(argument(after: "--tasks", in: text) ?? ""),
                let passTasks = passTaskCount(text, tasks)
            else { continue }
            var status = PassStatus(index: index, name: pass, tasks: passTasks)
            let jobName = line(startingWith: "#SBATCH --job-name=", in: text) ?? ""
            for t in 0..<passTasks {
                let marker = out + "/_markers/\(pass)/" + OutputLayout.stem(t) + ".done"
                if fm.fileExists(atPath: marker) {
                    status.done.append(t)
                } else if let state = queue[jobName]?[t] {
                    if state == "R" || state == "CG" { status.running.append(t) } else { status.pending.append(t) }
                } else if fm.fileExists(atPath: out + "/_slurm/logs/\(index)-\(pass)-\(t).log") {
                    status.failed.append(t)
                } else {
                    status.pending.append(t)
                }
            }
            passes.append(status)
        }
        return SlurmStatusReport(passes: passes)
    }

    /// A table: one row per pass.
    public func table() -> String {
        var s = "pass                              tasks   done  running  pending  failed\n"
        for p in passes {
            let name = p.name.padding(toLength: 32, withPad: " ", startingAt: 0)
            s += "\(name)  \(pad(p.tasks, 5))  \(pad(p.done.count, 5))  \(pad(p.running.count, 7))  "
            s += "\(pad(p.pending.count, 7))  \(pad(p.failed.count, 6))\n"
            if !p.failed.isEmpty { s += "  failed tasks: \(p.failed.map(String.init).joined(separator: ", "))\n" }
        }
        return s
    }

    /// The same as JSON.
    public func json() -> String {
        var o = JSONObject()
        var list: [JSONValue] = []
        for p in passes {
            var e = JSONObject()
            e["pass"] = .string(p.name)
            e["tasks"] = .int(Int64(p.tasks))
            for (k, v) in [("done", p.done), ("running", p.running), ("pending", p.pending), ("failed", p.failed)] {
                e[k] = .array(v.map { .int(Int64($0)) })
            }
            list.append(.object(e))
        }
        o["passes"] = .array(list)
        return JSONSerializer.string(.object(o)) + "\n"
    }
}

private func pad(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return String(repeating: " ", count: max(0, width - s.count)) + s
}

private func line(startingWith prefix: String, in text: String) -> String? {
    text.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
}

/// The word after `flag` in the script's exec line.
private func argument(after flag: String, in text: String) -> String? {
    guard let exec = text.split(separator: "\n").first(where: { $0.hasPrefix("exec ") }) else { return nil }
    let words = exec.split(separator: " ")
    guard let i = words.firstIndex(of: Substring(flag)), i + 1 < words.count else { return nil }
    return String(words[i + 1])
}

/// The pass's own task count, stored in the script's header comment.
private func passTaskCount(_ text: String, _ fallback: Int) -> Int? {
    if let v = line(startingWith: "# sluice-pass-tasks: ", in: text) { return Int(v) }
    return fallback
}

/// squeue's view: job name → array task → state code (R, PD, CG…). Empty when squeue is absent.
private func squeueTasks() -> [String: [Int: String]] {
    guard let r = try? runTool("squeue", ["-h", "-r", "-o", "%j|%K|%t"]), r.status == 0 else { return [:] }
    var out: [String: [Int: String]] = [:]
    for l in r.stdout.split(separator: "\n") {
        let f = l.split(separator: "|", omittingEmptySubsequences: false)
        guard f.count == 3, let t = Int(f[1]) else { continue }
        out[String(f[0]), default: [:]][t] = String(f[2])
    }
    return out
}
