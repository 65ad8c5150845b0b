// Completion markers with sizes and checksums (issue 16.1): the streaming xxHash64, the marker
// format, a commit that refuses an output that vanished, a run that redoes a damaged task, and
// the folder lock seen from one process.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite(.serialized) struct OutputIntegrityTests {
    @Test(arguments: [1, 3, 7, 31, 32, 33, 4096])
    func streamingXXHash64MatchesTheOneShotHash(chunk: Int) {
        var bytes: [UInt8] = []
        var x: UInt64 = 7
        for _ in 0..<10_007 {
            x = mix64(x)
            bytes.append(UInt8(truncatingIfNeeded: x))
        }
        for n in [0, 1, 5, 31, 32, 33, 100, 10_007] {
            var stream = XXHash64Stream()
            var i = 0
            while i < n {
                let end = min(n, i + chunk)
                bytes[i..<end].withUnsafeBytes { stream.update($0) }
                i = end
            }
            let whole = bytes[0..<n].withUnsafeBytes { xxHash64($0) }
            #expect(stream.digest() == whole, "length \(n), chunk \(chunk)")
            #expect(stream.count == n)
        }
        // A published vector: XXH64("", 0) = ef46db3751d8e999.
        #expect(XXHash64Stream().digest() == 0xEF46_DB37_51D8_E999)
    }

    @Test func markerTextRoundTripsAndOldMarkersStillParse() throws {
        let m = CompletionMarker(
            fingerprint: "00ff", pass: "segment-0", task: 3, taskCount: 8,
            files: [.init(path: "_work/segment-0/00003 x.jsonl.zst", checksum: FileChecksum(size: 12, xxh64: 0xABC))])
        #expect(
            m.text == "sluice 00ff\ntask segment-0 3 8\nfile 12 0000000000000abc _work/segment-0/00003 x.jsonl.zst\n")
        #expect(CompletionMarker(text: m.text) == m)
        let old = try #require(CompletionMarker(text: "sluice 00ff\n"))
        #expect(old.files.isEmpty && old.taskCount == nil)
        #expect(CompletionMarker(text: "garbage\n") == nil)
        #expect(CompletionMarker(text: "sluice 00ff\nfile twelve 0 x\n") == nil)
    }

    @Test func aVanishedOutputIsAnErrorAndNoMarkerIsWritten() throws {
        let dir = try TestSupport.temporaryDirectory("integrity")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeInputs(dir, count: 2) { ["doc \($0)"] }
        let p = try pipeline(
            """
            input: ["\(dir)/in/*.lines"]
            output: \(dir)/out
            stages: [vanishing_write]
            """, in: dir)
        let e = configError {
            try LocalExecutor(workers: 1).run(try PipelinePlan(pipeline: p, registry: engineTestRegistry))
        }
        #expect(e?.code == .io)
        #expect(e?.message.contains("vanished from the task's temporary folder before it was committed") == true)
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/_markers/segment-0/00000.done"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/_markers/segment-0/00001.done"))
    }

    @Test func markersRecordEveryOutputAndARunRedoesADamagedTask() throws {
        let dir = try TestSupport.temporaryDirectory("integrity")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeInputs(dir, count: 3) { i in ["a \(i)", "b \(i)", "a 0"] }
        let p = try pipeline(
            """
            input: ["\(dir)/in/*.lines"]
            output: \(dir)/out
            stages: [upper, test_dedup, write]
            """, in: dir)
        let plan = try PipelinePlan(pipeline: p, registry: engineTestRegistry)
        try LocalExecutor(workers: 2).run(plan)
        let before = outputFiles(dir + "/out")
        let last = plan.passes.count - 1
        let marker = try #require(plan.marker(passIndex: last, task: 1))
        #expect(marker.files.map(\.path) == ["00001-0.lines"])
        let data = try #require(FileManager.default.contents(atPath: dir + "/out/00001-0.lines"))
        let expected = data.withUnsafeBytes { xxHash64($0, seed: 0) }
        #expect(marker.files[0].checksum == FileChecksum(size: data.count, xxh64: expected))
        let intermediate = try #require(plan.marker(passIndex: 0, task: 2))
        #expect(intermediate.files.map(\.path) == ["_work/segment-0/00002.jsonl.zst"])

        // Truncate a final output: the task is no longer done, and a run redoes only it.
        #expect(truncate(dir + "/out/00001-0.lines", 1) == 0)
        #expect(!plan.isDone(passIndex: last, task: 1))
        #expect(plan.pendingTasks(passIndex: last) == [1])
        let summary = try LocalExecutor(workers: 2).run(plan)
        #expect(summary.tasksRun == 1)
        #expect(outputFiles(dir + "/out") == before)
        #expect(try OutputVerifier.verify(root: dir + "/out").problems.isEmpty)
    }

    @Test func oneLocalRunAtATimeInOneProcessToo() throws {
        let dir = try TestSupport.temporaryDirectory("integrity")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeInputs(dir, count: 1) { _ in ["x"] }
        let p = try pipeline("input: [\"\(dir)/in/*.lines\"]\noutput: \(dir)/out\nstages: [write]\n", in: dir)
        var held: OutputLock? = try OutputLock.exclusive(root: dir + "/out")
        let e = configError {
            try LocalExecutor(workers: 1).run(try PipelinePlan(pipeline: p, registry: engineTestRegistry))
        }
        #expect(
            e?.code == .usage
                && e?.message.hasPrefix("the output folder is in use by another sluice process (pid \(getpid()) host ")
                    == true
        )
        #expect(held != nil)
        held = nil
        #expect(
            try LocalExecutor(workers: 1).run(try PipelinePlan(pipeline: p, registry: engineTestRegistry)).tasksRun == 1
        )
    }
}
