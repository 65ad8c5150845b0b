// Where each named tensor lives in the one flat parameter buffer. The same offsets index the
// gradients and both Adam moments. Names and shapes are Hugging Face GPT-2's (Conv1D weights
// stored [in, out]), so a checkpoint is the buffer cut at these offsets.

/// One named tensor: a view of the flat buffers at `offset`.
public struct TensorSpec: Sendable, Equatable {
    /// The Hugging Face name, e.g. `h.0.attn.c_attn.weight`.
    public var name: String
    /// Dimensions, outermost first.
    public var shape: [Int]
    /// First float in the flat buffers.
    public var offset: Int
    /// AdamW decays it (matmul weights only; not norms, biases or embeddings).
    public var decays: Bool
    /// Floats in the tensor.
    public var count: Int { shape.reduce(1, *) }
    /// A 2-D matrix inside a block (attention and MLP weights): what Muon updates; AdamW takes the
    /// embeddings, the head, norms and biases.
    public var isHiddenMatrix: Bool { shape.count == 2 && name.hasPrefix("h.") }
    /// The tensor's floats in the flat buffers.
    public var range: Range<Int> { offset..<(offset + count) }
}

/// The tensors of one GPT-2, in checkpoint order, with offsets into a flat buffer.
public struct ParameterLayout: Sendable {
    /// Every tensor, in checkpoint order.
    public private(set) var tensors: [TensorSpec] = []
    /// Total floats.
    public private(set) var count = 0
    private var index: [String: Int] = [:]

    /// Offsets of one block's tensors.
    public struct Block: Sendable {
        /// Offsets of ln_1, attn.c_attn, attn.c_proj weights (w) and biases (b).
        public var ln1w = 0, ln1b = 0, qkvw = 0, qkvb = 0, projw = 0, projb = 0
        /// Offsets of ln_2, mlp.c_fc and mlp.c_proj weights (w) and biases (b).
        public var ln2w = 0, ln2b = 0, fcw = 0, fcb = 0, fcprojw = 0, fcprojb = 0
    }
    /// Offsets of the embeddings and of the final layer norm. Tensors an architecture does not
    /// have (wpe with RoPE, norm biases with RMSNorm, linear biases without `bias`) are at −1.
    public private(set) var wte = 0, wpe = -1, lnfw = 0, lnfb = -1
    /// Offset of the output projection: `wte` when tied, else `lm_head.weight` (V, C).
    public private(set) var head = 0
    /// Per-block offsets.
    public private(set) var blocks: [Block] = []

    public init(_ config: GPTConfig) {
        let V = config.vocabSize, C = config.width, T = config.contextLength
        let H = config.mlpHidden, F = config.mlpFCOut
        let normBias = config.norm == .layernorm, bias = config.bias
        wte = add("wte.weight", [V, C], decays: false)
        if config.positions == .learned { wpe = add("wpe.weight", [T, C], decays: false) }
        for l in 0..<config.layers {
            var b = Block(ln1b: -1, qkvb: -1, projb: -1, ln2b: -1, fcb: -1, fcprojb: -1)
            let p = "h.\(l)."
            b.ln1w = add(p + "ln_1.weight", [C], decays: false)
            if normBias { b.ln1b = add(p + "ln_1.bias", [C], decays: false) }
            b.qkvw = add(p + "attn.c_attn.weight", [C, 3 * C], decays: true)
            if bias { b.qkvb = add(p + "attn.c_attn.bias", [3 * C], decays: false) }
            b.projw = add(p + "attn.c_proj.weight", [C, C], decays: true)
            if bias { b.projb = add(p + "attn.c_proj.bias", [C], decays: false) }
            b.ln2w = add(p + "ln_2.weight", [C], decays: false)
            if normBias { b.ln2b = add(p + "ln_2.bias", [C], decays: false) }
            b.fcw = add(p + "mlp.c_fc.weight", [C, F], decays: true)
            if bias { b.fcb = add(p + "mlp.c_fc.bias", [F], decays: false) }
            b.fcprojw = add(p + "mlp.c_proj.weight", [H, C], decays: true)
            if bias { b.fcprojb = add(p + "mlp.c_proj.bias", [C], decays: false) }
            blocks.append(b)
        }
        lnfw = add("ln_f.weight", [C], decays: false)
        if normBias { lnfb = add("ln_f.bias", [C], decays: false) }
        // The untied head is a matmul weight (decayed by AdamW) stored as HF's lm_head: (V, C).
        head = config.tieEmbeddings ? wte : add("lm_head.weight", [V, C], decays: true)
    }

    private mutating func add(_ name: String, _ shape: [Int], decays: Bool) -> Int {
        let t = TensorSpec(name: name, shape: shape, offset: count, decays: decays)
        index[name] = tensors.count
        tensors.append(t)
        count += t.count
        return t.offset
    }

    /// The tensor called `name`, if the layout has it.
    public subscript(name: String) -> TensorSpec? { index[name].map { tensors[$0] } }
}
