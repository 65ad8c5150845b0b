// Scale-out on a real Slurm cluster: a multi-pass pipeline (with MinHash dedup) over real WARC
// data submitted as array jobs gives the same bytes as a local run, and after one task fails only
// that task runs again. `make test` starts a single-node cluster (Scripts/start-local-slurm.sh)
// when it runs as root or in CI; CI=true without a cluster is a failure, not a skip.
import Foundation
import SluiceTestSupport
import Testing

enum Slurm {
    /// True when `sinfo` answers with at least one usable node.
    static let available: Bool = {
        let r = try? TestSupport.run("/usr/bin/env", ["sinfo", "-h", "-o", "%T"])
        let up =
            r.map {
                $0.status == 0
                    && $0.stdout.split(separator: "\n").contains { ["idle", "mixed", "allocated"].contains($0) }
            } ?? false
        if !up && ProcessInfo.processInfo.environment["CI"] == "true" {
            fatalError("CI=true but no Slurm cluster answers: make test starts one with Scripts/start-local-slurm.sh")
        }
        return up
    }()

    static let reason: Comment = "no Slurm cluster answers sinfo (make test starts one when run as root)"

    /// Submits and returns the job ids printed by `sluice slurm submit`.
    static func submit(_ args: [String], in dir: String) throws -> (jobs: [String], stdout: String) {
        let r = try CLI.sluice(["slurm", "submit"] + args, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let jobs = r.stdout.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "\tjob ") else { return nil }
            return String(line[range.upperBound...].prefix { $0.isNumber })
        }
        return (jobs, r.stdout)
    }

    /// Waits until none of `jobs` is in the queue (at most `timeout` seconds).
    static func wait(_ jobs: [String], timeout: Double = 600) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let r = try TestSupport.run("/usr/bin/env", ["squeue", "-h", "-j", jobs.joined(separator: ",")])
            if r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
            Thread.sleep(forTimeInterval: 1)
        }
        Issue.record("Slurm jobs \(jobs) still queued after \(timeout) s")
    }

    /// Every file under `root` except the bookkeeping folders that name machines, times or paths.
    static func outputs(_ root: String) -> [String: Data] {
        var files: [String: Data] = [:]
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root) else { return files }
        while let rel = walker.nextObject() as? String {
            if ["_stats", "_slurm", "_tmp", "_markers", "_lock", "_locks"].contains(where: {
                rel == $0 || rel.hasPrefix($0 + "/")
            }) {
                continue
            }
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: root + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                files[rel] = fm.contents(atPath: root + "/" + rel)
            }
        }
        return files
    }

    static func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}

@Suite(.serialized, .enabled(if: Slurm.available, Slurm.reason)) struct SlurmTests {
    @Test func arrayJobsMatchALocalRunByteForByte() throws {
        let dir = try TestSupport.temporaryDirectory("slurm")
        let warc = TestSupport.fixture("warc")
        try """
        input:
          paths: ["\(warc)/*.warc.gz", "\(warc)/chunked.warc"]
        output: out
        tasks: 3
        stages:
          - extract: {}
          - length: {}
          - minhash_dedup: {}
          - write: {}
        """.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        let local = try CLI.sluice(["run", "p.yaml", "--output", "local", "--workers", "2"], in: dir)
        #expect(local.status == 0, "\(local.stderr)")

        let (jobs, printed) = try Slurm.submit(["p.yaml", "--output", "slurm"], in: dir)
        #expect(jobs.count == 5, "one array job per pass: \(printed)")  // segment, 3 dedup passes, segment
        try Slurm.wait(jobs)

        let expected = Slurm.outputs(dir + "/local")
        let got = Slurm.outputs(dir + "/slurm")
        #expect(expected.keys.contains { $0.hasSuffix(".jsonl.zst") && !$0.hasPrefix("_") })
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (name, bytes) in expected { #expect(got[name] == bytes, "\(name) differs from the local run") }

        let status = try CLI.sluice(["slurm", "status", "slurm", "--json"], in: dir)
        #expect(status.stdout.contains("\"failed\":[]"))
        #expect(!status.stdout.contains("\"pending\":[0"))
    }

    @Test func resubmittingRerunsOnlyTheFailedTask() throws {
        let dir = try TestSupport.temporaryDirectory("slurm-fail")
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try fm.copyItem(atPath: TestSupport.fixture("warc/commoncrawl-excerpt.warc.gz"), toPath: dir + "/in/a.warc.gz")
        try fm.copyItem(atPath: TestSupport.fixture("warc/wget-crawl-excerpt.warc.gz"), toPath: dir + "/in/b.warc.gz")
        // Task 2's input is a folder where a WARC file should be: that task fails, the others finish.
        try fm.createDirectory(atPath: dir + "/in/c.warc.gz", withIntermediateDirectories: true)
        try "input: {paths: [\"in/*.warc.gz\"]}\noutput: out\ntasks: 3\nstages: [extract, minhash_dedup, write]\n"
            .write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)

        let first = try Slurm.submit(["p.yaml"], in: dir)
        try Slurm.wait(first.jobs)
        let status = try CLI.sluice(["slurm", "status", "out"], in: dir)
        #expect(status.stdout.contains("failed tasks: 2"), "\(status.stdout)")
        let markers = (0...1).map { dir + "/out/_markers/segment-0/0000\($0).done" }
        let logs = (0...1).map { dir + "/out/_slurm/logs/0-segment-0-\($0).log" }
        let before = (markers + logs).map(Slurm.modificationDate)
        #expect(before.allSatisfy { $0 != nil })
        #expect(!fm.fileExists(atPath: dir + "/out/_markers/segment-0/00002.done"))

        // Mend the input and submit again: segment-0 holds only task 2 now.
        try fm.removeItem(atPath: dir + "/in/c.warc.gz")
        try fm.copyItem(atPath: TestSupport.fixture("warc/whole-file-gzip.warc.gz"), toPath: dir + "/in/c.warc.gz")
        Thread.sleep(forTimeInterval: 1.1)  // so a rewritten marker would show a later time
        let second = try Slurm.submit(["p.yaml"], in: dir)
        #expect(second.stdout.contains("segment-0\t1/3 tasks"), "\(second.stdout)")
        let script = try String(contentsOfFile: dir + "/out/_slurm/0-segment-0.sbatch", encoding: .utf8)
        #expect(script.contains("#SBATCH --array=2\n"))
        try Slurm.wait(second.jobs)
        #expect((markers + logs).map(Slurm.modificationDate) == before, "tasks 0 and 1 ran again")
        #expect(fm.fileExists(atPath: dir + "/out/_markers/segment-0/00002.done"))
        let done = try CLI.sluice(["slurm", "status", "out", "--json"], in: dir)
        #expect(done.stdout.contains("\"failed\":[]") && !done.stdout.contains("\"pending\":[0"), "\(done.stdout)")

        // The mended run equals a local run of the same inputs.
        let local = try CLI.sluice(["run", "p.yaml", "--output", "local"], in: dir)
        #expect(local.status == 0, "\(local.stderr)")
        let expected = Slurm.outputs(dir + "/local")
        let got = Slurm.outputs(dir + "/out")
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (name, bytes) in expected { #expect(got[name] == bytes, "\(name) differs from the local run") }
    }
}
