// Outputs checked at commit and after (issue 16.1): a commit refuses an output that vanished; markers
// record every output with its size and checksum, and a run redoes a task whose output was damaged.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite(.serialized) struct OutputVerifierTests {
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
}
