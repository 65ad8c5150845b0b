// `sluice finetune`: instruction tuning of a checkpoint on conversations (SluiceTrain/FineTune).
// `sluice generate --chat` and `sluice eval --task sft` live with their commands in TrainCommands.swift.
import ArgumentParser
import Foundation
import SluiceCore
import SluiceTrain

struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Instruction-tune a checkpoint on chat or prompt/response JSONL (loss on assistant tokens).",
        discussion: """
            CONFIG is a training file (model, train, out) with init_from (the checkpoint to start from: \
            Sluice's or Hugging Face GPT-2's) and an sft section (train, val, roles, end_of_turn, pack, \
            new_token_init; see Pipelines/sft.yaml and docs/finetune.md). The chat markers are added to the \
            tokenizer as special tokens; checkpoints carry tokenizer.json and a tokenizer_config.json with \
            the Jinja chat_template.
            """)

    @Argument(help: "Fine-tuning configuration (YAML).") var config: String
    @Option(name: .customLong("set"), help: "Override a setting: section.key=value (e.g. sft.pack=false). Repeatable.")
    var sets: [String] = []
    @Option(help: "Run folder (out).") var out: String?
    @Option(help: "Optimizer steps (train.steps).") var steps: Int?
    @Option(help: "Peak learning rate (train.lr).") var lr: Double?
    @Option(help: "Threads for kernels and OpenBLAS (train.threads).") var threads: Int?
    @Option(help: "Start from this checkpoint folder (init_from).") var initFrom: String?

    func run() throws {
        try reportingErrors {
            var (text, overrides) = try readRunConfiguration(config, kind: "fine-tuning", sets: sets)
            if let out { overrides.append(("out", out)) }
            if let steps { overrides.append(("train.steps", String(steps))) }
            if let lr { overrides.append(("train.lr", String(lr))) }
            if let threads { overrides.append(("train.threads", String(threads))) }
            if let initFrom { overrides.append(("init_from", initFrom)) }
            let options = try FineTuneOptions.load(yaml: text, file: config, overrides: overrides)
            let tuner = try FineTuner(options, log: stderrLine)
            let records = try tuner.run()
            var summary: JSONObject = [
                "steps": .int(Int64(records.last?.step ?? 0)),
                "final_loss": records.last.map { JSONValue.double($0.loss) } ?? .null,
            ]
            if let v = tuner.validation.first { summary["val_loss_before"] = .double(v.loss) }
            if let v = tuner.validation.last { summary["val_loss"] = .double(v.loss) }
            summary["added_tokens"] = .array(tuner.addedTokens.map { .string($0) })
            summary["train"] = .object(tuner.trainCounts.json)
            if !options.sft.val.isEmpty { summary["val"] = .object(tuner.valCounts.json) }
            summary["checkpoint"] = .string(options.train.out + "/latest")
            print(JSONSerializer.spacedString(.object(summary)))
        }
    }
}
