// Issue 16 item 1 and its neighbours: two runs on one output folder (the second fails fast with a
// lock error naming the first), scheduler tasks side by side, a stale lock taken over, and a
// deleted or truncated output caught by `sluice verify` and redone by `sluice run`.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct OutputSafetyTests {
    /// A multi-pass pipeline (exact and MinHash dedup) over 3 tasks, with its inputs.
    static func multiPass(_ dir: String) throws {
        for f in 0..<3 {
            let docs = CLI.documents(prefix: "f\(f)", count: 40, seed: UInt64(f))
            // Copies across files, so that dedup has something to remove.
            let lines =
                docs.map { CLI.jsonl(id: $0.id, text: $0.text) } + [CLI.jsonl(id: "copy-\(f)", text: docs[0].text)]
            try CLI.write(lines, to: dir + "/in-\(f).jsonl.zst")
        }
        try """
        input: {paths: ["in-*.jsonl.zst"]}
        output: out
        tasks: 3
        stages:
          - exact_dedup: {}
          - minhash_dedup: {}
          - write: {}
        """.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
    }

    @Test func secondRunOnTheSameOutputFailsFastNamingTheFirst() throws {
        let dir = try TestSupport.temporaryDirectory("lock")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.multiPass(dir)
        // The first run: this process holds the folder as `sluice run` does.
        var held: OutputLock? = try OutputLock.exclusive(root: dir + "/out")
        let second = try CLI.sluice(["run", "p.yaml"], in: dir)
        #expect(second.status == 1)
        // minhash_dedup prints its S-curve when it is built; the error is the last line, and one line.
        let error = String(second.stderr.split(separator: "\n").last ?? "")
        #expect(
            error.hasPrefix(
                "sluice: usage error: the output folder is in use by another sluice process (pid \(getpid()) host "))
        #expect(error.hasSuffix("choose another --output (out)"))
        // Nothing of the first run was touched: no markers, no work folders.
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/_markers"))
        #expect(held != nil)
        held = nil
        let again = try CLI.sluice(["run", "p.yaml"], in: dir)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try CLI.sluice(["verify", "out"], in: dir).status == 0)
    }

    @Test func twoRealRunsNeverBothWrite() throws {
        // The reproduction of issue 16.1: start a run, start a second on the same folder while the
        // first holds it. Whichever way the race goes, one run fails with the lock error or starts
        // after the other finished, and the folder verifies.
        let dir = try TestSupport.temporaryDirectory("lock")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.multiPass(dir)
        let first = Process()
        first.executableURL = URL(fileURLWithPath: try TestSupport.sluiceBinary())
        first.arguments = ["run", "p.yaml"]
        first.currentDirectoryURL = URL(fileURLWithPath: dir)
        first.environment = ProcessInfo.processInfo.environment.merging(["SLUICE_NO_PROGRESS": "1"]) { $1 }
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        // Wait until the first run holds the folder (its stamp is written) or has finished.
        for _ in 0..<2000 where first.isRunning {
            if let s = OutputLock.description(ofFile: dir + "/out/_lock"), s.contains("pid \(first.processIdentifier) ")
            {
                break
            }
            usleep(1000)
        }
        let second = try CLI.sluice(["run", "p.yaml"], in: dir)
        let firstWasRunning = first.isRunning
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        if second.status != 0 {
            #expect(second.stderr.contains("in use by another sluice process (pid \(first.processIdentifier) host "))
        } else {
            #expect(!firstWasRunning || second.stderr.contains("skipped"))
        }
        let verify = try CLI.sluice(["verify", "out"], in: dir)
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    @Test func schedulerTasksRunSideBySideButNotTwiceOrBesideALocalRun() throws {
        let dir = try TestSupport.temporaryDirectory("lock")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.multiPass(dir)
        // Array element 0 of segment-0 is running (this process holds its task lock).
        let held = try OutputLock.task(root: dir + "/out", pass: "segment-0", task: 0)
        let sibling = try CLI.sluice(["run", "p.yaml", "--pass", "segment-0", "--task-index", "1"], in: dir)
        #expect(sibling.status == 0, "\(sibling.stderr)")
        let twin = try CLI.sluice(["run", "p.yaml", "--pass", "segment-0", "--task-index", "0"], in: dir)
        #expect(twin.status == 1)
        #expect(
            twin.stderr.contains(
                "task 0 of pass segment-0 is already running in another sluice process (pid \(getpid()) "))
        let local = try CLI.sluice(["run", "p.yaml"], in: dir)
        #expect(local.status == 1)
        #expect(local.stderr.contains("in use by another sluice process (a --task-index run, pid \(getpid()) "))
        withExtendedLifetime(held) {}
    }

    @Test func aStaleLockOfADeadProcessIsTakenOver() throws {
        let dir = try TestSupport.temporaryDirectory("lock")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.multiPass(dir)
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        try "pid 999999 host gone since 2020-01-01T00:00:00Z: sluice run p.yaml\n".write(
            toFile: dir + "/out/_lock", atomically: true, encoding: .utf8)
        let r = try CLI.sluice(["run", "p.yaml"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(OutputLock.description(ofFile: dir + "/out/_lock")?.hasPrefix("pid 999999") == false)
    }

    @Test func verifyReportsAndRunRedoesDeletedOrTruncatedOutputs() throws {
        let dir = try TestSupport.temporaryDirectory("verify")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.multiPass(dir)
        #expect(try CLI.sluice(["run", "p.yaml"], in: dir).status == 0)
        let good = CLI.tree(dir + "/out")
        let ok = try CLI.sluice(["verify", "out"], in: dir)
        #expect(ok.status == 0 && ok.stdout.contains("files") && ok.stdout.contains("verified"))

        // A final output truncated, an intermediate deleted, and one bit flipped (same size).
        let final = dir + "/out/00001.jsonl.zst"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: final)[.size] as? Int)
        #expect(truncate(final, off_t(size / 2)) == 0)
        try FileManager.default.removeItem(atPath: dir + "/out/_work/segment-0/00002.jsonl.zst")
        let flipped = dir + "/out/00000.jsonl.zst"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: flipped))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: flipped))

        let bad = try CLI.sluice(["verify", "out"], in: dir)
        #expect(bad.status == 1)
        let problems = bad.stdout.split(separator: "\n").map(String.init)
        #expect(problems.count == 3, "\(problems)")
        #expect(
            problems.contains { $0.hasPrefix("out/00001.jsonl.zst: \(size / 2) bytes, the marker recorded \(size)") })
        #expect(problems.contains { $0.hasPrefix("out/_work/segment-0/00002.jsonl.zst: missing") })
        #expect(problems.contains { $0.hasPrefix("out/00000.jsonl.zst: xxHash64 ") })
        #expect(bad.stderr == "sluice: 3 problems in out (sluice run redoes the tasks)\n")

        // `run` redoes what the cheap size check sees (missing, truncated); `--force` the rest.
        let rerun = try CLI.sluice(["run", "p.yaml"], in: dir)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains("segment-0/2: out/_work/segment-0/00002.jsonl.zst: missing; redoing the task"))
        let after = try CLI.sluice(["verify", "out"], in: dir)
        #expect(after.stdout.split(separator: "\n").count == 1 && after.stdout.contains("00000.jsonl.zst: xxHash64"))
        #expect(try CLI.sluice(["run", "p.yaml", "--force"], in: dir).status == 0)
        #expect(try CLI.sluice(["verify", "out"], in: dir).status == 0)
        #expect(CLI.differences(good, CLI.tree(dir + "/out")).isEmpty)
    }

    @Test func verifyNamesUnfinishedTasksAndRejectsOtherFolders() throws {
        let dir = try TestSupport.temporaryDirectory("verify")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.multiPass(dir)
        #expect(try CLI.sluice(["run", "p.yaml", "--pass", "segment-0", "--task-index", "0"], in: dir).status == 0)
        let r = try CLI.sluice(["verify", "out"], in: dir)
        #expect(r.status == 1)
        #expect(
            r.stdout
                == "segment-0: task 00001 of 3 is not finished (no marker)\nsegment-0: task 00002 of 3 is not finished (no marker)\n"
        )
        let none = try CLI.sluice(["verify", "."], in: dir)
        #expect(
            none.status == 1
                && none.stderr
                    == "sluice: usage error: no completion markers: not the output folder of a sluice run (.)\n"
        )
    }

    @Test func anOutputPathThatIsAFileIsOneLine() throws {
        let dir = try TestSupport.temporaryDirectory("lock")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.multiPass(dir)
        try "x".write(toFile: dir + "/taken", atomically: true, encoding: .utf8)
        let flag = try CLI.sluice(["run", "p.yaml", "--output", "taken"], in: dir)
        #expect(flag.status == 1)
        #expect(
            flag.stderr.hasSuffix(
                "\nsluice: config error: output: 'taken' is a file, not a folder; choose another output folder (--output)\n"
            ))
        let text = try String(contentsOfFile: dir + "/p.yaml", encoding: .utf8).replacingOccurrences(
            of: "output: out", with: "output: taken")
        try text.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        let file = try CLI.sluice(["run", "p.yaml"], in: dir)
        #expect(
            file.stderr.hasSuffix(
                "\nsluice: config error: output: 'taken' is a file, not a folder; choose another output folder (p.yaml:2)\n"
            ))
    }
}
