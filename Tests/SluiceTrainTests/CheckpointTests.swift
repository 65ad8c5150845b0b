// Checkpoint: a checkpoint reads back bit-exactly, missing tensors are a clear error, and a
// config.json whose n_embd overflows the n_inner check (found by `make fuzz`, fuzz-checkpoint-config) is a
// config error, not an arithmetic trap.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceTrain

@Suite struct CheckpointTests {
    @Test(arguments: ["6000000000000000000", "-6000000000000000000", "9223372036854775807"])
    func hugeWidthWithInnerIsConfigError(_ width: String) {
        let json =
            #"{"n_ctx": 255, "n_embd": \#(width), "n_inner": 393, "vocab_size": 10, "n_positions": 8, "n_layer": 1, "n_head": 1}"#
        #expect {
            _ = try GPTConfig.fromHuggingFace(Data(json.utf8), file: "config.json")
        } throws: { e in
            (e as? SluiceError)?.code == .config && "\(e)".contains("n_inner")
        }
    }

    @Test func checkpointReadsBackBitExactly() throws {
        let dir = try TestSupport.temporaryDirectory("ckpt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try GPT(
            config: GPTConfig(vocabSize: 40, contextLength: 12, layers: 2, heads: 2, width: 16, eosTokenID: 0))
        model.initialize(seed: 3)
        var opt = AdamW(parameterCount: model.params.count)
        opt.m = randomFloats(model.params.count, seed: 1)
        opt.v = randomFloats(model.params.count, seed: 2).map { abs($0) }
        opt.step = 17
        try Checkpoint.save(model: model, to: dir + "/c", optimizer: opt, trainerState: ["step": 17])
        let back = try Checkpoint.load(dir + "/c")
        #expect(back.config == model.config)
        #expect(back.params.map(\.bitPattern) == model.params.map(\.bitPattern))
        let o2 = try Checkpoint.loadOptimizer(dir + "/c", parameterCount: model.params.count)
        #expect(o2.m == opt.m && o2.v == opt.v && o2.step == 17)
        // The config is Hugging Face's GPT-2 layout.
        let cfg =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/c/config.json")))
            as! [String: Any]
        #expect(cfg["model_type"] as? String == "gpt2")
        #expect(cfg["activation_function"] as? String == "gelu_new")
        #expect(cfg["n_embd"] as? Int == 16)
        let (tensors, _) = try Safetensors.read(path: dir + "/c/model.safetensors")
        #expect(tensors["h.1.attn.c_attn.weight"]?.shape == [16, 48])
        #expect(tensors["h.0.mlp.c_proj.weight"]?.shape == [64, 16])
        #expect(tensors["ln_f.bias"]?.shape == [16])
    }

    @Test func checkpointWithMissingTensorsIsAClearError() throws {
        let dir = try TestSupport.temporaryDirectory("ckpt-missing")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try GPT(config: GPTConfig(vocabSize: 20, contextLength: 8, layers: 2, heads: 2, width: 8))
        model.initialize(seed: 1)
        try Checkpoint.save(model: model, to: dir + "/c")
        // Rewrite the weights without block 1's MLP projection.
        let kept = model.layout.tensors.filter { !$0.name.hasPrefix("h.1.mlp.c_proj") }
        try Safetensors.write(
            path: dir + "/c/model.safetensors", tensors: kept.map { ($0.name, $0.shape, $0.range) }, data: model.params)
        #expect {
            _ = try Checkpoint.load(dir + "/c")
        } throws: { e in
            "\(e)".contains("missing tensors: h.1.mlp.c_proj.weight, h.1.mlp.c_proj.bias")
        }
        // And training from it fails before a step is taken.
        var o = tinyOptions(out: dir + "/run")
        o.initFrom = dir + "/c"
        #expect(throws: (any Error).self) {
            _ = try Trainer(
                options: o, train: ArrayTokenStream(repeatingTokens(200).map { $0 % 20 }, vocabSize: 20), val: nil,
                tokenizerPath: nil)
        }
    }
}
