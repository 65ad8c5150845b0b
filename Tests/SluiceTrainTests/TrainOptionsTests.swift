// TrainOptions: the shipped train-tiny.yaml parses; configuration files are strict.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceTrain

@Suite struct TrainOptionsTests {
    @Test func trainTinyPipelineParses() throws {
        let path = TestSupport.packageRoot + "/Pipelines/train-tiny.yaml"
        let o = try TrainOptions.load(yaml: try String(contentsOfFile: path, encoding: .utf8), file: path)
        #expect(o.width % o.heads == 0)
        let params = o.modelConfig(vocab: 4096, eos: 0).parameterCount
        #expect(params > 8_000_000 && params < 12_000_000, "\(params) parameters is not ~10M")
    }

    @Test func configFileIsStrict() throws {
        let yaml = "model:\n  layers: 2\n  widht: 64\ntrain:\n  steps: 5\n"
        #expect {
            _ = try TrainOptions.load(yaml: yaml, file: "run.yaml")
        } throws: { e in
            "\(e)".contains("model.widht: unknown option") && "\(e)".contains("run.yaml")
        }
        let ok = try TrainOptions.load(
            yaml: "model: {layers: 3, heads: 2, width: 64}\ntrain: {steps: 5}\nout: runs/x\n", file: "run.yaml",
            overrides: [("train.steps", "7"), ("out", "runs/y")])
        #expect(ok.layers == 3 && ok.steps == 7 && ok.out == "runs/y")
    }
}
