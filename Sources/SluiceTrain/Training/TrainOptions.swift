// The settings of a training run, read strictly from a YAML file (`sluice train CONFIG.yaml`)
// with `section.key=value` overrides from the command line. Unknown keys and out-of-range
// values fail here, naming file, line and key, before any data is read.
import Foundation
import SluiceCore

/// Everything a training run needs besides its data.
public struct TrainOptions: Sendable {
    // model
    /// Vocabulary size; nil takes the data's.
    public var vocabSize: Int?
    /// Tokens per sequence (T).
    public var contextLength = 256
    /// Transformer blocks.
    public var layers = 4
    /// Attention heads.
    public var heads = 4
    /// Channels (d_model).
    public var width = 256
    /// Dropout probability in training passes.
    public var dropout = 0.0
    /// Architecture options (positions, norm, QK norm, MLP, head, soft-cap, zero init, biases): GPT-2's by
    /// default; only these fields of the value are used (the shape comes from the fields above).
    public var architecture = GPTConfig(vocabSize: 1, contextLength: 1, layers: 1, heads: 1, width: 1)
    /// Share of positions chosen per sequence by the MLM objective (BERT: 0.15).
    public var mlmProbability = MaskedLM.defaultProbability
    /// Causal or masked language modelling (`model.objective`; kept in `architecture`).
    public var objective: GPTConfig.Objective {
        get { architecture.objective }
        set { architecture.objective = newValue }
    }
    // data
    /// Training shards: a folder (or files) of token shards.
    public var trainData: [String] = []
    /// Plain-text files tokenized in memory at start (instead of shards; needs `tokenizer`).
    public var textData: [String] = []
    /// Validation shards; when empty the last `valFraction` of the training tokens is held out.
    public var valData: [String] = []
    /// Share of training tokens held out when there is no validation data.
    public var valFraction = 0.05
    /// tokenizer.json to check the shards against and to copy into checkpoints.
    public var tokenizer: String?
    // optimisation
    /// Sequences per micro-batch.
    public var batchSize = 8
    /// Micro-batches per optimizer step (on each rank of a data-parallel run).
    public var gradAccum = 1
    /// Sequences per optimizer step over all ranks; when set, `gradAccum` follows from it (`forRanks`).
    public var globalBatch: Int?
    /// Optimizer steps.
    public var steps = 1000
    /// Peak learning rate.
    public var lr = 1e-3
    /// Learning rate at the end of the cosine.
    public var minLR = 1e-4
    /// Linear warm-up steps.
    public var warmup = 100
    /// AdamW decay of matmul weights.
    public var weightDecay = 0.1
    /// Adam β1.
    public var beta1 = 0.9
    /// Adam β2.
    public var beta2 = 0.95
    /// `adamw`, or `muon` for the hidden matrices (AdamW for the rest).
    public var optimizer = "adamw"
    /// Peak learning rate of the Muon matrices.
    public var muonLR = 0.02
    /// Muon momentum β.
    public var muonMomentum = 0.95
    /// Muon's decoupled weight decay.
    public var muonWeightDecay = 0.0
    /// Peak AdamW learning rate of the embeddings (wte, wpe); nil: `lr`.
    public var embeddingLR: Double?
    /// Peak AdamW learning rate of an untied head; nil: `lr`.
    public var headLR: Double?
    /// Global gradient-norm clip (0: off).
    public var gradClip = 1.0
    /// Seed of initialisation and batches.
    public var seed = 1337
    /// Recompute block activations in backward.
    public var recompute = false
    /// Threads for kernels and OpenBLAS.
    public var threads = 2
    // bookkeeping
    /// Validation every N steps (0: at the end only).
    public var evalEvery = 100
    /// Validation micro-batches.
    public var evalBatches = 8
    /// Checkpoint every N steps (0: at the end only).
    public var checkpointEvery = 200
    /// Step checkpoints kept.
    public var keepCheckpoints = 2
    /// Log a line every N steps.
    public var logEvery = 1
    /// The run folder.
    public var out = "runs/train"
    /// A checkpoint folder to start from (ours or Hugging Face's); its shape wins over `model`.
    public var initFrom: String?
    /// Continue the run in `out` from its latest checkpoint.
    public var resume = false
    /// Stop (as if killed) after this many steps of this invocation; for tests and time-boxed runs.
    public var stopAfter: Int?

    public init() {}

    /// The model shape for a vocabulary of `vocab` tokens.
    public func modelConfig(vocab: Int, eos: Int?) -> GPTConfig {
        var c = GPTConfig(
            vocabSize: vocabSize ?? vocab, contextLength: contextLength, layers: layers, heads: heads, width: width,
            dropout: dropout, eosTokenID: eos)
        c.setArchitecture(from: architecture)
        return c
    }

    /// The peak AdamW learning rate of tensor `t` (its parameter group).
    public func peakLR(of t: TensorSpec) -> Double {
        switch t.name {
        case "wte.weight", "wpe.weight": return embeddingLR ?? lr
        case "lm_head.weight": return headLR ?? lr
        default: return lr
        }
    }

    /// Reads a YAML run file (top-level sections `model`, `data`, `train`, plus `out`, `init_from`)
    /// and applies `overrides` (`"train.steps": "100"`, `"out": "runs/x"`).
    /// - Throws: config errors naming the file, line and key.
    public static func load(yaml text: String, file: String?, overrides: [(String, String)] = []) throws -> TrainOptions
    {
        try load(root: try ConfigValue.parseYAML(text, file: file), file: file, overrides: overrides)
    }

    /// `load(yaml:)` on an already parsed file (or a part of one: `sluice ablate` passes its
    /// `model` and `train` sections with their lines).
    /// `defaultRecipe` is the recipe when `model.recipe` is absent (fine-tuning passes `.gpt2`: its
    /// architecture comes from `init_from`, and it trains every tensor with one AdamW rate).
    public static func load(
        root: ConfigValue, file: String?, overrides: [(String, String)] = [], defaultRecipe: Recipe = .modern
    ) throws -> TrainOptions {
        guard let top = root.mapValue else { throw SluiceError(.config, "a training file is a YAML map", file: file) }
        var sections: [String: [(key: String, value: ConfigValue)]] = ["model": [], "data": [], "train": []]
        var topValues: [(key: String, value: ConfigValue)] = []
        for (k, v) in top {
            if sections[k] != nil {
                guard let m = v.mapValue else {
                    throw SluiceError(.config, "'\(k)' must be a map", file: file, line: v.line)
                }
                sections[k] = m
            } else {
                topValues.append((k, v))
            }
        }
        var model = StageOptions(stageName: "model", values: sections["model"]!, file: file)
        var data = StageOptions(stageName: "data", values: sections["data"]!, file: file)
        var train = StageOptions(stageName: "train", values: sections["train"]!, file: file)
        var topOpts = StageOptions(stageName: "run", values: topValues, file: file)
        for (key, value) in overrides {
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            switch parts.count == 2 ? parts[0] : "" {
            case "model": try model.override(parts[1], yaml: value)
            case "data": try data.override(parts[1], yaml: value)
            case "train": try train.override(parts[1], yaml: value)
            default: try topOpts.override(key, yaml: value)
            }
        }
        var o = TrainOptions()
        o.vocabSize = try model.optionalInt(
            "vocab_size", range: 1...Int(Int32.max - 1), "vocabulary size (default: the data's)")
        o.contextLength = try model.int(
            "context_length", default: o.contextLength, range: 1...65_536, "tokens per sequence (T)")
        o.layers = try model.int("layers", default: o.layers, range: 1...512, "transformer blocks")
        o.heads = try model.int("heads", default: o.heads, range: 1...1024, "attention heads; width must be a multiple")
        o.width = try model.int("width", default: o.width, range: 1...65_536, "channels (d_model)")
        o.dropout = try model.double(
            "dropout", default: 0, range: 0...0.95,
            "dropout probability in training (embeddings, attention, residual branches)")
        let objective = GPTConfig.Objective(
            rawValue: try model.choice(
                "objective", default: "causal", ["causal", "mlm"],
                "next-token prediction (GPT) or masked language modelling with bidirectional attention (BERT)"))!
        let recipe = try Recipe(
            rawValue: model.choice(
                "recipe", default: (objective == .mlm ? Recipe.gpt2 : defaultRecipe).rawValue,
                Recipe.allCases.map(\.rawValue),
                "defaults of the architecture and optimizer keys: modern (RoPE, RMSNorm, QK-norm, ReLU², untied "
                    + "head, soft-cap 15, zero init, no biases, Muon) or gpt2 (GPT-2 of 2019 with AdamW; the "
                    + "default of objective: mlm, whose BERT architecture it is)"))!
        let modern = recipe == .modern
        var a = o.architecture
        a.objective = objective
        a.positions = GPTConfig.Positions(
            rawValue: try model.choice(
                "positions", default: modern ? "rope" : "learned", ["learned", "rope"],
                "learned position embeddings (GPT-2) or rotary embeddings of q and k"))!
        a.ropeTheta = try model.double(
            "rope_theta", default: a.ropeTheta, range: 2...1e9, "RoPE base θ (with positions: rope)")
        a.norm = GPTConfig.Norm(
            rawValue: try model.choice(
                "norm", default: modern ? "rmsnorm" : "layernorm", ["layernorm", "rmsnorm"],
                "layer norm (GPT-2) or RMS norm"))!
        a.qkNorm = try model.bool(
            "qk_norm", default: modern, "RMS-normalise each head's queries and keys before attention")
        a.mlp = GPTConfig.MLP(
            rawValue: try model.choice(
                "mlp", default: modern ? "relu2" : "gelu", ["gelu", "relu2", "swiglu"],
                "MLP: tanh-GELU 4·C (GPT-2), ReLU² 4·C, or SwiGLU 8·C/3"))!
        a.tieEmbeddings = try model.bool(
            "tie_embeddings", default: !modern, "the output head is the token embedding (GPT-2) or its own matrix")
        a.logitSoftcap = try model.double(
            "logit_softcap", default: modern ? 15 : 0, range: 0...1e4, "logits = cap·tanh(z/cap) (0: off)")
        a.zeroInitProjections = try model.bool(
            "zero_init", default: modern, "zero-initialise attn.c_proj, mlp.c_proj and an untied head")
        a.bias = try model.bool("bias", default: !modern, "biases in the linear layers (GPT-2: true)")
        o.mlmProbability = try model.double(
            "mlm_probability", default: o.mlmProbability, range: 0.01...1,
            "share of positions chosen per sequence with objective mlm (BERT: 0.15)")
        o.architecture = a
        try model.finish()
        o.trainData = try data.stringList("train", default: [], "training shard folder or files")
        o.textData = try data.stringList(
            "text", default: [], "plain-text files to tokenize in memory instead of shards")
        o.valData = try data.stringList(
            "val", default: [], "validation shard folder or files (default: hold out val_fraction)")
        o.valFraction = try data.double(
            "val_fraction", default: o.valFraction, range: 0...0.5,
            "share of training tokens held out when val is empty")
        o.tokenizer = try data.optionalString("tokenizer", "tokenizer.json the shards were made with")
        try data.finish()
        o.batchSize = try train.int(
            "batch_size", default: o.batchSize, range: 1...4096, "sequences per micro-batch (B)")
        o.gradAccum = try train.int(
            "grad_accum", default: o.gradAccum, range: 1...4096, "micro-batches per optimizer step")
        o.globalBatch = try train.optionalInt(
            "global_batch", range: 1...1_048_576, "sequences per step over all ranks (sets grad_accum)")
        if o.globalBatch != nil && train.has("grad_accum") {
            throw train.error(
                "global_batch", "give train.global_batch or train.grad_accum, not both (global_batch sets grad_accum)")
        }
        o.steps = try train.int("steps", default: o.steps, range: 1...100_000_000, "optimizer steps")
        o.lr = try train.double("lr", default: modern ? Recipe.modernLR : o.lr, range: 0...10, "peak learning rate")
        o.minLR = try train.double(
            "min_lr", default: modern ? Recipe.modernLR / 10 : o.minLR, range: 0...10,
            "learning rate at the end of the cosine")
        o.warmup = try train.int("warmup", default: o.warmup, range: 0...100_000_000, "linear warm-up steps")
        o.weightDecay = try train.double(
            "weight_decay", default: modern ? 0 : o.weightDecay, range: 0...10, "AdamW decay of matmul weights")
        o.beta1 = try train.double("beta1", default: o.beta1, range: 0...0.999999, "Adam β1")
        o.beta2 = try train.double("beta2", default: o.beta2, range: 0...0.999999, "Adam β2")
        o.optimizer = try train.choice(
            "optimizer", default: modern ? "muon" : "adamw", ["adamw", "muon"],
            "AdamW for everything, or Muon for the hidden matrices and AdamW for the rest")
        o.muonLR = try train.double(
            "muon_lr", default: o.muonLR, range: 0...10, "peak learning rate of the Muon matrices")
        o.muonMomentum = try train.double(
            "muon_momentum", default: o.muonMomentum, range: 0...0.999999, "Muon momentum β (Nesterov)")
        o.muonWeightDecay = try train.double(
            "muon_weight_decay", default: 0, range: 0...10, "Muon's decoupled weight decay")
        let e = try train.double(
            "embedding_lr", default: modern ? Recipe.modernEmbeddingLR : -1, range: -1...100,
            "peak AdamW rate of the embeddings (-1: lr)")
        o.embeddingLR = e < 0 ? nil : e
        let h = try train.double(
            "head_lr", default: modern ? Recipe.modernHeadLR : -1, range: -1...100,
            "peak AdamW rate of an untied head (-1: lr)")
        o.headLR = h < 0 ? nil : h
        o.gradClip = try train.double(
            "grad_clip", default: o.gradClip, range: 0...1e9, "clip the global gradient norm (0: off)")
        o.seed = try train.int("seed", default: o.seed, range: 0...Int.max, "seed for initialisation and batches")
        o.recompute = try train.bool(
            "recompute", default: false, "recompute block activations in backward (less memory)")
        o.threads = try train.int("threads", default: o.threads, range: 1...256, "threads for kernels and OpenBLAS")
        o.evalEvery = try train.int(
            "eval_every", default: o.evalEvery, range: 0...100_000_000, "validation every N steps (0: only at the end)")
        o.evalBatches = try train.int(
            "eval_batches", default: o.evalBatches, range: 1...100_000, "validation micro-batches")
        o.checkpointEvery = try train.int(
            "checkpoint_every", default: o.checkpointEvery, range: 0...100_000_000,
            "checkpoint every N steps (0: only at the end)")
        o.keepCheckpoints = try train.int(
            "keep_checkpoints", default: o.keepCheckpoints, range: 1...1000, "step checkpoints kept")
        o.logEvery = try train.int("log_every", default: o.logEvery, range: 1...100_000, "print a line every N steps")
        try train.finish()
        o.out = try topOpts.string("out", default: o.out, "run folder")
        o.initFrom = try topOpts.optionalString("init_from", "checkpoint folder to start from")
        try topOpts.finish()
        return o
    }
}

extension TrainOptions {
    /// `model.recipe`: which defaults the architecture and optimizer keys take. Every key set in the
    /// file wins over its recipe default. `modern` is the combination the recipe ablation measured
    /// best (docs/training.md#the-recipe); `gpt2` is the 2019 model with AdamW, kept for parity with
    /// GPT-2, nanoGPT and llm.c.
    public enum Recipe: String, CaseIterable, Sendable {
        case modern, gpt2

        /// AdamW rate of the norm gains (and of any group without its own rate) under `modern`.
        static let modernLR = 2e-3
        /// AdamW rate of the token embeddings under `modern` (modded-nanogpt and nanochat give
        /// embeddings a far higher rate than the rest).
        static let modernEmbeddingLR = 0.05
        /// AdamW rate of the untied head under `modern` (modded-nanogpt: 0.008).
        static let modernHeadLR = 0.008
    }
}
