// Engine tests with the small stages of EngineTestStages.swift: pipeline-file errors, overrides,
// sharding, markers and reruns, corpus stages, corrupt inputs, failures, determinism, stats.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

/// A folder with `n` input files `in/f<i>.lines`, each holding `lines(i)`.
func makeInputs(_ dir: String, count n: Int, lines: (Int) -> [String]) throws {
    try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
    for i in 0..<n {
        try (lines(i).joined(separator: "\n") + "\n").write(
            toFile: dir + "/in/f\(i).lines", atomically: true, encoding: .utf8)
    }
}

/// Every regular file under `root` except engine bookkeeping, as relative path → contents.
func outputFiles(_ root: String, excluding: [String] = ["_stats", "_markers", "_tmp", "_lock", "_locks"]) -> [String:
    Data]
{
    TestSupport.regularFiles(under: root, excluding: excluding)
}

func pipeline(_ yaml: String, in dir: String, overrides: PipelineOverrides = .init()) throws -> Pipeline {
    let path = dir + "/pipeline.yaml"
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    let cwd = FileManager.default.currentDirectoryPath
    FileManager.default.changeCurrentDirectoryPath(dir)
    defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
    var o = overrides
    o.inputs = o.inputs.map { $0.hasPrefix("/") ? $0 : dir + "/" + $0 }
    // Inputs and output in tests are given absolute, so the working directory does not matter later.
    return try Pipeline.load(path: path, registry: engineTestRegistry, overrides: o)
}

func configError(_ body: () throws -> Void) -> SluiceError? {
    do { try body() } catch let e as SluiceError { return e } catch { return nil }
    return nil
}

@Suite(.serialized) struct EngineTests {
    // MARK: - Pipeline files

    @Test func loadsStagesOptionsAndDefaults() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 3) { ["doc \($0)"] }
        let p = try pipeline(
            """
            input: {paths: ["\(dir)/in/*.lines"], options: {prefix: "x-"}}
            output: \(dir)/out
            stages:
              - upper
              - drop_word: {word: nope}
              - write: {}
            """, in: dir)
        #expect(p.inputs == (0..<3).map { "\(dir)/in/f\($0).lines" })
        #expect(p.tasks == 3)  // default: one per input file
        #expect(p.stages.map(\.name) == ["upper", "drop_word", "write"])
        #expect(p.readers.map(\.name) == ["lines"])
        let plan = try PipelinePlan(pipeline: p, registry: engineTestRegistry)
        #expect(plan.passes == [PlannedPass(name: "segment-0", kind: .segment(0), taskCount: 3)])
    }

    @Test func unknownTopLevelKeyNamesFileLineAndKey() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 1) { _ in ["a"] }
        let e = configError {
            _ = try pipeline("input: \(dir)/in/*.lines\noutput: \(dir)/out\nstagez: []\nstages: [write]\n", in: dir)
        }
        #expect(e?.code == .config)
        #expect(e?.file == dir + "/pipeline.yaml")
        #expect(e?.line == 3)
        #expect(e?.message.contains("stagez") == true)
    }

    @Test func unknownOptionNamesStageKeyAndLine() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 1) { _ in ["a"] }
        let e = configError {
            _ = try pipeline(
                """
                input: {paths: "\(dir)/in/*.lines"}
                output: \(dir)/out
                stages:
                  - upper
                  - drop_word:
                      word: x
                      wrod: y
                  - write
                """, in: dir)
        }
        #expect(e?.code == .config)
        #expect(e?.line == 7)
        #expect(e?.message.hasPrefix("drop_word.wrod: unknown option") == true)
        #expect(e?.description.contains("pipeline.yaml:7") == true)
    }

    @Test func badValueAndUnknownStageAreConfigErrors() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 1) { _ in ["a"] }
        let bad = configError {
            _ = try pipeline(
                "input: \(dir)/in/*.lines\noutput: \(dir)/out\nstages:\n  - drop_word: {min_length: -3}\n  - write\n",
                in: dir)
        }
        #expect(bad?.line == 4)
        #expect(bad?.message.contains("drop_word.min_length") == true)
        let unknown = configError {
            _ = try pipeline("input: \(dir)/in/*.lines\noutput: \(dir)/out\nstages:\n  - uper\n  - write\n", in: dir)
        }
        #expect(unknown?.line == 4)
        #expect(unknown?.message.contains("did you mean 'upper'") == true)
        let tasks = configError {
            _ = try pipeline("input: \(dir)/in/*.lines\noutput: o\ntasks: 0\nstages: [write]\n", in: dir)
        }
        #expect(tasks?.line == 3)
        let order = configError {
            _ = try pipeline("input: \(dir)/in/*.lines\noutput: o\nstages: [write, upper]\n", in: dir)
        }
        #expect(order?.message.contains("after a writer") == true)
        let noWriter = configError {
            _ = try pipeline("input: \(dir)/in/*.lines\noutput: o\nstages: [upper]\n", in: dir)
        }
        #expect(noWriter?.message.contains("no writer") == true)
    }

    @Test func missingInputIsOneClearError() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        let e = configError {
            _ = try pipeline("input: {paths: [\"\(dir)/nothing/*.lines\"]}\noutput: o\nstages: [write]\n", in: dir)
        }
        #expect(e?.description == "config error: no input matches '\(dir)/nothing/*.lines' (\(dir)/pipeline.yaml:1)")
    }

    @Test func setOverridesOptionsAndNamesUnknownStages() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 1) { _ in ["short", "a longer document"] }
        let yaml = "input: \(dir)/in/*.lines\noutput: \(dir)/out\nstages: [drop_word, write]\n"
        let p = try pipeline(
            yaml, in: dir, overrides: PipelineOverrides(settings: ["drop_word.min_length=10", "lines.prefix=p/"]))
        try LocalExecutor(workers: 1).run(try PipelinePlan(pipeline: p, registry: engineTestRegistry))
        let out = try String(contentsOfFile: dir + "/out/00000-0.lines", encoding: .utf8)
        #expect(out == "p/f0.lines:2\ta longer document\n")
        let e = configError { _ = try pipeline(yaml, in: dir, overrides: PipelineOverrides(settings: ["nope.x=1"])) }
        #expect(e?.message.contains("no stage 'nope'") == true)
        let bad = configError {
            _ = try pipeline(yaml, in: dir, overrides: PipelineOverrides(settings: ["drop_word.min_length=abc"]))
        }
        #expect(bad?.message.contains("drop_word.min_length: 'abc' is not an integer") == true)
    }

    // MARK: - Running

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

    @Test func corpusStageSplitsThePipelineIntoPasses() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 4) { i in ["same", "unique \(i)", i % 2 == 0 ? "even" : "odd"] }
        let p = try pipeline(
            "input: \(dir)/in/*.lines\noutput: \(dir)/out\ntasks: 2\nstages: [upper, test_dedup, drop_word: {word: ODD}, write]\n",
            in: dir)
        let plan = try PipelinePlan(pipeline: p, registry: engineTestRegistry)
        #expect(plan.passes.map(\.name) == ["segment-0", "test_dedup.hash", "test_dedup.decide", "segment-1"])
        #expect(plan.passes.map(\.taskCount) == [2, 2, 1, 2])
        try LocalExecutor(workers: 2).run(plan)
        #expect(FileManager.default.fileExists(atPath: dir + "/out/_work/segment-0/00000.jsonl.zst"))
        let all =
            (try String(contentsOfFile: dir + "/out/00000-0.lines", encoding: .utf8))
            + (try String(contentsOfFile: dir + "/out/00001-0.lines", encoding: .utf8))
        // Task 0 read f0, f2; task 1 read f1, f3. "SAME" survives once (first in file order:
        // intermediate file 0), "EVEN" once, "ODD" is dropped by the filter after the dedup.
        #expect(
            all == "f0.lines:1\tSAME\nf0.lines:2\tUNIQUE 0\nf0.lines:3\tEVEN\nf2.lines:2\tUNIQUE 2\n"
                + "f1.lines:2\tUNIQUE 1\nf3.lines:2\tUNIQUE 3\n")
        #expect(try String(contentsOfFile: dir + "/out/unique-count.txt", encoding: .utf8) == "7\n")
        let report = try StatsReport.load(outputDirectory: dir + "/out")
        #expect(report.passes.map(\.pass) == plan.passes.map(\.name))
        let last = report.passes[3].stages
        #expect(last.map(\.name) == ["lines", "test_dedup", "drop_word", "write"])
        #expect(last[1].drops == ["test_dedup:duplicate": 5])
        #expect(last[2].drops == ["drop_word:word": 1])
        #expect(report.passes[1].stages[0].counters == ["documents_hashed": 12])
        // Running only one pass requires the earlier ones.
        #expect(try LocalExecutor().run(plan, only: 2).tasksRun == 0)
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

    @Test func statsRecordDocumentsBytesAndDrops() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 2) { i in ["keep \(i)", "drop \(i)", "x"] }
        let p = try pipeline(
            "input: \(dir)/in/*.lines\noutput: \(dir)/out\nstages: [drop_word: {min_length: 2}, write]\n", in: dir)
        try LocalExecutor(workers: 2).run(try PipelinePlan(pipeline: p, registry: engineTestRegistry))
        let report = try StatsReport.load(outputDirectory: dir + "/out")
        #expect(report.passes.count == 1)
        #expect(report.passes[0].tasksReported == 2)
        let s = report.passes[0].stages
        #expect(s[0].documentsOut == 6 && s[0].bytesOut == 2 * (6 + 6 + 1) && s[0].counters["files"] == 2)
        #expect(s[1].documentsIn == 6 && s[1].documentsOut == 2)
        #expect(s[1].drops == ["drop_word:word": 2, "drop_word:too_short": 2])
        #expect(s[2].documentsIn == 2 && s[2].bytesIn == 12)
        #expect(s[2].bytesOut == ("f0.lines:1\tkeep 0\n".utf8.count * 2))
        let decoded = try JSONDecoder().decode(StatsReport.self, from: Data(try report.json().utf8))
        #expect(decoded == report)
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

    @Test func badRecordsAreCountedAllButLoggedUpToALimit() throws {
        let context = TaskContext(
            taskIndex: 0, taskCount: 1, outputDirectory: "/o", temporaryDirectory: "/t", stageNames: ["r"])
        for i in 0..<100 { context.reportBadRecord("r:bad", file: "f", line: i, "broken") }
        #expect(context.stats.stages[0].errors == ["r:bad": 100])
    }
    @Test func corpusStageOverRealJSONLIntermediates() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        // Three inputs for four tasks: task 3 writes an empty intermediate file.
        let texts = [["same", "a"], ["b", "same", "a"], ["same"]]
        for (i, t) in texts.enumerated() {
            let lines = t.enumerated().map { "{\"id\":\"\(i)-\($0.offset)\",\"text\":\"\($0.element)\"}" }
            try (lines.joined(separator: "\n") + "\n").write(
                toFile: dir + "/in/\(i).jsonl", atomically: true, encoding: .utf8)
        }
        let registry = StageRegistry(CoreStages.all + [JSONLDedup.self])
        try
            "input: \(dir)/in/*.jsonl\noutput: \(dir)/out\ntasks: 4\nstages: [jsonl_dedup, write: {compression: none}]\n"
            .write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        let plan = try PipelinePlan(
            pipeline: try Pipeline.load(path: dir + "/p.yaml", registry: registry), registry: registry)
        #expect(plan.passes.map(\.name) == ["segment-0", "jsonl_dedup.decide", "segment-1"])
        try LocalExecutor(workers: 2).run(plan)
        #expect(FileManager.default.fileExists(atPath: dir + "/out/_work/segment-0/00003.jsonl.zst"))
        var kept: [String] = []
        for t in 0..<4 {
            let path = dir + "/out/0000\(t).jsonl"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            kept += text.split(separator: "\n").map { String($0.split(separator: "\"")[3]) }
        }
        #expect(kept == ["0-0", "0-1", "1-0"])
    }
}
