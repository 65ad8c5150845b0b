// Hugging Face's Llama layout for the architectures it can express (RoPE, RMSNorm, SwiGLU, no QK
// norm, no soft-cap), so `LlamaForCausalLM` loads our checkpoints: the fused c_attn (in, 3·out) splits
// into q/k/v_proj (out, in), c_fc's gate | up halves into gate_proj and up_proj, Conv1D matrices are
// transposed. Every other combination stays in the Sluice layout (config.json model_type sluice_gpt).
import Foundation
import SluiceCore

extension GPTConfig {
    /// Whether `LlamaForCausalLM` computes the same function: RoPE, RMS norm, SwiGLU, no QK norm and
    /// no soft-capping (the head may be tied or not; biases all or none, as attention_bias + mlp_bias).
    public var isLlamaCompatible: Bool {
        positions == .rope && norm == .rmsnorm && mlp == .swiglu && !qkNorm && logitSoftcap == 0
            && objective == .causal
    }

    /// The Hugging Face `LlamaConfig` JSON of this model.
    public func llamaJSON() -> [String: Any] {
        var j: [String: Any] = [
            "model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": vocabSize,
            "hidden_size": width, "intermediate_size": mlpHidden, "num_hidden_layers": layers,
            "num_attention_heads": heads, "num_key_value_heads": heads, "head_dim": headSize,
            "max_position_embeddings": contextLength, "hidden_act": "silu", "rms_norm_eps": 1e-6,
            "rope_theta": ropeTheta, "tie_word_embeddings": tieEmbeddings, "attention_bias": bias, "mlp_bias": bias,
            "attention_dropout": dropout, "initializer_range": 0.02, "torch_dtype": "float32", "use_cache": true,
            "zero_init_projections": zeroInitProjections,
        ]
        if let e = eosTokenID {
            j["bos_token_id"] = e
            j["eos_token_id"] = e
        }
        return j
    }

    /// Reads a Hugging Face Llama `config.json` (multi-head attention only, no rope scaling).
    /// - Throws: a config error for what the model cannot run (grouped KV heads, rope_scaling, another activation).
    static func fromLlama(_ j: [String: Any], file: String) throws -> GPTConfig {
        func int(_ k: String) throws -> Int {
            guard let v = j[k] as? Int else {
                throw SluiceError(.config, "config.json has no integer '\(k)'", file: file)
            }
            return v
        }
        let heads = try int("num_attention_heads"), width = try int("hidden_size")
        if let kv = j["num_key_value_heads"] as? Int, kv != heads {
            throw SluiceError(.config, "grouped key/value heads (\(kv) of \(heads)) are not supported", file: file)
        }
        if let hd = j["head_dim"] as? Int, hd * heads != width {
            throw SluiceError(.config, "head_dim \(hd) × \(heads) heads is not hidden_size \(width)", file: file)
        }
        if let s = j["rope_scaling"], !(s is NSNull) {
            throw SluiceError(.config, "rope_scaling is not supported", file: file)
        }
        if let a = j["hidden_act"] as? String, a != "silu" {
            throw SluiceError(.config, "hidden_act '\(a)' is not supported (silu only)", file: file)
        }
        let attnBias = (j["attention_bias"] as? Bool) ?? false, mlpBias = (j["mlp_bias"] as? Bool) ?? false
        guard attnBias == mlpBias else {
            throw SluiceError(
                .config, "attention_bias and mlp_bias must agree (got \(attnBias), \(mlpBias))", file: file)
        }
        var c = GPTConfig(
            vocabSize: try int("vocab_size"), contextLength: try int("max_position_embeddings"),
            layers: try int("num_hidden_layers"), heads: heads, width: width, dropout: 0,
            eosTokenID: (j["eos_token_id"] as? Int))
        c.positions = .rope
        c.ropeTheta = (j["rope_theta"] as? NSNumber)?.doubleValue ?? 10_000
        c.norm = .rmsnorm
        c.mlp = .swiglu
        c.tieEmbeddings = (j["tie_word_embeddings"] as? Bool) ?? false
        c.bias = attnBias
        c.zeroInitProjections = (j["zero_init_projections"] as? Bool) ?? false
        if let eps = (j["rms_norm_eps"] as? NSNumber)?.doubleValue, abs(eps - 1e-6) > 1e-12 {
            throw SluiceError(.config, "rms_norm_eps \(eps) is not supported (1e-6 only)", file: file)
        }
        let inter = try int("intermediate_size")
        guard inter == c.mlpHidden else {
            throw SluiceError(
                .config,
                "intermediate_size \(inter) is not the \(c.mlpHidden) Sluice uses for hidden_size \(width) (8·C/3 rounded up to 8)",
                file: file)
        }
        do { try c.validate() } catch var e as SluiceError {
            e.file = file
            throw e
        }
        return c
    }
}

/// Where each Hugging Face Llama tensor lives in our flat buffer.
struct LlamaTensor {
    /// The HF name.
    var name: String
    /// The HF shape: (out, in) for matrices.
    var shape: [Int]
    /// Our offset of element [0, 0] (or [0]).
    var offset: Int
    /// For a transposed matrix: our row stride; HF [o, i] is ours at offset + i·stride + o. 0: contiguous, same order.
    var stride: Int

    /// The flat index in our buffer of HF element `k` (row-major in `shape`).
    @inline(__always)
    func ours(_ k: Int) -> Int {
        guard stride > 0 else { return offset + k }
        let inC = shape[1]
        return offset + (k % inC) * stride + k / inC
    }
}

extension ParameterLayout {
    /// The Llama tensors of a Llama-compatible model, in HF's order.
    func llamaTensors(_ c: GPTConfig) -> [LlamaTensor] {
        let C = c.width, H = c.mlpHidden
        var t = [LlamaTensor(name: "model.embed_tokens.weight", shape: [c.vocabSize, C], offset: wte, stride: 0)]
        for (l, b) in blocks.enumerated() {
            let p = "model.layers.\(l)."
            t.append(LlamaTensor(name: p + "input_layernorm.weight", shape: [C], offset: b.ln1w, stride: 0))
            for (k, n) in ["q", "k", "v"].enumerated() {
                t.append(
                    LlamaTensor(
                        name: p + "self_attn.\(n)_proj.weight", shape: [C, C], offset: b.qkvw + k * C, stride: 3 * C))
                if c.bias {
                    t.append(
                        LlamaTensor(name: p + "self_attn.\(n)_proj.bias", shape: [C], offset: b.qkvb + k * C, stride: 0)
                    )
                }
            }
            t.append(LlamaTensor(name: p + "self_attn.o_proj.weight", shape: [C, C], offset: b.projw, stride: C))
            if c.bias {
                t.append(LlamaTensor(name: p + "self_attn.o_proj.bias", shape: [C], offset: b.projb, stride: 0))
            }
            t.append(LlamaTensor(name: p + "post_attention_layernorm.weight", shape: [C], offset: b.ln2w, stride: 0))
            t.append(LlamaTensor(name: p + "mlp.gate_proj.weight", shape: [H, C], offset: b.fcw, stride: 2 * H))
            t.append(LlamaTensor(name: p + "mlp.up_proj.weight", shape: [H, C], offset: b.fcw + H, stride: 2 * H))
            t.append(LlamaTensor(name: p + "mlp.down_proj.weight", shape: [C, H], offset: b.fcprojw, stride: C))
            if c.bias {
                t.append(LlamaTensor(name: p + "mlp.gate_proj.bias", shape: [H], offset: b.fcb, stride: 0))
                t.append(LlamaTensor(name: p + "mlp.up_proj.bias", shape: [H], offset: b.fcb + H, stride: 0))
                t.append(LlamaTensor(name: p + "mlp.down_proj.bias", shape: [C], offset: b.fcprojb, stride: 0))
            }
        }
        t.append(LlamaTensor(name: "model.norm.weight", shape: [C], offset: lnfw, stride: 0))
        if !c.tieEmbeddings {
            t.append(LlamaTensor(name: "lm_head.weight", shape: [c.vocabSize, C], offset: head, stride: 0))
        }
        return t
    }
}

extension Checkpoint {
    /// Writes `params` in the Llama layout: the tensors and one buffer that holds them in order.
    static func llamaBuffer(_ model: GPT) -> (tensors: [(name: String, shape: [Int], range: Range<Int>)], data: [Float])
    {
        let specs = model.layout.llamaTensors(model.config)
        var data = [Float](repeating: 0, count: specs.reduce(0) { $0 + $1.shape.reduce(1, *) })
        var out: [(name: String, shape: [Int], range: Range<Int>)] = []
        var cursor = 0
        model.params.withUnsafeBufferPointer { p in
            for s in specs {
                let n = s.shape.reduce(1, *)
                for k in 0..<n { data[cursor + k] = p[s.ours(k)] }
                out.append((s.name, s.shape, cursor..<(cursor + n)))
                cursor += n
            }
        }
        return (out, data)
    }

    /// Fills `model.params` from Llama-named tensors. - Throws: missing, misshapen or unknown tensors.
    static func loadLlama(_ model: GPT, tensors: [String: SafeTensor], file: String) throws {
        let specs = model.layout.llamaTensors(model.config)
        var missing: [String] = [], wrong: [String] = []
        for s in specs {
            guard let t = tensors[s.name] else {
                missing.append(s.name)
                continue
            }
            guard t.shape == s.shape else {
                wrong.append("\(s.name) is \(t.shape), expected \(s.shape)")
                continue
            }
            for k in 0..<t.values.count { model.params[s.ours(k)] = t.values[k] }
        }
        if !missing.isEmpty {
            throw SluiceError(
                .corruptInput, "checkpoint is missing tensors: \(missing.prefix(6).joined(separator: ", "))", file: file
            )
        }
        if !wrong.isEmpty {
            throw SluiceError(
                .corruptInput, "checkpoint tensors have wrong shapes: \(wrong.prefix(4).joined(separator: "; "))",
                file: file)
        }
        let known = Set(specs.map(\.name))
        // A tied HF checkpoint may still carry lm_head.weight (a copy of the embedding); rotary caches are buffers.
        let unknown = tensors.keys.filter {
            !known.contains($0) && $0 != "lm_head.weight" && !$0.hasSuffix("rotary_emb.inv_freq")
        }
        if !unknown.isEmpty {
            throw SluiceError(
                .corruptInput,
                "checkpoint has tensors this architecture does not: \(unknown.sorted().prefix(6).joined(separator: ", "))",
                file: file)
        }
    }
}
