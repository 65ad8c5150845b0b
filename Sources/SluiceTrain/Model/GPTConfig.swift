// The shape of a GPT-2 model and its Hugging Face `config.json`. Validation happens here, once,
// so that a model whose width does not divide into heads never reaches a kernel.
import Foundation
import SluiceCore

/// GPT-2 hyper-parameters (Radford et al. 2019): pre-norm blocks, learned positions, tanh-GELU MLP
/// of width 4·C, tied output projection; the architecture options (issue 23) switch parts of it to
/// the modern small-model recipe (RoPE, RMSNorm, QK-norm, ReLU²/SwiGLU, untied head, soft-capping).
/// Their defaults are GPT-2's.
public struct GPTConfig: Sendable, Equatable, Codable {
    /// How positions enter the model.
    public enum Positions: String, Sendable, Codable, CaseIterable {
        /// A learned embedding per position added to the token embedding (GPT-2).
        case learned
        /// Rotary embeddings of queries and keys (Su et al. 2021), HF Llama's rotate-half pairing.
        case rope
    }
    /// The normalisation of the block inputs and of the final hidden state.
    public enum Norm: String, Sendable, Codable, CaseIterable {
        /// Mean and variance, gain and bias (Ba et al. 2016), ε 1e-5.
        case layernorm
        /// Root mean square, gain only (Zhang & Sennrich 2019), ε 1e-6.
        case rmsnorm
    }
    /// The MLP's nonlinearity.
    public enum MLP: String, Sendable, Codable, CaseIterable {
        /// tanh-GELU, hidden 4·C (GPT-2).
        case gelu
        /// relu(x)², hidden 4·C (So et al. 2021, Primer; modded-nanogpt).
        case relu2
        /// silu(gate)·up, hidden 8·C/3 rounded up to a multiple of 8 (Shazeer 2020; Llama).
        case swiglu
    }
    /// What the model is trained to predict (issue 24).
    public enum Objective: String, Sendable, Codable, CaseIterable {
        /// The next token, attending to earlier positions only (GPT).
        case causal
        /// Masked tokens, attending to every position (BERT's masked language modelling, Devlin et al. 2019).
        case mlm
    }

    /// Tokens in the vocabulary (V).
    public var vocabSize: Int
    /// Longest sequence, the number of learned positions (T max).
    public var contextLength: Int
    /// Transformer blocks (L).
    public var layers: Int
    /// Attention heads (NH); `width` must be a multiple.
    public var heads: Int
    /// Channels (C).
    public var width: Int
    /// Dropout probability of training passes (embeddings, attention probabilities, residual branches); 0 by default.
    public var dropout: Double = 0
    /// End-of-text id written into config.json (bos and eos, like GPT-2).
    public var eosTokenID: Int?
    /// Learned positions or rotary embeddings.
    public var positions: Positions = .learned
    /// RoPE base θ (frequencies θ^(−2i/hs)).
    public var ropeTheta: Double = 10_000
    /// Layer norm or RMS norm.
    public var norm: Norm = .layernorm
    /// Parameter-free RMS norm of each head's queries and keys before attention (and before RoPE).
    public var qkNorm = false
    /// The MLP's nonlinearity and shape.
    public var mlp: MLP = .gelu
    /// The output projection is the token embedding (GPT-2) or its own `lm_head.weight`.
    public var tieEmbeddings = true
    /// logits = cap·tanh(z/cap) when > 0 (Gemma 2; modded-nanogpt); 0 turns it off.
    public var logitSoftcap: Double = 0
    /// Zero-initialised output projections (attn.c_proj, mlp.c_proj, and lm_head when untied), as modded-nanogpt.
    public var zeroInitProjections = false
    /// Biases in the linear layers (GPT-2 has them; Llama does not).
    public var bias = true
    /// Causal (next-token) or masked language modelling with bidirectional attention.
    public var objective: Objective = .causal
    /// The `[MASK]` id of an MLM model (config.json `mask_token_id`); nil for causal models.
    public var maskTokenID: Int?

    public init(
        vocabSize: Int, contextLength: Int, layers: Int, heads: Int, width: Int, dropout: Double = 0,
        eosTokenID: Int? = nil
    ) {
        self.vocabSize = vocabSize
        self.contextLength = contextLength
        self.layers = layers
        self.heads = heads
        self.width = width
        self.dropout = dropout
        self.eosTokenID = eosTokenID
    }

    /// Size of one head (C / NH).
    public var headSize: Int { width / heads }

    /// The MLP's hidden width H: 4·C, or ⌈8·C/3⌉ rounded up to a multiple of 8 for SwiGLU (the same
    /// parameters as 4·C with two input matrices).
    public var mlpHidden: Int { mlp == .swiglu ? ((8 * width + 2) / 3 + 7) / 8 * 8 : 4 * width }

    /// Columns of `mlp.c_fc`: H, or 2·H for SwiGLU (gate | up).
    public var mlpFCOut: Int { mlp == .swiglu ? 2 * mlpHidden : mlpHidden }

    /// Every architecture option at its GPT-2 value (zero init only changes the initialisation, so a
    /// zero-initialised GPT-2 is still one).
    public var isGPT2: Bool {
        positions == .learned && norm == .layernorm && !qkNorm && mlp == .gelu && tieEmbeddings && logitSoftcap == 0
            && bias
            && objective == .causal
    }

    /// Whether attention is causal (every objective but MLM).
    public var causalAttention: Bool { objective != .mlm }

    /// Throws a config error naming `what` (a command, a task) when this is not a causal model.
    /// - Parameter file: the checkpoint folder, for the message.
    public func requireCausal(_ what: String, file: String? = nil) throws {
        guard objective == .causal else {
            throw SluiceError(
                .config,
                "\(what) needs a causal model, and this checkpoint was trained with objective \(objective.rawValue) "
                    + "(bidirectional attention, masked-token prediction); evaluate it with `sluice eval --text` or `--data`",
                file: file)
        }
    }

    /// The architecture options as `key: value` text (`positions: rope, norm: rmsnorm, …`) for logs.
    public var architectureSummary: String {
        var s = "positions \(positions.rawValue)"
        if positions == .rope { s += " (θ \(ropeTheta))" }
        s += ", norm \(norm.rawValue), mlp \(mlp.rawValue)"
        if qkNorm { s += ", qk_norm" }
        s += tieEmbeddings ? ", tied head" : ", untied head"
        if logitSoftcap > 0 { s += ", softcap \(logitSoftcap)" }
        if zeroInitProjections { s += ", zero-init projections" }
        if !bias { s += ", no biases" }
        if objective != .causal {
            s += ", objective \(objective.rawValue)" + (maskTokenID.map { " (mask id \($0))" } ?? "")
        }
        return s
    }

    /// Copies the architecture options (not the shape) of `other`.
    public mutating func setArchitecture(from other: GPTConfig) {
        positions = other.positions
        ropeTheta = other.ropeTheta
        norm = other.norm
        qkNorm = other.qkNorm
        mlp = other.mlp
        tieEmbeddings = other.tieEmbeddings
        logitSoftcap = other.logitSoftcap
        zeroInitProjections = other.zeroInitProjections
        bias = other.bias
        objective = other.objective
        maskTokenID = other.maskTokenID
    }

    /// Whether the architecture options (not the shape) equal `other`'s.
    public func sameArchitecture(as other: GPTConfig) -> Bool {
        var a = self
        a.setArchitecture(from: other)
        return a == self
    }

    /// Throws a config error for shapes the kernels cannot run.
    public func validate() throws {
        func bad(_ m: String) -> SluiceError { SluiceError(.config, "model: \(m)") }
        guard vocabSize > 0 else { throw bad("vocab_size must be positive (got \(vocabSize))") }
        guard contextLength > 0 else { throw bad("context_length must be positive (got \(contextLength))") }
        guard layers > 0 else { throw bad("layers must be positive (got \(layers))") }
        guard heads > 0, width > 0 else { throw bad("heads and width must be positive (got \(heads), \(width))") }
        guard width % heads == 0 else {
            throw bad("width \(width) is not divisible by heads \(heads); choose a width that is a multiple of heads")
        }
        guard dropout >= 0 && dropout < 1 else { throw bad("dropout must be in [0, 1) (got \(dropout))") }
        guard vocabSize < Int(Int32.max) else { throw bad("vocab_size \(vocabSize) does not fit 32-bit ids") }
        if positions == .rope {
            guard headSize % 2 == 0 else {
                throw bad("positions: rope needs an even head size (width / heads = \(headSize))")
            }
            guard ropeTheta > 1, ropeTheta.isFinite else { throw bad("rope_theta must be > 1 (got \(ropeTheta))") }
        }
        guard logitSoftcap >= 0, logitSoftcap.isFinite else {
            throw bad("logit_softcap must be ≥ 0 (got \(logitSoftcap))")
        }
        if let m = maskTokenID, !(0..<vocabSize).contains(m) {
            throw bad("mask_token_id \(m) is outside the vocabulary of \(vocabSize)")
        }
    }

    /// Parameters in the model (the tied output projection counted once).
    public var parameterCount: Int { ParameterLayout(self).count }

    /// Training FLOPs per token: 6 × (non-embedding matmul weights + the tied output projection)
    /// plus 6·L·C·T for the attention scores and weighted sums (both causal halves counted, as
    /// PaLM's MFU definition, Chowdhery et al. 2022 app. B).
    public func trainingFLOPsPerToken(T: Int) -> Double {
        let C = Double(width), L = Double(layers)
        // qkv 3C², proj C², fc C·fcOut, fc-proj H·C: 12C² for GPT-2.
        let block = 4 * C * C + C * Double(mlpFCOut) + Double(mlpHidden) * C
        let matmulWeights = L * block + Double(vocabSize) * C
        return 6 * matmulWeights + 6 * L * C * Double(T) * 2
    }

    // MARK: - Hugging Face config.json

    /// The Hugging Face GPT-2 `config.json` for this shape.
    public func huggingFaceJSON() -> [String: Any] {
        var j: [String: Any] = [
            "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": vocabSize,
            "n_positions": contextLength, "n_ctx": contextLength, "n_embd": width, "n_layer": layers, "n_head": heads,
            "n_inner": NSNull(), "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
            "resid_pdrop": dropout, "embd_pdrop": dropout, "attn_pdrop": dropout, "initializer_range": 0.02,
            "scale_attn_weights": true, "tie_word_embeddings": true, "torch_dtype": "float32", "use_cache": true,
        ]
        if let e = eosTokenID {
            j["bos_token_id"] = e
            j["eos_token_id"] = e
        }
        if zeroInitProjections { j["zero_init_projections"] = true }
        guard !isGPT2 else { return j }
        // Another architecture: GPT2LMHeadModel cannot run it, so the file names a Sluice-only model
        // type (transformers refuses it instead of loading wrong weights) and records every option.
        j["model_type"] = GPTConfig.sluiceModelType
        j["architectures"] = ["SluiceGPT"]
        j["position_embedding_type"] = positions.rawValue
        j["rope_theta"] = ropeTheta
        j["norm_type"] = norm.rawValue
        j["rms_norm_eps"] = 1e-6
        j["qk_norm"] = qkNorm
        j["mlp_type"] = mlp.rawValue
        j["activation_function"] = ["gelu": "gelu_new", "relu2": "relu2", "swiglu": "silu"][mlp.rawValue]
        j["n_inner"] = mlpHidden
        j["tie_word_embeddings"] = tieEmbeddings
        j["logit_softcap"] = logitSoftcap
        j["zero_init_projections"] = zeroInitProjections
        j["bias"] = bias
        j["objective"] = objective.rawValue
        if let m = maskTokenID { j["mask_token_id"] = m }
        return j
    }

    /// `model_type` of config.json files whose architecture GPT-2 cannot express.
    public static let sluiceModelType = "sluice_gpt"

    /// Reads a Hugging Face GPT-2 `config.json`.
    /// - Throws: a config error for another architecture, an unsupported activation or missing keys.
    public static func fromHuggingFace(_ data: Data, file: String) throws -> GPTConfig {
        guard let j = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SluiceError(.corruptInput, "config.json is not a JSON object", file: file)
        }
        if let t = j["model_type"] as? String, t == sluiceModelType {
            return try fromSluiceJSON(j, file: file)
        }
        if let t = j["model_type"] as? String, t != "gpt2" {
            throw SluiceError(.config, "model_type '\(t)' is not gpt2 or \(sluiceModelType)", file: file)
        }
        if let a = j["activation_function"] as? String, a != "gelu_new", a != "gelu_pytorch_tanh" {
            throw SluiceError(.config, "activation_function '\(a)' is not supported (gelu_new only)", file: file)
        }
        if let eps = j["layer_norm_epsilon"] as? Double, abs(eps - 1e-5) > 1e-12 {
            throw SluiceError(.config, "layer_norm_epsilon \(eps) is not supported (1e-5 only)", file: file)
        }
        if let inner = j["n_inner"] as? Int, let e = j["n_embd"] as? Int,
            !(Int.min / 4...Int.max / 4).contains(e) || inner != 4 * e
        {
            throw SluiceError(.config, "n_inner \(inner) is not 4·n_embd", file: file)
        }
        if let tie = j["tie_word_embeddings"] as? Bool, !tie {
            throw SluiceError(.config, "untied word embeddings are not supported", file: file)
        }
        func int(_ k: String) throws -> Int {
            guard let v = j[k] as? Int else {
                throw SluiceError(.config, "config.json has no integer '\(k)'", file: file)
            }
            return v
        }
        var c = GPTConfig(
            vocabSize: try int("vocab_size"), contextLength: try int("n_positions"), layers: try int("n_layer"),
            heads: try int("n_head"), width: try int("n_embd"), dropout: 0,
            eosTokenID: (j["eos_token_id"] as? Int))
        c.zeroInitProjections = (j["zero_init_projections"] as? Bool) ?? false
        do { try c.validate() } catch var e as SluiceError {
            e.file = file
            throw e
        }
        return c
    }

    /// Reads the config.json of a Sluice-only architecture (model_type `sluice_gpt`).
    static func fromSluiceJSON(_ j: [String: Any], file: String) throws -> GPTConfig {
        func int(_ k: String) throws -> Int {
            guard let v = j[k] as? Int else {
                throw SluiceError(.config, "config.json has no integer '\(k)'", file: file)
            }
            return v
        }
        func choice<E: RawRepresentable<String>>(_ k: String, _ def: E) throws -> E {
            guard let v = j[k] else { return def }
            guard let s = v as? String, let e = E(rawValue: s) else {
                throw SluiceError(.config, "config.json: '\(k)' has an unknown value \(v)", file: file)
            }
            return e
        }
        func number(_ k: String, _ def: Double) throws -> Double {
            guard let v = j[k] else { return def }
            guard let d = (v as? NSNumber)?.doubleValue else {
                throw SluiceError(.config, "config.json: '\(k)' is not a number", file: file)
            }
            return d
        }
        var c = GPTConfig(
            vocabSize: try int("vocab_size"), contextLength: try int("n_positions"), layers: try int("n_layer"),
            heads: try int("n_head"), width: try int("n_embd"), dropout: 0, eosTokenID: (j["eos_token_id"] as? Int))
        c.positions = try choice("position_embedding_type", Positions.learned)
        c.ropeTheta = try number("rope_theta", 10_000)
        c.norm = try choice("norm_type", Norm.layernorm)
        c.qkNorm = (j["qk_norm"] as? Bool) ?? false
        c.mlp = try choice("mlp_type", MLP.gelu)
        c.tieEmbeddings = (j["tie_word_embeddings"] as? Bool) ?? true
        c.logitSoftcap = try number("logit_softcap", 0)
        c.zeroInitProjections = (j["zero_init_projections"] as? Bool) ?? false
        c.bias = (j["bias"] as? Bool) ?? true
        c.objective = try choice("objective", Objective.causal)
        c.maskTokenID = j["mask_token_id"] as? Int
        if c.objective == .mlm, c.maskTokenID == nil {
            throw SluiceError(.config, "config.json: objective mlm needs an integer 'mask_token_id'", file: file)
        }
        if let inner = j["n_inner"] as? Int, inner != c.mlpHidden {
            throw SluiceError(
                .config, "n_inner \(inner) is not the \(c.mlpHidden) of mlp_type \(c.mlp.rawValue)", file: file)
        }
        do { try c.validate() } catch var e as SluiceError {
            e.file = file
            throw e
        }
        return c
    }
}
