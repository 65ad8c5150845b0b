// Pipeline files (Engine/Pipeline, StageOptions, StageRegistry) with the test stages of
// EngineTestSupport.swift: stages, options and defaults; unknown keys, options, values and stages named
// with file and line; a missing input; --set overrides.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite(.serialized) struct PipelineTests {
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
}
