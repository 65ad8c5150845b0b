// The `sft` section of a fine-tuning file (the rest is a training file, read by `TrainOptions`):
//
//   init_from: runs/train-tiny/latest      # required: Sluice's checkpoint or Hugging Face GPT-2's
//   sft:
//     train: [Fixtures/sft/tatoeba-langid-train.jsonl]
//     val: [Fixtures/sft/tatoeba-langid-heldout.jsonl]
//     roles: {system: "<|system|>", user: "<|user|>", assistant: "<|assistant|>"}
//     end_of_turn: "<|end|>"
//     pack: true
import Foundation
import SluiceCore

/// What `sluice finetune` reads from the `sft` section.
public struct SFTOptions: Sendable {
    /// JSONL files of conversations (`.gz` / `.zst` allowed).
    public var train: [String] = []
    /// Held-out conversations for the validation loss (none: no validation).
    public var val: [String] = []
    /// Role markers and the end-of-turn marker.
    public var template = ChatTemplate.standard
    /// Pack several conversations per window (segment-masked); false: one per window.
    public var pack = true
    /// How new token rows (the markers) start: `mean` of the existing rows, or `normal` N(0, 0.02).
    public var newTokenInit = "mean"

    public init() {}
}

/// A fine-tuning run's settings: the training settings plus the `sft` section.
public struct FineTuneOptions {
    public var train: TrainOptions
    public var sft: SFTOptions

    /// Reads a YAML fine-tuning file; overrides are `section.key` (`sft.pack`, `train.steps`).
    /// - Throws: config errors naming the file, line and key (unknown keys too).
    public static func load(yaml text: String, file: String?, overrides: [(String, String)] = []) throws
        -> FineTuneOptions
    {
        let root = try ConfigValue.parseYAML(text, file: file)
        guard let top = root.mapValue else {
            throw SluiceError(.config, "a fine-tuning file is a YAML map", file: file)
        }
        var rest: [(key: String, value: ConfigValue)] = []
        var sftValues: [(key: String, value: ConfigValue)] = []
        var sftLine = 0
        for (k, v) in top {
            if k == "sft" {
                guard let m = v.mapValue else {
                    throw SluiceError(.config, "'sft' must be a map", file: file, line: v.line)
                }
                sftValues = m
                sftLine = v.line
            } else {
                rest.append((k, v))
            }
        }
        var sftOverrides: [(String, String)] = [], trainOverrides: [(String, String)] = []
        for (k, v) in overrides {
            if k.hasPrefix("sft.") {
                sftOverrides.append((String(k.dropFirst(4)), v))
            } else {
                trainOverrides.append((k, v))
            }
        }
        let train = try TrainOptions.load(
            root: .map(rest, line: root.line), file: file, overrides: trainOverrides, defaultRecipe: .gpt2)
        guard train.trainData.isEmpty, train.textData.isEmpty, train.valData.isEmpty else {
            throw SluiceError(
                .config,
                "data.train, data.text and data.val are for pre-training; fine-tuning reads sft.train and sft.val",
                file: file)
        }
        guard train.initFrom != nil else {
            throw SluiceError(
                .config,
                "init_from is required: the checkpoint folder to fine-tune (Sluice's, or Hugging Face GPT-2's)",
                file: file)
        }
        if train.optimizer != "adamw" {
            throw SluiceError(.config, "train.optimizer: fine-tuning uses adamw", file: file)
        }
        if train.embeddingLR != nil || train.headLR != nil {
            throw SluiceError(
                .config, "train.embedding_lr and train.head_lr are not used by fine-tuning (one lr for all)", file: file
            )
        }
        var s = StageOptions(stageName: "sft", values: sftValues, file: file, line: sftLine)
        for (k, v) in sftOverrides { try s.override(k, yaml: v) }
        var o = SFTOptions()
        o.train = try s.stringList(
            "train", default: [], "JSONL files of {prompt, response} or {messages: [{role, content}]} (.gz/.zst)")
        if o.train.isEmpty { throw s.error("train", "give at least one JSONL file") }
        o.val = try s.stringList("val", default: [], "held-out JSONL files for the validation loss")
        var template = ChatTemplate.standard
        if let r = s.raw(
            "roles", type: "map", default: "{system: <|system|>, user: <|user|>, assistant: <|assistant|>}",
            "role → marker (special token)")
        {
            guard let m = r.mapValue, !m.isEmpty else { throw s.error("roles", "expected a map of role: marker") }
            var roles: [(role: String, marker: String)] = []
            for (role, v) in m {
                guard let marker = v.scalar, !marker.isEmpty else {
                    throw s.error("roles", "the marker of '\(role)' must be a non-empty string")
                }
                roles.append((role, marker))
            }
            template.roles = roles
        }
        template.endOfTurn = try s.string(
            "end_of_turn", default: template.endOfTurn, "closes every turn; generation stops at it")
        template.assistantRole = try s.string(
            "assistant_role", default: "assistant", "the role trained on and generated")
        do { try template.validate() } catch var e as SluiceError {
            e = s.error(s.has("roles") ? "roles" : "end_of_turn", e.message)
            throw e
        }
        o.template = template
        o.pack = try s.bool("pack", default: true, "pack several conversations per window (no attention across them)")
        o.newTokenInit = try s.choice(
            "new_token_init", default: "mean", ["mean", "normal"], "new token rows: mean of the old rows, or N(0, 0.02)"
        )
        try s.finish()
        return FineTuneOptions(train: train, sft: o)
    }
}
