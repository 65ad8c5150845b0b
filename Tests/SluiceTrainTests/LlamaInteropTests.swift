// Llama-compatible architectures (RoPE, RMSNorm, SwiGLU) are written in Hugging Face's Llama layout:
// an independent numpy Llama forward (Benchmarks/train/llama_reference.py, written from
// transformers' modeling_llama.py) gives our logits on them; transformers' own LlamaForCausalLM is
// compared in the benchmark run, where torch is installed. Other combinations stay Sluice-only.
import SluiceCore
import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceTrain

@Suite struct LlamaInteropTests {
    func model(tied: Bool, bias: Bool) throws -> GPT {
        var c = GPTConfig(vocabSize: 64, contextLength: 16, layers: 2, heads: 4, width: 32, eosTokenID: 0)
        c.positions = .rope
        c.ropeTheta = 1000
        c.norm = .rmsnorm
        c.mlp = .swiglu
        c.tieEmbeddings = tied
        c.bias = bias
        let m = try GPT(config: c)
        m.initialize(seed: 31)
        var r = SplitMix64(seed: 32)
        for i in 0..<m.params.count { m.params[i] += Float(r.nextGaussian() * 0.05) }
        return m
    }

    @Test(arguments: [(false, false), (true, true)])
    func llamaCheckpointGivesTheReferenceLogits(tied: Bool, bias: Bool) throws {
        let dir = try TestSupport.temporaryDirectory("interop-llama")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = try model(tied: tied, bias: bias)
        try Checkpoint.save(model: m, to: dir + "/ckpt")
        let cfg = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/ckpt/config.json")))
                as? [String: Any])
        #expect(cfg["model_type"] as? String == "llama" && cfg["architectures"] as? [String] == ["LlamaForCausalLM"])
        let ids: [Int32] = [3, 17, 63, 0, 5, 5, 40, 22, 9, 1, 2, 8]
        let script = TestSupport.packageRoot + "/Benchmarks/train/llama_reference.py"
        let r = try TestSupport.run(
            try TestSupport.python(), [script, "logits", dir + "/ckpt", ids.map(String.init).joined(separator: " ")])
        #expect(r.status == 0, "reference failed: \(r.stderr)")
        let want = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [[Double]]
        m.forward(tokens: ids, targets: nil, B: 1, T: ids.count)
        var worst = 0.0
        for t in 0..<ids.count {
            let row = m.lastRow(t)
            for v in 0..<64 { worst = max(worst, abs(Double(row[v]) - want[t][v])) }
        }
        #expect(worst < 1e-4, "largest logit difference \(worst)")
        // And it reads back (through the Llama names) to the same parameters.
        let back = try Checkpoint.load(dir + "/ckpt")
        #expect(back.config == m.config && back.params == m.params)
        // `sluice eval --logits` prints these rows.
        let rows =
            try JSONSerialization.jsonObject(with: Data(try Evaluator(model: back).logitsJSON(ids: ids).utf8))
            as! [[Double]]
        #expect(rows.count == ids.count && rows[4].count == 64 && abs(rows[4][7] - Double(m.lastRow(4)[7])) < 1e-6)
    }

    @Test func otherCombinationsStaySluiceOnly() throws {
        for name in ["rope+rmsnorm+relu2", "rope+rmsnorm+swiglu+qk_norm", "rope+rmsnorm+swiglu+softcap"] {
            #expect(!modernConfig(name).isLlamaCompatible, "\(name)")
            #expect(modernConfig(name).huggingFaceJSON()["model_type"] as? String == "sluice_gpt")
        }
        #expect(modernConfig("llama").isLlamaCompatible)
    }

    @Test func logitsRejectBadIDs() throws {
        let m = try model(tied: true, bias: false)
        #expect { try Evaluator(model: m).logitsJSON(ids: [1, 64]) } throws: {
            "\($0)".contains("outside the vocabulary")
        }
        #expect { try Evaluator(model: m).logitsJSON(ids: []) } throws: { "\($0)".contains("needs 1…16 ids") }
    }
}
