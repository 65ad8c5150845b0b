// The MLM objective end to end (issue 24, part 2): Pipelines/train-mlm.yaml trains from a fresh
// clone and resumes, its checkpoint carries [MASK] in tokenizer.json, `sluice eval` reports
// masked-token figures on text and shards (the same figures for the same seed), and `sluice
// generate` and the next-token tasks refuse the checkpoint with one clear line.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

@Suite(.serialized) struct MaskedLMCLITests {
    @Test func trainMLMPipelineEvaluateAndRefuseGeneration() throws {
        let dir = try ShippedPipelineTests.freshClone()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let quick = [
            "--set", "train.warmup=0", "--set", "train.eval_batches=1", "--set", "train.checkpoint_every=1",
            "--batch-size", "2",
        ]
        try ShippedPipelineTests.ok(
            ["train", "Pipelines/train-mlm.yaml", "--steps", "3", "--stop-after", "2"] + quick, in: dir)
        let resumed = try ShippedPipelineTests.ok(
            ["train", "Pipelines/train-mlm.yaml", "--steps", "3", "--resume"] + quick, in: dir)
        #expect(resumed.stdout.contains("\"steps\": 3"), "\(resumed.stdout)")
        let ckpt = dir + "/runs/train-mlm/latest"
        let cfg = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ckpt + "/config.json")))
                as? [String: Any])
        #expect(
            cfg["objective"] as? String == "mlm" && cfg["mask_token_id"] as? Int == 1000
                && cfg["vocab_size"] as? Int == 1001)
        let tok = try Tokenizer.load(path: ckpt + "/tokenizer.json")
        #expect(tok.specialTokens["[MASK]"] == 1000)

        // Masked-token figures on text, the same for the same seed, others for another seed.
        let text = ["eval", "--checkpoint", ckpt, "--text", "Fixtures/train/tinyshakespeare-16k.txt"]
        let e1 = try ShippedPipelineTests.ok(text, in: dir).stdout
        let e2 = try ShippedPipelineTests.ok(text + ["--threads", "1"], in: dir).stdout
        let e3 = try ShippedPipelineTests.ok(text + ["--mask-seed", "5"], in: dir).stdout
        let r = try #require(try JSONSerialization.jsonObject(with: Data(e1.utf8)) as? [String: Any])
        #expect(r["objective"] as? String == "mlm")
        #expect((r["masked"] as? Int ?? 0) > 100 && r["accuracy"] is Double && r["unigram_accuracy"] is Double, "\(e1)")
        #expect(e1 == e2 && e1 != e3)

        // On shards made by the data's tokenizer (the checkpoint's has [MASK] besides).
        try """
        input:
          paths: [Fixtures/train/tinyshakespeare-16k.txt]
          options:
            text: {split: paragraph}
        output: out/shards
        stages:
          - tokenize: {tokenizer: \(dir)/Fixtures/tokenize/bpe-udhr-1000.json, validation_fraction: 0.3}
        """.write(toFile: dir + "/shards.yaml", atomically: true, encoding: .utf8)
        try ShippedPipelineTests.ok(["run", "shards.yaml"], in: dir)
        let s = try ShippedPipelineTests.ok(["eval", "--checkpoint", ckpt, "--data", "out/shards"], in: dir).stdout
        #expect(s.contains("\"objective\": \"mlm\""), "\(s)")

        // Uses that need a causal model say so on one line.
        let gen = try CLI.sluice(["generate", "--checkpoint", ckpt, "--prompt", "ROMEO:"], in: dir)
        #expect(gen.status != 0)
        #expect(gen.stderr.hasPrefix("sluice: config error: sluice generate needs a causal model"), "\(gen.stderr)")
        #expect(gen.stderr.split(separator: "\n").count == 1)
        try "{\"text\": \"to be or not to be\"}\n".write(toFile: dir + "/l.jsonl", atomically: true, encoding: .utf8)
        let task = try CLI.sluice(["eval", "--checkpoint", ckpt, "--task", "lambada", "l.jsonl"], in: dir)
        #expect(task.status != 0 && task.stderr.contains("--task lambada needs a causal model"), "\(task.stderr)")
        let serve = try CLI.sluice(["serve", "--checkpoint", ckpt, "--port", "0"], in: dir)
        #expect(serve.status != 0 && serve.stderr.contains("sluice serve needs a causal model"), "\(serve.stderr)")
    }
}
