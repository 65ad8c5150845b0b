// PipelinePlan: a corpus stage splits the pipeline into passes, run over the
// intermediate JSONL files of the segment before it.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite(.serialized) struct PipelinePlanTests {
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
