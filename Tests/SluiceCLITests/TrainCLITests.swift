// `sluice train`, `sluice eval` and `sluice generate` end to end on real shards: a fixture is
// tokenized by the pipeline's train_tokenizer + tokenize stages, a tiny model is trained,
// resumed, evaluated with 1 and 2 threads, sampled; bad inputs fail before training.
import Foundation
import SluiceTestSupport
import Testing

@Suite(.serialized) struct TrainCLITests {
    /// Shards of the Shakespeare fixture with a byte-level BPE of `vocab`, in `dir/shards`.
    static func makeShards(_ dir: String, name: String = "shards", vocab: Int = 300) throws {
        let yaml = """
            input:
              paths: [\(TestSupport.fixture("train/tinyshakespeare-16k.txt"))]
              options:
                text: {split: paragraph}
            output: \(dir)/\(name)
            stages:
              - train_tokenizer: {vocab_size: \(vocab)}
              - tokenize: {validation_fraction: 0.1}
            """
        try yaml.write(toFile: dir + "/\(name).yaml", atomically: true, encoding: .utf8)
        let r = try TestSupport.run(try TestSupport.sluiceBinary(), ["run", dir + "/\(name).yaml"])
        #expect(r.status == 0, "tokenize pipeline failed: \(r.stderr)")
    }

    static func writeConfig(_ dir: String) throws -> String {
        let cfg = dir + "/run.yaml"
        try """
        model: {context_length: 16, layers: 2, heads: 2, width: 16}
        data: {train: [\(dir)/shards]}
        train: {batch_size: 4, steps: 8, lr: 3.0e-3, warmup: 2, eval_every: 4, checkpoint_every: 4, eval_batches: 2}
        out: \(dir)/run
        """.write(toFile: cfg, atomically: true, encoding: .utf8)
        return cfg
    }

    @Test func trainEvalGenerateResume() throws {
        let dir = try TestSupport.temporaryDirectory("train-cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sluice = try TestSupport.sluiceBinary()
        try Self.makeShards(dir)
        let cfg = try Self.writeConfig(dir)

        let full = try TestSupport.run(sluice, ["train", cfg])
        #expect(full.status == 0, "\(full.stderr)")
        #expect(full.stdout.contains("\"steps\": 8"))
        #expect(full.stderr.contains("MFU"))
        for f in [
            "metrics.jsonl", "loss.svg", "latest/model.safetensors", "latest/config.json", "latest/tokenizer.json",
            "latest/optimizer.safetensors",
        ] {
            #expect(FileManager.default.fileExists(atPath: dir + "/run/" + f), "missing \(f)")
        }

        // Killed after 5 steps (checkpoint at 4), resumed: the same final loss.
        let part = try TestSupport.run(sluice, ["train", cfg, "--out", dir + "/run-b", "--stop-after", "5"])
        #expect(part.status == 0, "\(part.stderr)")
        let resumed = try TestSupport.run(sluice, ["train", cfg, "--out", dir + "/run-b", "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let finalLoss = { (s: String) in s.split(separator: ",").first { $0.contains("final_loss") } }
        #expect(finalLoss(resumed.stdout) != nil && finalLoss(resumed.stdout) == finalLoss(full.stdout))

        // SIGKILL once the first checkpoint exists, then resume: still the uninterrupted losses. The
        // run is long (400 steps) so that it is still running when the kill comes (8 steps of this
        // model can finish within one poll of the checkpoint file).
        let long = ["--steps", "400"]
        let uninterrupted = try TestSupport.run(sluice, ["train", cfg, "--out", dir + "/run-d"] + long)
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")
        let killed = Process()
        killed.executableURL = URL(fileURLWithPath: sluice)
        killed.arguments = ["train", cfg, "--out", dir + "/run-c"] + long
        killed.standardError = FileHandle.nullDevice
        killed.standardOutput = FileHandle.nullDevice
        try killed.run()
        let deadline = Date().addingTimeInterval(120)
        while killed.isRunning && !FileManager.default.fileExists(atPath: dir + "/run-c/latest/trainer_state.json")
            && Date() < deadline
        {
            usleep(20_000)
        }
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        #expect(killed.terminationReason == .uncaughtSignal, "the run finished before it was killed")
        let after = try TestSupport.run(sluice, ["train", cfg, "--out", dir + "/run-c", "--resume"] + long)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(
            finalLoss(after.stdout) != nil && finalLoss(after.stdout) == finalLoss(uninterrupted.stdout),
            "killed and resumed: \(after.stdout) vs \(uninterrupted.stdout)")

        // Eval: identical figures with 1 and 2 threads, and on every run.
        let text = TestSupport.fixture("train/tinyshakespeare-16k.txt")
        let e1 = try TestSupport.run(
            sluice, ["eval", "--checkpoint", dir + "/run/latest", "--text", text, "--threads", "1"])
        let e2 = try TestSupport.run(
            sluice, ["eval", "--checkpoint", dir + "/run/latest", "--text", text, "--threads", "2"])
        #expect(e1.status == 0, "\(e1.stderr)")
        #expect(e1.stdout == e2.stdout)
        let obj = try JSONSerialization.jsonObject(with: Data(e1.stdout.utf8)) as! [String: Any]
        #expect((obj["tokens"] as! Int) > 1000)
        #expect((obj["bits_per_byte"] as! Double) > 0)
        let ed = try TestSupport.run(sluice, ["eval", "--checkpoint", dir + "/run/latest", "--data", dir + "/shards"])
        #expect(ed.status == 0 && ed.stdout.contains("\"perplexity\""), "\(ed.stderr)")

        // Generate: seeded.
        let g = [
            "generate", "--checkpoint", dir + "/run/latest", "--prompt", "ROMEO:", "--max-tokens", "12", "--seed", "5",
        ]
        let g1 = try TestSupport.run(sluice, g), g2 = try TestSupport.run(sluice, g)
        #expect(g1.status == 0, "\(g1.stderr)")
        #expect(g1.stdout == g2.stdout && g1.stdout.hasPrefix("ROMEO:"))
    }

    @Test func badInputFailsBeforeTraining() throws {
        let dir = try TestSupport.temporaryDirectory("train-cli-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sluice = try TestSupport.sluiceBinary()
        try Self.makeShards(dir)
        try Self.makeShards(dir, name: "other", vocab: 280)
        let cfg = try Self.writeConfig(dir)

        let heads = try TestSupport.run(sluice, ["train", cfg, "--set", "model.heads=3"])
        #expect(heads.status != 0)
        #expect(heads.stderr.contains("width 16 is not divisible by heads 3"))

        let tok = try TestSupport.run(sluice, ["train", cfg, "--set", "data.tokenizer=\(dir)/other/tokenizer.json"])
        #expect(tok.status != 0)
        #expect(tok.stderr.contains("tokenizer fingerprint mismatch"))

        let val = try TestSupport.run(sluice, ["train", cfg, "--set", "data.val=[\(dir)/other]"])
        #expect(val.status != 0)
        #expect(val.stderr.contains("fingerprint"))

        let typo = try TestSupport.run(sluice, ["train", cfg, "--set", "train.stpes=3"])
        #expect(typo.status != 0 && typo.stderr.contains("train.stpes: unknown option"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/run"), "a failed start must not create the run folder")

        let resume = try TestSupport.run(sluice, ["train", cfg, "--resume"])
        #expect(resume.status != 0 && resume.stderr.contains("nothing to resume"))

        // --init-from a checkpoint whose tokenizer did not make the shards: an error naming both.
        let base = try TestSupport.run(sluice, ["train", cfg, "--steps", "2"])
        #expect(base.status == 0, "\(base.stderr)")
        let other = try TestSupport.run(
            sluice,
            [
                "train", cfg, "--set", "data.train=[\(dir)/other]", "--init-from", dir + "/run/latest",
                "--out", dir + "/run-other",
            ])
        #expect(other.status != 0)
        let named =
            "the checkpoint \(dir)/run/latest was trained with another tokenizer than the data \(dir)/other/train"
        #expect(other.stderr.contains(named), "\(other.stderr)")
        #expect(other.stderr.split(separator: "\n").count == 1, "one line: \(other.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/run-other/checkpoints"))
        // The same checkpoint on its own shards is fine.
        let same = try TestSupport.run(
            sluice, ["train", cfg, "--init-from", dir + "/run/latest", "--out", dir + "/run-same", "--steps", "2"])
        #expect(same.status == 0, "\(same.stderr)")
    }

    /// Shards tokenized with a tokenizer.json outside their output folder carry a copy of it, so a
    /// checkpoint trained on them has a tokenizer.json and `sluice eval` accepts it.
    @Test func shardsTokenizedWithAnOutsideTokenizerCarryIt() throws {
        let dir = try TestSupport.temporaryDirectory("train-cli-outside-tok")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sluice = try TestSupport.sluiceBinary()
        try Self.makeShards(dir, name: "tok")
        try FileManager.default.createDirectory(atPath: dir + "/elsewhere", withIntermediateDirectories: true)
        try FileManager.default.moveItem(
            atPath: dir + "/tok/tokenizer.json", toPath: dir + "/elsewhere/my-tokenizer.json")
        try """
        input:
          paths: [\(TestSupport.fixture("train/tinyshakespeare-16k.txt"))]
          options:
            text: {split: paragraph}
        output: \(dir)/shards
        stages:
          - tokenize: {tokenizer: \(dir)/elsewhere/my-tokenizer.json, validation_fraction: 0.1}
        """.write(toFile: dir + "/tokenize.yaml", atomically: true, encoding: .utf8)
        let r = try TestSupport.run(sluice, ["run", dir + "/tokenize.yaml"])
        #expect(r.status == 0, "\(r.stderr)")
        let carried = FileManager.default.contents(atPath: dir + "/shards/tokenizer.json")
        #expect(carried != nil && carried == FileManager.default.contents(atPath: dir + "/elsewhere/my-tokenizer.json"))

        let cfg = try Self.writeConfig(dir)
        let t = try TestSupport.run(sluice, ["train", cfg, "--steps", "2"])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(FileManager.default.contents(atPath: dir + "/run/latest/tokenizer.json") == carried)
        let text = TestSupport.fixture("train/tinyshakespeare-16k.txt")
        let e = try TestSupport.run(sluice, ["eval", "--checkpoint", dir + "/run/latest", "--text", text])
        #expect(e.status == 0 && e.stdout.contains("bits_per_byte"), "\(e.stderr)")
    }
}
