// `sluice quantize`: loads an F32 checkpoint, optionally prunes its linear layers by magnitude,
// quantizes every matrix to INT8 per output channel, writes the folder, and reports sizes, sparsity
// and (given a text) bits per byte before and after. Every check on the inputs runs before any work.
import Foundation
import SluiceCore

/// What `Quantizer.run` does.
public struct QuantizeOptions: Sendable {
    /// Bits per weight: 8 is the only width.
    public var bits = 8
    /// Fraction of each linear layer's weights zeroed by magnitude first, in [0, 1).
    public var prune = 0.0
    /// A UTF-8 text: bits per byte of the original and the quantized model on it.
    public var evalText: String?
    /// Threads for the kernels.
    public var threads = 2
    public init() {}
}

/// What `Quantizer.run` did.
public struct QuantizeSummary: Sendable {
    /// Matrices quantized (the tied head counted once) and the weights in them.
    public var matrices = 0, matrixWeights = 0
    /// Bytes of the weights before (F32) and after (INT8 matrices + F32 scales, norms and biases).
    public var f32Bytes = 0, int8Bytes = 0
    /// The pruning asked for, the matrices pruned (attention, MLP, an untied head) and their weights.
    public var pruneFraction = 0.0, prunedMatrices = 0, prunedWeights = 0
    /// INT8 weights that are zero: in the pruned matrices, and in all matrices.
    public var prunedZeros = 0, zeros = 0
    /// Bits per byte of `evalText` before and after (nil without a text).
    public var bitsPerByteF32: Double?, bitsPerByteInt8: Double?

    /// Zero weights / weights of the pruned matrices (0 without pruning).
    public var prunedSparsity: Double { prunedWeights == 0 ? 0 : Double(prunedZeros) / Double(prunedWeights) }
    /// Zero weights / all matrix weights.
    public var sparsity: Double { matrixWeights == 0 ? 0 : Double(zeros) / Double(matrixWeights) }

    /// One JSON object (keys in docs/quantize.md).
    public var json: String {
        var s = "{\"bits\": 8, \"matrices\": \(matrices), \"matrix_weights\": \(matrixWeights), "
        s += "\"f32_bytes\": \(f32Bytes), \"int8_bytes\": \(int8Bytes), "
        s += "\"prune_fraction\": \(fmt(pruneFraction)), \"pruned_matrices\": \(prunedMatrices), "
        s += "\"pruned_sparsity\": \(fmt(prunedSparsity)), \"sparsity\": \(fmt(sparsity))"
        if let a = bitsPerByteF32, let b = bitsPerByteInt8 {
            s +=
                ", \"bits_per_byte_f32\": \(fmt(a)), \"bits_per_byte_int8\": \(fmt(b)), \"bits_per_byte_change\": \(fmt((b - a) / a))"
        }
        return s + "}"
    }
}

/// Producing an INT8 checkpoint from an F32 one.
public enum Quantizer {
    /// Whether `name` is a linear layer that `--prune` prunes: the block matrices and an untied head,
    /// not the embeddings (a pruned row of `wte` loses a token's whole representation).
    public static func isPrunable(_ name: String) -> Bool { name.hasPrefix("h.") || name == "lm_head.weight" }

    /// Quantizes the checkpoint folder `checkpoint` into the new folder `out`.
    /// - Throws: a config error for bits other than 8, a prune fraction outside [0, 1), a folder
    ///   that is no checkpoint or is already quantized, `out` equal to `checkpoint` or an existing
    ///   folder that is not a quantized checkpoint; io errors for an unreadable `evalText`.
    public static func run(checkpoint: String, out: String, options: QuantizeOptions) throws -> QuantizeSummary {
        guard options.bits == 8 else {
            throw SluiceError(.config, "--bits \(options.bits) is not supported: INT8 (--bits 8) is the only width")
        }
        guard options.prune >= 0 && options.prune < 1 else {
            throw SluiceError(
                .config, "--prune \(options.prune) is outside [0, 1): it is the fraction of each matrix zeroed")
        }
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: checkpoint, isDirectory: &isDir), isDir.boolValue else {
            throw SluiceError(.io, "checkpoint folder does not exist", file: checkpoint)
        }
        if let q = try QuantizedCheckpoint.quantizationConfig(checkpoint) {
            throw SluiceError(
                .config,
                "checkpoint is already quantized (\(q["quant_method"] ?? "unknown method")); quantize its F32 source instead",
                file: checkpoint)
        }
        guard fm.fileExists(atPath: checkpoint + "/model.safetensors") else {
            throw SluiceError(.io, "not a checkpoint folder (no model.safetensors)", file: checkpoint)
        }
        let src = URL(fileURLWithPath: checkpoint).standardizedFileURL.path,
            dst = URL(fileURLWithPath: out).standardizedFileURL.path
        guard src != dst else {
            throw SluiceError(.config, "--out must be a new folder, not the checkpoint itself", file: out)
        }
        if fm.fileExists(atPath: out) {
            guard (try? QuantizedCheckpoint.quantizationConfig(out)) != nil else {
                throw SluiceError(
                    .config, "--out exists and is not a quantized checkpoint; choose a new folder", file: out)
            }
        }
        var text: String?
        var codec: TokenizerCodec?
        if let path = options.evalText {
            guard let d = fm.contents(atPath: path) else { throw SluiceError(.io, "cannot read", file: path) }
            guard let s = String(data: d, encoding: .utf8) else {
                throw SluiceError(.corruptInput, "not valid UTF-8", file: path)
            }
            text = s
            codec = try TokenizerCodec.load(checkpoint: checkpoint)
        }

        let (_, configJSON) = try QuantizedCheckpoint.readConfig(checkpoint)
        let model = try Checkpoint.load(checkpoint, threads: options.threads)
        var summary = QuantizeSummary()
        summary.pruneFraction = options.prune
        summary.f32Bytes = DecodeModel(model: model).weightBytes
        if let text, let codec {
            summary.bitsPerByteF32 = Evaluator(model: model).evaluate(text: text, codec: codec).bitsPerByte
        }
        if options.prune > 0 {
            model.params.withUnsafeMutableBufferPointer { P in
                for spec in model.layout.tensors where spec.shape.count == 2 && isPrunable(spec.name) {
                    magnitudePrune(UnsafeMutableBufferPointer(rebasing: P[spec.range]), fraction: options.prune)
                }
            }
        }
        let quantized = DecodeModel.quantizing(model)
        for spec in model.layout.tensors where spec.shape.count == 2 {
            guard case .int8(let m) = quantized.matrix(spec.name)! else { continue }
            let z = m.zeroCount
            summary.matrices += 1
            summary.matrixWeights += m.q.count
            summary.zeros += z
            if options.prune > 0 && isPrunable(spec.name) {
                summary.prunedMatrices += 1
                summary.prunedWeights += m.q.count
                summary.prunedZeros += z
            }
        }
        summary.int8Bytes = quantized.weightBytes
        let tokenizer = checkpoint + "/tokenizer.json"
        try QuantizedCheckpoint.save(
            quantized, configJSON: configJSON, to: out,
            tokenizerPath: fm.fileExists(atPath: tokenizer) ? tokenizer : nil,
            pruneFraction: options.prune)
        if let text, let codec {
            // The quantized function in F32 (scale · q in place of each weight), as `sluice eval` runs it.
            quantized.fill(model)
            summary.bitsPerByteInt8 = Evaluator(model: model).evaluate(text: text, codec: codec).bitsPerByte
        }
        return summary
    }
}
