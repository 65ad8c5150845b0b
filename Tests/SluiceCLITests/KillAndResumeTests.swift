// The crash guarantee: a `sluice run` killed with SIGKILL mid-run, or stopped by a full disk,
// leaves no partial file under a final name, and a rerun finishes with output byte-identical to an
// uninterrupted run.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct KillAndResumeTests {
    static let taskCount = 40

    /// 40 JSONL inputs of 3,000 documents (about 45 MB), a pipeline with one task per file.
    func makeInputs(_ dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        for f in 0..<Self.taskCount {
            let docs = CLI.documents(prefix: "k\(f)", count: 3000, seed: UInt64(f))
            try CLI.write(docs.map { CLI.jsonl(id: $0.id, text: $0.text) }, to: dir + "/in/part-\(f).jsonl")
        }
        try """
        input: {paths: ["in/*.jsonl"]}
        output: out
        stages:
          - length: {min_words: 20}
          - sample: {fraction: 0.7}
          - write: {compression: zstd, max_documents: 1000}
        """.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
    }

    func markers(_ out: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: out + "/_markers/segment-0")) ?? []).filter {
            $0.hasSuffix(".done")
        }.count
    }

    @Test func sigkillThenRerunGivesIdenticalOutput() throws {
        let dir = try TestSupport.temporaryDirectory("kill")
        try makeInputs(dir)
        let reference = try CLI.sluice(["run", "p.yaml", "--output", "reference", "--workers", "2"], in: dir)
        #expect(reference.status == 0, "\(reference.stderr)")
        let expected = CLI.tree(dir + "/reference")
        #expect(expected.keys.filter { $0.hasSuffix(".jsonl.zst") }.count >= Self.taskCount)

        // Start a run and kill it as soon as its first task has completed.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try TestSupport.sluiceBinary())
        p.arguments = ["run", "p.yaml", "--workers", "2"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while markers(dir + "/out") == 0 && p.isRunning && Date() < deadline { usleep(2000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        let done = markers(dir + "/out")
        #expect(done >= 1 && done < Self.taskCount, "the run must be killed mid-way (\(done) tasks done)")

        // Whatever sits under a final name is complete: identical to the uninterrupted run.
        let partial = CLI.tree(dir + "/out")
        #expect(!partial.isEmpty)
        let wrong = partial.filter { expected[$0.key] != $0.value }.map(\.key).sorted()
        #expect(wrong.isEmpty, "after SIGKILL, files not identical to the uninterrupted run's: \(wrong)")

        let rerun = try CLI.sluice(["run", "p.yaml", "--workers", "2"], in: dir)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains("skipped \(done) finished tasks"))
        let final = CLI.tree(dir + "/out")
        let differing = CLI.differences(final, expected)
        #expect(differing.isEmpty, "after the rerun, files differing from the uninterrupted run: \(differing)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/_tmp"))
        // The merged stats count every document once.
        let stats = try StatsReport.load(outputDirectory: dir + "/out")
        #expect(stats.passes[0].tasksReported == Self.taskCount)
        #expect(stats.passes[0].stages[0].documentsOut == 3000 * Self.taskCount)
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func aFullDiskFailsTheTaskOnOneLineAndARerunCompletes() throws {
        // RLIMIT_FSIZE stands in for a full disk: past the limit write(2) fails (EFBIG, with SIGXFSZ
        // ignored) as it would with ENOSPC. The outputs here are ~500 KB per task (uncompressed).
        let dir = try TestSupport.temporaryDirectory("diskfull")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        for f in 0..<3 {
            let docs = CLI.documents(prefix: "d\(f)", count: 3000, seed: UInt64(f))
            try CLI.write(docs.map { CLI.jsonl(id: $0.id, text: $0.text) }, to: dir + "/in/part-\(f).jsonl")
        }
        try "input: {paths: [\"in/*.jsonl\"]}\noutput: out\nstages:\n  - write: {compression: none}\n".write(
            toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        let reference = try CLI.sluice(["run", "p.yaml", "--output", "reference"], in: dir)
        #expect(reference.status == 0)
        let expected = CLI.tree(dir + "/reference")

        let sluice = try TestSupport.sluiceBinary()
        let full = try TestSupport.run(
            "/bin/sh", ["-c", "trap '' XFSZ; ulimit -f 200; exec \"$0\" run p.yaml --workers 1", sluice],
            environment: ["SLUICE_NO_PROGRESS": "1"], directory: dir)
        #expect(full.status == 1)
        let error = String(full.stderr.split(separator: "\n").last ?? "")
        #expect(
            error.hasPrefix("sluice: i/o error: task segment-0/") && error.contains("File too large"), "\(full.stderr)")
        #expect(markers(dir + "/out") < 3)
        let partial = CLI.tree(dir + "/out")
        let wrong = partial.filter { expected[$0.key] != $0.value }.map(\.key).sorted()
        #expect(wrong.isEmpty, "after a full disk, files not identical to the uninterrupted run's: \(wrong)")

        let rerun = try CLI.sluice(["run", "p.yaml"], in: dir)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(CLI.differences(CLI.tree(dir + "/out"), expected).isEmpty)
        #expect(try CLI.sluice(["verify", "out"], in: dir).status == 0)
    }
}
