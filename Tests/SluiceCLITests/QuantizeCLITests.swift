// `sluice quantize` end to end: a model trained by `sluice train` on the Shakespeare fixture is
// pruned and quantized; `sluice eval` and `sluice generate` read the INT8 folder; bad inputs fail
// with one clear line.
import Foundation
import SluiceTestSupport
import Testing

@Suite(.serialized) struct QuantizeCLITests {
    static func json(_ s: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any], "not JSON: \(s)")
    }

    @Test func quantizeThenEvalAndGenerate() throws {
        let dir = try TestSupport.temporaryDirectory("quantize-cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sluice = try TestSupport.sluiceBinary()
        try TrainCLITests.makeShards(dir)
        let cfg = try TrainCLITests.writeConfig(dir)
        let train = try TestSupport.run(sluice, ["train", cfg])
        try #require(train.status == 0, "train failed: \(train.stderr)")
        let text = TestSupport.fixture("train/tinyshakespeare-16k.txt")

        let q = try TestSupport.run(
            sluice,
            [
                "quantize", "--checkpoint", dir + "/run/latest", "--out", dir + "/int8", "--prune", "0.3",
                "--eval-text", text,
            ])
        try #require(q.status == 0, "quantize failed: \(q.stderr)")
        let s = try Self.json(q.stdout)
        #expect(s["bits"] as? Int == 8)
        let sparsity = try #require(s["pruned_sparsity"] as? Double)
        // ⌊0.3·n⌋ weights per matrix, plus any that round to zero.
        #expect(sparsity > 0.299 && sparsity < 0.5, "pruned sparsity \(sparsity)")
        let f32 = try #require(s["bits_per_byte_f32"] as? Double),
            int8 = try #require(s["bits_per_byte_int8"] as? Double)
        #expect(abs(int8 - f32) / f32 < 0.05, "pruned 30 % + INT8: \(int8) vs \(f32)")
        let bytes = try #require(s["int8_bytes"] as? Int), f32Bytes = try #require(s["f32_bytes"] as? Int)
        #expect(bytes < f32Bytes / 2)
        for f in ["config.json", "model.safetensors", "tokenizer.json"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/int8/" + f), "\(f) missing")
        }
        let config = try String(contentsOfFile: dir + "/int8/config.json", encoding: .utf8)
        #expect(config.contains("\"quant_method\" : \"sluice_int8\""))

        // `sluice eval` of the folder reproduces the INT8 figure quantize printed.
        let ev = try TestSupport.run(sluice, ["eval", "--checkpoint", dir + "/int8", "--text", text])
        try #require(ev.status == 0, "eval failed: \(ev.stderr)")
        #expect(try Self.json(ev.stdout)["bits_per_byte"] as? Double == int8)

        let gen = try TestSupport.run(
            sluice,
            [
                "generate", "--checkpoint", dir + "/int8", "--prompt", "ROMEO:", "--max-tokens", "12", "--temperature",
                "0",
            ])
        try #require(gen.status == 0, "generate failed: \(gen.stderr)")
        #expect(gen.stdout.hasPrefix("ROMEO:") && gen.stdout.count > "ROMEO:\n".count)

        let speed = try TestSupport.run(
            sluice, ["dev", "decode-speed", "--checkpoint", dir + "/int8", "--prompt-tokens", "4", "--tokens", "8"])
        try #require(speed.status == 0, "decode-speed failed: \(speed.stderr)")
        let sp = try Self.json(speed.stdout)
        #expect(sp["quantized"] as? Bool == true && sp["weight_bytes"] as? Int == bytes)

        // Bad input: one line each, nothing written.
        func fails(_ args: [String], status: Int32, _ needle: String) throws {
            let r = try TestSupport.run(sluice, ["quantize"] + args)
            #expect(r.status == status, "\(args): status \(r.status), stderr \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
        let base = ["--checkpoint", dir + "/run/latest", "--out", dir + "/bad"]
        try fails(base + ["--bits", "4"], status: 64, "--bits 4 is not supported")
        try fails(base + ["--prune", "1"], status: 64, "--prune must be in [0, 1)")
        try fails(base + ["--prune=-0.5"], status: 64, "--prune must be in [0, 1)")
        try fails(
            ["--checkpoint", dir + "/shards", "--out", dir + "/bad"], status: 1,
            "not a checkpoint folder (no config.json)")
        try fails(["--checkpoint", dir + "/int8", "--out", dir + "/bad"], status: 1, "already quantized")
        #expect(!FileManager.default.fileExists(atPath: dir + "/bad"))
        let one = try TestSupport.run(sluice, ["quantize", "--checkpoint", dir + "/int8", "--out", dir + "/bad"])
        #expect(one.stderr.split(separator: "\n").count == 1, "not one line: \(one.stderr)")
    }
}
