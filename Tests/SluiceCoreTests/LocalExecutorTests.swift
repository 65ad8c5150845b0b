// LocalExecutor (with SegmentTask) on the test stages of EngineTestSupport.swift: sharding by input
// index, markers and reruns, one and two workers, corrupt input counted, a failing task, reader options,
// every writer fed.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite(.serialized) struct LocalExecutorTests {
    @Test func inputsAreShardedByIndexModuloTasks() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 5) { ["file \($0)"] }
        let p = try pipeline("input: \(dir)/in/*.lines\noutput: \(dir)/out\ntasks: 2\nstages: [write]\n", in: dir)
        try LocalExecutor(workers: 2).run(try PipelinePlan(pipeline: p, registry: engineTestRegistry))
        #expect(
            try String(contentsOfFile: dir + "/out/00000-0.lines", encoding: .utf8)
                == "f0.lines:1\tfile 0\nf2.lines:1\tfile 2\nf4.lines:1\tfile 4\n")
        #expect(
            try String(contentsOfFile: dir + "/out/00001-0.lines", encoding: .utf8)
                == "f1.lines:1\tfile 1\nf3.lines:1\tfile 3\n")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/_tmp"))
    }

    @Test func markersSkipFinishedTasksAndForceRedoesThem() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 3) { ["doc \($0)"] }
        let p = try pipeline("input: \(dir)/in/*.lines\noutput: \(dir)/out\nstages: [upper, write]\n", in: dir)
        let plan = try PipelinePlan(pipeline: p, registry: engineTestRegistry)
        let first = try LocalExecutor(workers: 2).run(plan)
        #expect(first.tasksRun == 3 && first.tasksSkipped == 0)
        for t in 0..<3 {
            #expect(FileManager.default.fileExists(atPath: dir + "/out/_markers/segment-0/0000\(t).done"))
            #expect(FileManager.default.fileExists(atPath: dir + "/out/_stats/segment-0/0000\(t).json"))
        }
        // Remove one marker: only that task runs again.
        try FileManager.default.removeItem(atPath: dir + "/out/_markers/segment-0/00001.done")
        let second = try LocalExecutor(workers: 2).run(plan)
        #expect(second.tasksRun == 1 && second.tasksSkipped == 2)
        #expect(try LocalExecutor(workers: 2).run(plan).tasksRun == 0)
        #expect(try LocalExecutor(workers: 2, force: true).run(plan).tasksRun == 3)
        // A marker of another configuration does not count: changing an option reruns every task.
        let changed = try pipeline(
            "input: \(dir)/in/*.lines\noutput: \(dir)/out\nstages: [upper, write]\n", in: dir,
            overrides: PipelineOverrides(settings: ["lines.prefix=x"]))
        #expect(
            try LocalExecutor(workers: 2).run(try PipelinePlan(pipeline: changed, registry: engineTestRegistry))
                .tasksRun == 3)
        #expect(try LocalExecutor(workers: 2).run(plan).tasksRun == 3)
        // Fewer tasks than an earlier run in the same folder is an error before any work.
        let fewer = try pipeline(
            "input: \(dir)/in/*.lines\noutput: \(dir)/out\ntasks: 2\nstages: [upper, write]\n", in: dir)
        let e = configError { try LocalExecutor().run(try PipelinePlan(pipeline: fewer, registry: engineTestRegistry)) }
        #expect(e?.message.contains("holds task 2 of pass segment-0 from an earlier run with more tasks") == true)
        // Scheduler mode: one task.
        #expect(try LocalExecutor().runTask(plan, passIndex: 0, task: 2) == false)
        #expect(try LocalExecutor(force: true).runTask(plan, passIndex: 0, task: 2) == true)
    }

    @Test func oneAndTwoWorkersGiveIdenticalOutput() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 7) { i in (0..<50).map { "doc \(i)-\($0 % 13)" + ($0 % 5 == 0 ? " drop" : "") } }
        var outputs: [[String: Data]] = []
        for workers in [1, 2] {
            let p = try pipeline(
                "input: \(dir)/in/*.lines\noutput: \(dir)/out\(workers)\ntasks: 3\nstages: [upper, drop_word: {word: DROP}, test_dedup, write: {max_documents: 20}]\n",
                in: dir)
            try LocalExecutor(workers: workers).run(try PipelinePlan(pipeline: p, registry: engineTestRegistry))
            outputs.append(outputFiles(dir + "/out\(workers)"))
        }
        #expect(outputs[0].count > 5)
        let differing = Set(outputs[0].keys).union(outputs[1].keys).filter { outputs[0][$0] != outputs[1][$0] }.sorted()
        #expect(differing.isEmpty, "files differing between 1 and 2 workers: \(differing)")
    }

    @Test func corruptInputIsCountedAndTheTaskGoesOn() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 3) { i in i == 1 ? ["good a", "CORRUPT", "lost"] : ["good \(i)"] }
        let p = try pipeline("input: \(dir)/in/*.lines\noutput: \(dir)/out\ntasks: 1\nstages: [write]\n", in: dir)
        try LocalExecutor(workers: 1).run(try PipelinePlan(pipeline: p, registry: engineTestRegistry))
        #expect(
            try String(contentsOfFile: dir + "/out/00000-0.lines", encoding: .utf8)
                == "f0.lines:1\tgood 0\nf1.lines:1\tgood a\nf2.lines:1\tgood 2\n")
        let report = try StatsReport.load(outputDirectory: dir + "/out")
        #expect(report.passes[0].stages[0].errors == ["lines:corrupt_input": 1])
        #expect(report.passes[0].stages[0].documentsOut == 3)
        #expect(report.table().contains("error    lines:corrupt_input  1"))
    }

    @Test func failingTaskLeavesNoMarkerAndNamesTheTask() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 2) { i in i == 1 ? ["boom"] : ["fine"] }
        let p = try pipeline("input: \(dir)/in/*.lines\noutput: \(dir)/out\nstages: [explode, write]\n", in: dir)
        let plan = try PipelinePlan(pipeline: p, registry: engineTestRegistry)
        let e = configError { try LocalExecutor(workers: 1).run(plan) }
        #expect(e?.message.hasPrefix("task segment-0/1: boom in f1.lines:1") == true)
        #expect(plan.isDone(passIndex: 0, task: 0))
        #expect(!plan.isDone(passIndex: 0, task: 1))
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/00001-0.lines"))
    }

    @Test func readerOptionsKeyedByReaderAndMoreTasksThanFiles() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 2) { ["doc \($0)"] }
        let p = try pipeline(
            "input: {paths: \"\(dir)/in/*.lines\", options: {lines: {prefix: k/}}}\noutput: \(dir)/out\ntasks: 4\nstages: [write]\n",
            in: dir)
        #expect(p.readers[0].values.map(\.key) == ["prefix"])
        let plan = try PipelinePlan(pipeline: p, registry: engineTestRegistry)
        try LocalExecutor(workers: 2).run(plan)
        #expect(try String(contentsOfFile: dir + "/out/00001-0.lines", encoding: .utf8) == "k/f1.lines:1\tdoc 1\n")
        // Tasks 2 and 3 have no input: they complete with no output.
        #expect(plan.pendingTasks(passIndex: 0).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/00003-0.lines"))
        let bad = configError {
            _ = try pipeline(
                "input: {paths: \"\(dir)/in/*.lines\", options: {lines: {prefx: a}}}\noutput: o\nstages: [write]\n",
                in: dir)
        }
        #expect(bad?.message.hasPrefix("lines.prefx: unknown option") == true)
    }

    @Test func everyWriterReceivesEveryDocument() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 1) { _ in ["a", "b", "c"] }
        let p = try pipeline(
            "input: \(dir)/in/*.lines\noutput: \(dir)/out\nstages: [write: {max_documents: 2}, write: {compression: zstd}]\n",
            in: dir)
        try LocalExecutor(workers: 1).run(try PipelinePlan(pipeline: p, registry: engineTestRegistry))
        #expect(
            try String(contentsOfFile: dir + "/out/00000.jsonl.zst", encoding: .utf8).split(separator: "\n").count == 3)
        #expect(try String(contentsOfFile: dir + "/out/00000-1.lines", encoding: .utf8) == "f0.lines:3\tc\n")
        let s = try StatsReport.load(outputDirectory: dir + "/out").passes[0].stages
        #expect(s.map(\.name) == ["lines", "write", "write"])
        #expect(s[1].documentsIn == 3 && s[2].documentsIn == 3)
        #expect(s[1].bytesOut == 2 * "f0.lines:1\ta\n".utf8.count + "f0.lines:3\tc\n".utf8.count)
        #expect(s[2].bytesOut == 3 * "f0.lines:1\ta\n".utf8.count)
    }
}
