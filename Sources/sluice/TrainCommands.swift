// `sluice train`, `sluice eval`, `sluice generate`: parse flags, build values, call SluiceTrain
// (`sluice dev train-speed`, which only the benchmarks use, is in DevCommands.swift).
import ArgumentParser
import Foundation
import SluiceCore
import SluiceTrain

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a GPT-2-style model on token shards (CPU, OpenBLAS).",
        discussion: """
            CONFIG is a YAML file with sections model, data, train and the keys out and init_from \
            (see Pipelines/train-tiny.yaml). Flags override the file. The run folder gets metrics.jsonl, \
            loss.svg and checkpoints (checkpoints/step-N, latest → the newest) in Hugging Face GPT-2 layout. \
            Under `mpirun -np N` or `srun --mpi=pmix` the N ranks train data-parallel (docs/distributed.md).
            """)

    @Argument(help: "Training configuration (YAML).") var config: String
    @Option(name: .customLong("set"), help: "Override a setting: section.key=value (e.g. train.lr=3e-4). Repeatable.")
    var sets: [String] = []
    @Option(help: "Run folder (out).") var out: String?
    @Option(help: "Optimizer steps (train.steps).") var steps: Int?
    @Option(help: "Sequences per micro-batch (train.batch_size).") var batchSize: Int?
    @Option(help: "Peak learning rate (train.lr).") var lr: Double?
    @Option(help: "Threads for kernels and OpenBLAS (train.threads).") var threads: Int?
    @Option(help: "Seed (train.seed).") var seed: Int?
    @Option(help: "Start from this checkpoint folder (ours or Hugging Face's).") var initFrom: String?
    @Flag(help: "Continue the run in the run folder from its latest checkpoint.") var resume = false
    @Option(help: .hidden) var stopAfter: Int?

    /// Under mpirun or srun (their environment says so) every rank runs `train`; a failure all ranks
    /// learnt together is printed once, by rank 0; one on a single rank mid-run ends the job (MPI_Abort).
    func run() throws {
        guard let group = try reportingErrors({ try ProcessGroup.fromEnvironment() }) else {
            return try reportingErrors { try train(group: nil) }
        }
        do {
            try train(group: group)
        } catch {
            if group.rank == 0 || !group.failureIsShared { printError(error) }
            if !group.failureIsShared { group.abort() }
            group.finish()
            throw ExitCode.failure
        }
        group.finish()
    }

    func train(group: ProcessGroup?) throws {
        let quiet = (group?.rank ?? 0) != 0  // rank 0 alone logs
        let log: (String) -> Void = { if !quiet { stderrLine($0) } }
        func build() throws -> Trainer {
            var (text, overrides) = try readRunConfiguration(config, kind: "training", sets: sets)
            if let out { overrides.append(("out", out)) }
            if let steps { overrides.append(("train.steps", String(steps))) }
            if let batchSize { overrides.append(("train.batch_size", String(batchSize))) }
            if let lr { overrides.append(("train.lr", String(lr))) }
            if let threads { overrides.append(("train.threads", String(threads))) }
            if let seed { overrides.append(("train.seed", String(seed))) }
            if let initFrom { overrides.append(("init_from", initFrom)) }
            var options = try TrainOptions.load(yaml: text, file: config, overrides: overrides).forRanks(
                group?.size ?? 1)
            options.resume = resume
            options.stopAfter = stopAfter
            try options.modelConfig(vocab: options.vocabSize ?? 1, eos: nil).validate()
            let data = try TrainingData.open(options)
            return try Trainer(
                options: options, train: data.train, val: data.val, tokenizerPath: data.tokenizerPath, log: log)
        }
        let trainer = try group.map { try Trainer.start(group: $0, build: build) } ?? build()
        if let group {
            let o = trainer.options
            log(
                "data parallel: \(group.size) ranks (\(group.launcher); \(group.libraryVersion)); each runs grad_accum "
                    + "\(o.gradAccum) × batch_size \(o.batchSize) of a global batch of \(o.gradAccum * o.batchSize * group.size) "
                    + "sequences per step")
        }
        let records = try trainer.run()
        guard !quiet else { return }
        var summary: JSONObject = [
            "steps": .int(Int64(records.last?.step ?? trainer.startStep)),
            "final_loss": records.last.map { JSONValue.double($0.loss) } ?? .null,
        ]
        if let v = trainer.validation.last { summary["val_loss"] = .double(v.loss) }
        summary["checkpoint"] = .string(trainer.options.out + "/latest")
        print(JSONSerializer.spacedString(.object(summary)))
    }
}

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint: loss, perplexity and bits per byte, or task accuracy (JSON on stdout).",
        discussion: """
            Exactly one of --data, --text or --task. --text tokenizes the whole file with the checkpoint's \
            tokenizer, cuts the ids into chunks of context+1 overlapping by one and reports the mean \
            cross-entropy of all predicted ids and their bits per UTF-8 byte of the file. --task sft FILE \
            reports the mean loss of assistant tokens and the exact match of greedy responses (docs/finetune.md). For a checkpoint \
            of objective mlm, --text and --data cut the ids into chunks of context, mask them as in training \
            (seeded by --mask-seed) and report masked-token loss and accuracy beside the unigram baseline.
            """)

    @Option(help: "Checkpoint folder (config.json, model.safetensors, tokenizer.json).") var checkpoint: String
    @Option(help: "Shard directory: evaluates its validation split (see --split).") var data: String?
    @Option(help: "Split of --data: validation or train.") var split = "validation"
    @Option(help: "Plain-text file (UTF-8).") var text: String?
    @Option(help: "Task: multiple-choice (HellaSwag-style JSONL), lambada (JSONL with text) or sft (conversations).")
    var task: String?
    @Argument(help: "The task's JSONL file.") var taskFile: String?
    @Option(help: "Full-length chunks per forward pass.") var batchSize = 8
    @Option(help: "Threads for kernels and OpenBLAS.") var threads = 2
    @Option(help: "Comma-separated token ids: print the raw logits of every position as JSON rows.") var logits: String?
    @Option(help: "--task sft: tokens generated at most per response.") var maxNewTokens = 64
    @Option(help: "MLM checkpoints: seed of the masks (the same seed gives the same masked positions).") var maskSeed:
        UInt64 = 0
    @Option(help: "MLM checkpoints: share of positions masked per chunk (BERT: 0.15).") var mlmProbability = 0.15

    func validate() throws {
        let given = [data != nil, text != nil, task != nil, logits != nil].filter { $0 }.count
        guard given == 1 else { throw ValidationError("give exactly one of --data, --text, --task, --logits") }
        if let task {
            guard ["multiple-choice", "lambada", "sft"].contains(task) else {
                throw ValidationError("--task is multiple-choice, lambada or sft")
            }
            guard taskFile != nil else { throw ValidationError("--task \(task) needs a JSONL file") }
        }
        guard split == "validation" || split == "train" else { throw ValidationError("--split is validation or train") }
        guard mlmProbability > 0 && mlmProbability <= 1 else {
            throw ValidationError("--mlm-probability must be in (0, 1]")
        }
    }

    func run() throws {
        try reportingErrors {
            BLAS.setThreads(threads)
            if task == "sft", let taskFile {
                let r = try SFTEvaluator.evaluate(
                    checkpoint: checkpoint, paths: [taskFile], threads: threads, batchSize: batchSize,
                    maxNewTokens: maxNewTokens,
                    log: stderrLine)
                print(r.json)
                return
            }
            let model = try Checkpoint.load(checkpoint, threads: threads)
            if let logits {
                let ids = try logits.split(separator: ",").map { s -> Int32 in
                    guard let v = Int32(s.trimmingCharacters(in: .whitespaces)) else {
                        throw ValidationError("--logits: '\(s)' is not a token id")
                    }
                    return v
                }
                print(try Evaluator(model: model).logitsJSON(ids: ids))
                return
            }
            let codec = try TokenizerCodec.load(checkpoint: checkpoint)
            let ev = Evaluator(model: model, batchSize: batchSize)
            if model.config.objective == .mlm {
                // Masked-token loss and accuracy; next-token tasks need a causal model.
                if let task { try model.config.requireCausal("--task \(task)", file: checkpoint) }
                let masking = try MaskedLM.of(
                    checkpoint: model.config, tokenizer: codec.tokenizer, probability: mlmProbability, file: checkpoint)
                if let text {
                    guard let data = FileManager.default.contents(atPath: text) else {
                        throw SluiceError(.io, "cannot read", file: text)
                    }
                    guard let s = String(data: data, encoding: .utf8) else {
                        throw SluiceError(.corruptInput, "not valid UTF-8", file: text)
                    }
                    print(ev.evaluateMasked(text: s, codec: codec, masking: masking, seed: maskSeed).json)
                } else if let data {
                    let stream = try ShardTokenStream(
                        directory: data, split: split == "train" ? .train : .validation,
                        tokenizer: try MaskedLM.dataTokenizer(codec.tokenizer))
                    print(try ev.evaluateMasked(stream: stream, masking: masking, seed: maskSeed).json)
                }
                return
            }
            if let text {
                guard let data = FileManager.default.contents(atPath: text) else {
                    throw SluiceError(.io, "cannot read", file: text)
                }
                guard let s = String(data: data, encoding: .utf8) else {
                    throw SluiceError(.corruptInput, "not valid UTF-8", file: text)
                }
                print(ev.evaluate(text: s, codec: codec).json)
            } else if let data {
                let stream = try ShardTokenStream(
                    directory: data, split: split == "train" ? .train : .validation, tokenizer: codec.tokenizer)
                print(try ev.evaluate(stream: stream, codec: codec).json)
            } else if let task, let taskFile {
                let r =
                    task == "lambada"
                    ? try ev.lambada(path: taskFile, codec: codec) : try ev.multipleChoice(path: taskFile, codec: codec)
                print(r.json)
            }
        }
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Sample a continuation of a prompt from a checkpoint (KV cache).")

    @Option(help: "Checkpoint folder.") var checkpoint: String
    @Option(help: "Prompt text (with --chat: the user's message).") var prompt: String
    @Flag(help: "Apply the checkpoint's chat template (sluice finetune) and stop at the end-of-turn token.") var chat =
        false
    @Option(help: "With --chat: a system message before the prompt.") var system: String?
    @Option(help: "Tokens to generate at most.") var maxTokens = 64
    @Option(help: "Sampling temperature; 0 is greedy.") var temperature = 0.8
    @Option(help: "Keep the k most likely tokens (0: all).") var topK = 0
    @Option(help: "Nucleus sampling mass (1: off).") var topP = 1.0
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Threads.") var threads = 2

    func validate() throws {
        guard temperature >= 0 else { throw ValidationError("--temperature must be ≥ 0") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard topK >= 0, maxTokens >= 0 else { throw ValidationError("--top-k and --max-tokens must be ≥ 0") }
    }

    func run() throws {
        try reportingErrors {
            BLAS.setThreads(threads)
            // F32, or INT8 kept INT8 for a quantized checkpoint (docs/quantize.md).
            let decoder = try QuantizedCheckpoint.loadAny(checkpoint, threads: threads)
            try decoder.config.requireCausal("sluice generate", file: checkpoint)
            let codec = try TokenizerCodec.load(checkpoint: checkpoint)
            var o = SamplingOptions()
            o.maxTokens = maxTokens
            o.temperature = temperature
            o.topK = topK
            o.topP = topP
            o.seed = seed
            o.stopID = codec.tokenizer.eosID.map { Int32(bitPattern: $0) }
            if chat {
                guard let template = try ChatTemplate.load(checkpoint: checkpoint) else {
                    throw SluiceError(
                        .config, "the checkpoint has no chat template (tokenizer_config.json from sluice finetune)",
                        file: checkpoint)
                }
                let encoder = try SFTEncoder(
                    template: template, tokenizer: codec.tokenizer, contextLength: decoder.config.contextLength)
                var messages = system.map { [ChatMessage(role: "system", content: $0)] } ?? []
                messages.append(ChatMessage(role: "user", content: prompt))
                messages.append(ChatMessage(role: template.assistantRole, content: ""))
                let room = min(maxTokens, decoder.config.contextLength / 2)
                let (ids, _) = encoder.promptAndReference(messages, room: room)!
                o.stopID = encoder.markerIDs.endOfTurn
                o.maxTokens = min(maxTokens, decoder.config.contextLength - ids.count)
                print(codec.decode(Generator(decoder: decoder).generate(prompt: ids, options: o)))
                return
            }
            let ids = Generator(decoder: decoder).generate(prompt: codec.encode(prompt), options: o)
            print(prompt + codec.decode(ids))
        }
    }
}

/// The text of a training or fine-tuning configuration file and its `--set section.key=value`
/// overrides, in order (`train`, `finetune` and `slurm train` add their flags after them).
func readRunConfiguration(_ config: String, kind: String, sets: [String]) throws -> (
    text: String, overrides: [(String, String)]
) {
    guard let text = try? String(contentsOfFile: config, encoding: .utf8) else {
        throw SluiceError(.io, "cannot read \(kind) configuration", file: config)
    }
    let overrides = try sets.map { s in
        let setting = try OptionSetting(parsing: s, expecting: "section.key=value")
        return (setting.path, setting.value)
    }
    return (text, overrides)
}
