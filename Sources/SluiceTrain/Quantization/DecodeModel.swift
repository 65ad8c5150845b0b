// A model as decoding reads it: `DecodeWeights` for every matrix and a small F32 buffer of norm gains
// and biases. Built from an F32 `GPT` (sharing its parameter buffer, no copy), by quantizing one
// (every matrix to INT8), or loaded from a quantized checkpoint (QuantizedCheckpoint.swift). It holds
// no gradients and no activations: `Generator` (and a server's batched decoder) run it.
import Foundation
import SluiceCore

/// The weights decoding uses: F32 or INT8 matrices, F32 norms and biases.
public final class DecodeModel: @unchecked Sendable {
    /// The model shape.
    public let config: GPTConfig
    /// Threads for the kernels (OpenBLAS has its own setting, see `BLAS.setThreads`).
    public var threads: Int
    /// Norm gains and biases; for a model built from a `GPT`, its whole parameter buffer. The
    /// offsets in `Block`, `lnfw` and `lnfb` index it.
    public let vectors: [Float]
    /// Floats of `vectors` that are norms and biases (the rest of a GPT's buffer is matrices).
    let vectorCount: Int

    /// One block: offsets into `vectors` (−1 when the architecture has no such tensor) and its matrices.
    public struct Block: @unchecked Sendable {
        /// Offsets in `vectors` of ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj gains (w) and biases (b).
        public internal(set) var ln1w = -1, ln1b = -1, qkvb = -1, projb = -1, ln2w = -1, ln2b = -1, fcb = -1,
            fcprojb = -1
        /// attn.c_attn (C → 3C), attn.c_proj (C → C), mlp.c_fc (C → F), mlp.c_proj (H → C).
        public var qkv: DecodeWeights, proj: DecodeWeights, fc: DecodeWeights, fcproj: DecodeWeights
    }
    /// The blocks, first to last.
    public let blocks: [Block]
    /// Token embedding (V rows of C).
    public let wte: DecodeWeights
    /// Learned positions (T rows of C), nil with RoPE.
    public let wpe: DecodeWeights?
    /// Output projection C → V (`wte` when tied).
    public let head: DecodeWeights
    /// Offsets in `vectors` of the final norm's gain and bias (−1: none).
    public let lnfw: Int, lnfb: Int
    /// RoPE cos | sin for positions 0..<contextLength (empty with learned positions).
    public let ropeTable: [Float]

    /// Whether the matrices are INT8.
    public var isQuantized: Bool {
        if case .int8 = wte { return true }
        return false
    }

    /// Bytes of the weights: every matrix (the tied head once) plus the F32 norms and biases.
    public var weightBytes: Int {
        var n = wte.byteCount + (wpe?.byteCount ?? 0) + 4 * vectorCount
        if !config.tieEmbeddings { n += head.byteCount }
        for b in blocks { n += b.qkv.byteCount + b.proj.byteCount + b.fc.byteCount + b.fcproj.byteCount }
        return n
    }

    /// How a matrix tensor is laid out: embeddings and `lm_head` are (out, in), GPT-2's Conv1D
    /// block matrices (in, out).
    static func orientation(_ spec: TensorSpec) -> (inC: Int, outC: Int, outMajor: Bool) {
        precondition(spec.shape.count == 2)
        let outMajor = spec.name == "wte.weight" || spec.name == "wpe.weight" || spec.name == "lm_head.weight"
        return outMajor ? (spec.shape[1], spec.shape[0], true) : (spec.shape[0], spec.shape[1], false)
    }

    /// Assembles a model from its parts, looked up by checkpoint name (`ParameterLayout` names).
    /// - Parameters:
    ///   - vector: offset in `vectors` of a 1-D tensor (−1 if absent).
    ///   - matrix: the weights of a 2-D tensor.
    init(
        config: GPTConfig, threads: Int, vectors: [Float], vectorCount: Int, vector: (String) -> Int,
        matrix: (String) -> DecodeWeights
    ) {
        self.config = config
        self.threads = max(1, threads)
        self.vectors = vectors
        self.vectorCount = vectorCount
        var blocks: [Block] = []
        for l in 0..<config.layers {
            let p = "h.\(l)."
            var b = Block(
                qkv: matrix(p + "attn.c_attn.weight"), proj: matrix(p + "attn.c_proj.weight"),
                fc: matrix(p + "mlp.c_fc.weight"),
                fcproj: matrix(p + "mlp.c_proj.weight"))
            b.ln1w = vector(p + "ln_1.weight")
            b.ln1b = vector(p + "ln_1.bias")
            b.qkvb = vector(p + "attn.c_attn.bias")
            b.projb = vector(p + "attn.c_proj.bias")
            b.ln2w = vector(p + "ln_2.weight")
            b.ln2b = vector(p + "ln_2.bias")
            b.fcb = vector(p + "mlp.c_fc.bias")
            b.fcprojb = vector(p + "mlp.c_proj.bias")
            blocks.append(b)
        }
        self.blocks = blocks
        wte = matrix("wte.weight")
        wpe = config.positions == .learned ? matrix("wpe.weight") : nil
        head = config.tieEmbeddings ? wte : matrix("lm_head.weight")
        lnfw = vector("ln_f.weight")
        lnfb = vector("ln_f.bias")
        ropeTable =
            config.positions == .rope
            ? Kernels.ropeTable(T: config.contextLength, headSize: config.headSize, theta: config.ropeTheta) : []
    }

    /// An F32 decoding view of `model`: its parameter buffer is shared (copy-on-write), not copied,
    /// and decoding computes exactly what it did before INT8 existed.
    public convenience init(model: GPT) {
        let layout = model.layout, params = model.params
        let vectorCount = layout.tensors.filter { $0.shape.count == 1 }.reduce(0) { $0 + $1.count }
        self.init(
            config: model.config, threads: model.threads, vectors: params, vectorCount: vectorCount,
            vector: { layout[$0]?.offset ?? -1 },
            matrix: { name in
                let spec = layout[name]!
                let o = DecodeModel.orientation(spec)
                return .f32(
                    F32Matrix(storage: params, offset: spec.offset, inC: o.inC, outC: o.outC, outMajor: o.outMajor))
            })
    }

    /// Every matrix of `model` (embeddings and head included) quantized to INT8 per output channel;
    /// norms and biases copied as F32.
    public static func quantizing(_ model: GPT) -> DecodeModel {
        let layout = model.layout
        var vectors: [Float] = [], offsets: [String: Int] = [:], matrices: [String: DecodeWeights] = [:]
        model.params.withUnsafeBufferPointer { P in
            for spec in layout.tensors {
                if spec.shape.count == 1 {
                    offsets[spec.name] = vectors.count
                    vectors += P[spec.range]
                } else {
                    let o = orientation(spec)
                    matrices[spec.name] = .int8(
                        Int8Matrix(
                            quantizing: P.baseAddress! + spec.offset, inC: o.inC, outC: o.outC, outMajor: o.outMajor))
                }
            }
        }
        return DecodeModel(
            config: model.config, threads: model.threads, vectors: vectors, vectorCount: vectors.count,
            vector: { offsets[$0] ?? -1 }, matrix: { matrices[$0]! })
    }

    /// The matrix called `name` (a `ParameterLayout` name), if the model has it.
    public func matrix(_ name: String) -> DecodeWeights? {
        switch name {
        case "wte.weight": return wte
        case "wpe.weight": return wpe
        case "lm_head.weight": return config.tieEmbeddings ? nil : head
        default:
            let parts = name.split(separator: ".")
            guard parts.count >= 4, parts[0] == "h", let l = Int(parts[1]), blocks.indices.contains(l) else {
                return nil
            }
            switch parts[2...].joined(separator: ".") {
            case "attn.c_attn.weight": return blocks[l].qkv
            case "attn.c_proj.weight": return blocks[l].proj
            case "mlp.c_fc.weight": return blocks[l].fc
            case "mlp.c_proj.weight": return blocks[l].fcproj
            default: return nil
            }
        }
    }

    /// The F32 values of the 1-D tensor `spec` (a norm gain or a bias), by its layout name.
    func vectorValues(_ spec: TensorSpec) -> ArraySlice<Float>? {
        let b = blocks, name = spec.name
        var off = -1
        switch name {
        case "ln_f.weight": off = lnfw
        case "ln_f.bias": off = lnfb
        default:
            let parts = name.split(separator: ".")
            guard parts.count >= 4, parts[0] == "h", let l = Int(parts[1]), b.indices.contains(l) else { return nil }
            let k = b[l]
            off =
                [
                    "ln_1.weight": k.ln1w, "ln_1.bias": k.ln1b, "attn.c_attn.bias": k.qkvb, "attn.c_proj.bias": k.projb,
                    "ln_2.weight": k.ln2w, "ln_2.bias": k.ln2b, "mlp.c_fc.bias": k.fcb, "mlp.c_proj.bias": k.fcprojb,
                ][parts[2...].joined(separator: ".")] ?? -1
        }
        guard off >= 0 else { return nil }
        return vectors[off..<(off + spec.count)]
    }

    /// An F32 `GPT` computing the same function: INT8 matrices dequantized (scale · q), norms and
    /// biases copied. What `sluice eval` runs for a quantized checkpoint (batched passes over whole
    /// chunks are bound by arithmetic, where cblas_sgemm on F32 is the fastest path).
    public func dequantizedGPT() throws -> GPT {
        let model = try GPT(config: config, threads: threads)
        fill(model)
        return model
    }

    /// Writes these weights into `model.params` (same config), dequantizing INT8 matrices.
    public func fill(_ model: GPT) {
        precondition(model.config == config, "fill: another model shape")
        let layout = model.layout
        model.params.withUnsafeMutableBufferPointer { P in
            for spec in layout.tensors {
                let dst = P.baseAddress! + spec.offset
                if spec.shape.count == 1 {
                    let v = vectorValues(spec)!
                    v.withUnsafeBufferPointer { dst.update(from: $0.baseAddress!, count: spec.count) }
                    continue
                }
                let o = DecodeModel.orientation(spec)
                switch matrix(spec.name)! {
                case .int8(let m): m.dequantize(into: dst, outMajor: o.outMajor)
                case .f32(let m):
                    precondition(m.outMajor == o.outMajor)
                    m.storage.withUnsafeBufferPointer {
                        dst.update(from: $0.baseAddress! + m.offset, count: spec.count)
                    }
                }
            }
        }
    }

    // MARK: - Pieces of the forward pass

    /// `P + offset`, or nil for a tensor the architecture does not have (offset −1).
    @inline(__always)
    public func opt(_ P: UnsafePointer<Float>, _ offset: Int) -> UnsafePointer<Float>? { offset < 0 ? nil : P + offset }

    /// Layer norm or RMS norm of `rows` rows of `config.width` (gain at offset `w`, bias at `b` of
    /// `V` = `vectors`' storage), as `GPT.normForward`.
    public func normForward(
        _ V: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, w: Int, b: Int,
        rows: Int
    ) {
        if config.norm == .rmsnorm {
            Kernels.rmsNormForward(
                out: out, rstd: nil, inp: inp, weight: V + w, rows: rows, C: config.width, threads: threads)
        } else {
            Kernels.layerNormForward(
                out: out, mean: nil, rstd: nil, inp: inp, weight: V + w, bias: V + b, rows: rows, C: config.width,
                threads: threads)
        }
    }
}
