// Interop with the Hugging Face GPT-2 layout, checked against an independent numpy GPT-2
// forward (Benchmarks/train/gpt2_reference.py, written from transformers' modeling_gpt2.py with
// its own safetensors parser): our checkpoints give the same logits there, and a checkpoint laid
// out as transformers' save_pretrained writes it loads here and gives the same logits.
// (PyTorch is not installed for the tests: its PyPI wheel is the ~2 GB CUDA build.)
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceTrain

@Suite struct InteropTests {
    func referenceLogits(_ dir: String, _ ids: [Int32]) throws -> [[Double]] {
        let script = TestSupport.packageRoot + "/Benchmarks/train/gpt2_reference.py"
        let r = try TestSupport.run(
            try TestSupport.python(), [script, "logits", dir, ids.map(String.init).joined(separator: " ")])
        #expect(r.status == 0, "reference failed: \(r.stderr)")
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [[Double]]
    }

    func model() throws -> GPT {
        let m = try GPT(
            config: GPTConfig(vocabSize: 64, contextLength: 16, layers: 2, heads: 4, width: 32, eosTokenID: 0))
        m.initialize(seed: 21)
        // Move away from the init (unit gains, zero biases) so every tensor matters.
        var r = SplitMix64(seed: 22)
        for i in 0..<m.params.count { m.params[i] += Float(r.nextGaussian() * 0.05) }
        return m
    }

    @Test func ourCheckpointGivesTheReferenceLogits() throws {
        let dir = try TestSupport.temporaryDirectory("interop")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = try model()
        try Checkpoint.save(model: m, to: dir + "/ckpt")
        let ids: [Int32] = [3, 17, 63, 0, 5, 5, 40, 22, 9, 1]
        let want = try referenceLogits(dir + "/ckpt", ids)
        m.forward(tokens: ids, targets: nil, B: 1, T: ids.count)
        var worst = 0.0
        for t in 0..<ids.count {
            let row = m.lastRow(t)
            for v in 0..<64 { worst = max(worst, abs(Double(row[v]) - want[t][v])) }
        }
        #expect(worst < 1e-4, "largest logit difference \(worst)")
    }

    @Test func huggingFaceLayoutLoads() throws {
        let dir = try TestSupport.temporaryDirectory("interop-hf")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = try model()
        try Checkpoint.save(model: m, to: dir + "/ours")
        try FileManager.default.createDirectory(atPath: dir + "/hf", withIntermediateDirectories: true)
        let script = TestSupport.packageRoot + "/Benchmarks/train/gpt2_reference.py"
        let r = try TestSupport.run(try TestSupport.python(), [script, "write-hf", dir + "/ours", dir + "/hf"])
        #expect(r.status == 0, "\(r.stderr)")
        let back = try Checkpoint.load(dir + "/hf")
        #expect(back.params == m.params)
    }
}
