// The shape of a GPT-2 model and its Hugging Face `config.json`. Validation happens here, once,
// so that a model whose width does not divide into heads never reaches a kernel.
import Foundation
import SluiceCore

/// GPT-2 hyper-parameters (Radford et al. 2019): pre-norm blocks, learned positions, tanh-GELU MLP
/// of width 4·C, tied output projection.
public struct GPTConfig: Sendable, Equatable, Codable {
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

    public init(vocabSize: Int, contextLength: Int, layers: Int, heads: Int, width: Int, dropout: Double = 0, eosTokenID: Int? = nil) {
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
    }

    /// Parameters in the model (the tied output projection counted once).
    public var parameterCount: Int { ParameterLayout(self).count }

    /// Training FLOPs per token: 6 × (non-embedding matmul weights + the tied output projection)
    /// plus 6·L·C·T for the attention scores and weighted sums (both causal halves counted, as
    /// PaLM's MFU definition, Chowdhery et al. 2022 app. B).
    public func trainingFLOPsPerToken(T: Int) -> Double {
        let C = Double(width), L = Double(layers)
        let matmulWeights = L * 12 * C * C + Double(vocabSize) * C
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
        return j
    }

    /// Reads a Hugging Face GPT-2 `config.json`.
    /// - Throws: a config error for another architecture, an unsupported activation or missing keys.
    public static func fromHuggingFace(_ data: Data, file: String) throws -> GPTConfig {
        guard let j = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SluiceError(.corruptInput, "config.json is not a JSON object", file: file)
        }
        if let t = j["model_type"] as? String, t != "gpt2" {
            throw SluiceError(.config, "model_type '\(t)' is not gpt2", file: file)
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
            guard let v = j[k] as? Int else { throw SluiceError(.config, "config.json has no integer '\(k)'", file: file) }
            return v
        }
        let c = GPTConfig(
            vocabSize: try int("vocab_size"), contextLength: try int("n_positions"), layers: try int("n_layer"),
            heads: try int("n_head"), width: try int("n_embd"), dropout: 0,
            eosTokenID: (j["eos_token_id"] as? Int))
        do { try c.validate() } catch var e as SluiceError {
            e.file = file
            throw e
        }
        return c
    }
}
