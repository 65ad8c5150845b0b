// `sluice finetune`, `sluice eval --task sft` and `sluice generate --chat` end to end: the
// shipped Pipelines/sft.yaml on a fresh clone (after train-tiny.yaml's fresh-clone steps), and
// configuration and data errors that name the file, line and key.
import Foundation
import SluiceTestSupport
import Testing

@Suite(.serialized) struct FineTuneCLITests {
    /// sft.yaml's header path: tokenize the fixture, pre-train (1 step), fine-tune, evaluate, chat.
    @Test func shippedSFTPipelineRunsOnAFreshClone() throws {
        let dir = try ShippedPipelineTests.freshClone()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ShippedPipelineTests.ok(
            [
                "run", "Pipelines/tokenize.yaml", "--input", "Fixtures/train/tinyshakespeare-16k.txt", "--output",
                "out/tokenize-text", "--set", "tokenize.validation_fraction=0.5",
            ], in: dir)
        try ShippedPipelineTests.ok(
            [
                "train", "Pipelines/train-tiny.yaml", "--steps", "1", "--batch-size", "1", "--set", "train.warmup=0",
                "--set", "train.eval_batches=1",
            ],
            in: dir)
        // Eight held-out conversations keep the (debug-build) validation and evaluation passes short.
        let held = try String(contentsOfFile: dir + "/Fixtures/sft/tatoeba-langid-heldout.jsonl", encoding: .utf8)
        try (held.split(separator: "\n").prefix(8).joined(separator: "\n") + "\n").write(
            toFile: dir + "/held8.jsonl", atomically: true, encoding: .utf8)
        let r = try ShippedPipelineTests.ok(
            [
                "finetune", "Pipelines/sft.yaml", "--steps", "1", "--set", "train.batch_size=1", "--set",
                "train.warmup=0",
                "--set", "sft.val=[held8.jsonl]",
            ], in: dir)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(summary["steps"] as? Int == 1)
        #expect((summary["added_tokens"] as? [String]) == ["<|system|>", "<|user|>", "<|assistant|>", "<|end|>"])
        #expect(((summary["train"] as? [String: Any])?["kept"] as? Int) == 803)
        #expect(summary["val_loss_before"] != nil && summary["val_loss"] != nil)
        for f in ["model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/runs/sft/latest/" + f), "missing \(f)")
        }
        let ev = try ShippedPipelineTests.ok(
            ["eval", "--checkpoint", "runs/sft/latest", "--task", "sft", "held8.jsonl", "--max-new-tokens", "2"],
            in: dir)
        let e = try #require(try JSONSerialization.jsonObject(with: Data(ev.stdout.utf8)) as? [String: Any])
        #expect(e["task"] as? String == "sft" && e["conversations"] as? Int == 8 && e["generated"] as? Int == 8)
        #expect((e["loss"] as? Double).map { $0 > 0 } == true && e["exact_match"] != nil)
        // The model before fine-tuning is measured the same way (markers added in memory).
        let ev0 = try ShippedPipelineTests.ok(
            [
                "eval", "--checkpoint", "runs/train-tiny/latest", "--task", "sft", "held8.jsonl", "--max-new-tokens",
                "1",
            ],
            in: dir)
        #expect(ev0.stderr.contains("<|end|>"), "\(ev0.stderr)")
        let g = try ShippedPipelineTests.ok(
            [
                "generate", "--checkpoint", "runs/sft/latest", "--chat", "--temperature", "0", "--max-tokens", "2",
                "--prompt", "Which language is this sentence in?\nЯ люблю тебя.",
            ],
            in: dir)
        #expect(!g.stdout.contains("<|"), "special tokens are not printed: \(g.stdout)")
        // Plain generate refuses --chat on a checkpoint without a template.
        let bad = try CLI.sluice(
            ["generate", "--checkpoint", "runs/train-tiny/latest", "--chat", "--prompt", "x"], in: dir)
        #expect(bad.status != 0 && bad.stderr.contains("chat template"), "\(bad.stderr)")
    }

    @Test func configurationAndDataErrorsNameFileLineAndKey() throws {
        let dir = try TestSupport.temporaryDirectory("sft-cli-errors")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = dir + "/data.jsonl"
        try """
        {"prompt": "a", "response": "b"}
        {"messages": [{"role": "user", "content": "x"}, {"role": "robot", "content": "y"}]}
        """.write(toFile: data, atomically: true, encoding: .utf8)
        func run(_ yaml: String) throws -> TestSupport.ProcessResult {
            try yaml.write(toFile: dir + "/ft.yaml", atomically: true, encoding: .utf8)
            return try CLI.sluice(["finetune", dir + "/ft.yaml"], in: dir)
        }
        let typo = try run("init_from: \(dir)/nowhere\nsft:\n  train: [\(data)]\n  pakc: true\n")
        #expect(
            typo.status != 0 && typo.stderr.contains("sft.pakc: unknown option") && typo.stderr.contains("ft.yaml:4"),
            "\(typo.stderr)")
        let noInit = try run("sft:\n  train: [\(data)]\n")
        #expect(noInit.status != 0 && noInit.stderr.contains("init_from is required"), "\(noInit.stderr)")
        let badRoles = try run("init_from: x\nsft:\n  train: [\(data)]\n  roles: {user: \"<|u|>\"}\n")
        #expect(
            badRoles.status != 0 && badRoles.stderr.contains("sft.roles") && badRoles.stderr.contains("'assistant'"),
            "\(badRoles.stderr)")
        // A real checkpoint, then the unknown role in the data: file and line.
        try FineTuneCLITests.tinyCheckpoint(dir + "/base")
        let role = try run(
            "init_from: \(dir)/base\nmodel: {context_length: 16}\nsft:\n  train: [\(data)]\ntrain: {steps: 1}\nout: \(dir)/run\n"
        )
        #expect(
            role.status != 0 && role.stderr.contains("'robot'") && role.stderr.contains("data.jsonl:2"),
            "\(role.stderr)")
    }

    /// A 1-step pre-trained checkpoint with the UDHR tokenizer, through `sluice train` on text.
    static func tinyCheckpoint(_ out: String) throws {
        let cfg = out + ".yaml"
        try """
        model: {context_length: 16, layers: 1, heads: 2, width: 16}
        data: {text: [\(TestSupport.fixture("tokenize/udhr-multilingual.txt"))], tokenizer: \(TestSupport.fixture("tokenize/bpe-udhr-1000.json"))}
        train: {batch_size: 2, steps: 1, warmup: 0, eval_batches: 1}
        out: \(out)-run
        """.write(toFile: cfg, atomically: true, encoding: .utf8)
        let r = try TestSupport.run(try TestSupport.sluiceBinary(), ["train", cfg])
        #expect(r.status == 0, "\(r.stderr)")
        try FileManager.default.createSymbolicLink(atPath: out, withDestinationPath: out + "-run/latest")
    }
}
