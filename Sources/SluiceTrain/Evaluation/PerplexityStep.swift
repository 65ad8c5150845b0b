// Step `perplexity`: scores each document with a Sluice checkpoint (CCNet / RedPajama's signal:
// the perplexity of a language model trained on Wikipedia), writing `perplexity` and
// `bits_per_byte` over the document's first `max_tokens` tokens — the same figures as
// `sluice eval --text` on that text. Optional drop above a bits-per-byte threshold and CCNet's
// head / middle / tail bucket tag. The model is loaded once per task; no KV cache is needed.
import Foundation
import SluiceCore

/// Scores documents by a checkpoint's perplexity and optionally filters or buckets them.
public struct PerplexityStep: Step {
    public static let name = "perplexity"
    public static let summary =
        "language-model perplexity and bits per byte of each document (CCNet); optional threshold and head/middle/tail tags"
    /// Above `max_bits_per_byte`.
    public static let tooHigh = DropReason("perplexity:too_high")
    /// Fewer than two tokens: nothing to predict (dropped only when a threshold is set).
    public static let tooShort = DropReason("perplexity:too_short")

    public var checkpoint: String
    public var maxTokens: Int
    public var threads: Int
    public var maxBitsPerByte: Double?
    /// CCNet's bucket edges on perplexity: ≤ first head, ≤ second middle, else tail (empty: no tag).
    public var buckets: [Double]
    public var perplexityKey: String
    public var bitsKey: String

    private var evaluator: Evaluator?
    private var codec: TokenizerCodec?

    public init(options: inout StageOptions) throws {
        checkpoint = try options.string(
            "checkpoint", "checkpoint folder (config.json, model.safetensors, tokenizer.json)")
        maxTokens = try options.int(
            "max_tokens", default: 512, range: 2...1_000_000, "score the first this many tokens of each document")
        threads = try options.int("threads", default: 1, range: 1...256, "BLAS threads per task")
        let limit = try options.double(
            "max_bits_per_byte", default: 0, range: 0...1000, "drop documents above this many bits per byte (0: never)")
        maxBitsPerByte = limit > 0 ? limit : nil
        let edges = try options.stringList(
            "buckets", default: [],
            "two perplexity edges [head_max, middle_max]: tag perplexity_bucket head/middle/tail")
        buckets = try edges.map { s in
            guard let d = Double(s), d.isFinite else { throw options.error("buckets", "'\(s)' is not a number") }
            return d
        }
        guard buckets.isEmpty || (buckets.count == 2 && buckets[0] <= buckets[1]) else {
            throw options.error("buckets", "needs two increasing perplexity edges, e.g. [300, 800]")
        }
        perplexityKey = try options.string("perplexity_key", default: "perplexity", "metadata key for the perplexity")
        bitsKey = try options.string("bits_key", default: "bits_per_byte", "metadata key for bits per byte")
    }

    public func validate() throws {
        let fm = FileManager.default
        for f in ["config.json", "model.safetensors", "tokenizer.json"]
        where !fm.fileExists(atPath: checkpoint + "/" + f) {
            throw SluiceError(
                .config, "perplexity.checkpoint: no \(f) (a folder written by `sluice train`)", file: checkpoint)
        }
    }

    public mutating func prepare(context: TaskContext) throws {
        // Each task gets its own model (the forward pass keeps activations in the model). The
        // process starts OpenBLAS with one thread (Sluice.swift), so `threads` must reach it too:
        // without this the matrix products, nine tenths of the time, ran on one core.
        BLAS.setThreads(threads)
        let model = try Checkpoint.load(checkpoint, threads: threads)
        try model.config.requireCausal("the perplexity step", file: checkpoint)
        evaluator = Evaluator(model: model)
        codec = try TokenizerCodec.load(checkpoint: checkpoint)
    }

    /// Perplexity and bits per byte of `text`'s first `maxTokens` tokens (NaN when under two tokens).
    public func score(_ text: String) -> EvalResult {
        guard let evaluator, let codec else { preconditionFailure("perplexity: prepare was not called") }
        let ids = codec.encode(text)
        if ids.count <= maxTokens { return evaluator.evaluate(ids: ids, bytes: text.utf8.count) }
        let prefix = Array(ids[..<maxTokens])
        return evaluator.evaluate(ids: prefix, bytes: codec.decode(prefix).utf8.count)
    }

    public mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
        if evaluator == nil { try prepare(context: context) }
        let r = score(document.text)
        guard r.tokens > 0, r.loss.isFinite else { return maxBitsPerByte == nil ? .keep : .drop(Self.tooShort) }
        let perplexity = r.perplexity
        document.metadata[perplexityKey] = .double((perplexity * 1e4).rounded() / 1e4)
        document.metadata[bitsKey] = .double((r.bitsPerByte * 1e6).rounded() / 1e6)
        if buckets.count == 2 {
            let tag = perplexity <= buckets[0] ? "head" : perplexity <= buckets[1] ? "middle" : "tail"
            document.metadata[perplexityKey + "_bucket"] = .string(tag)
        }
        if let maxBitsPerByte, r.bitsPerByte > maxBitsPerByte { return .drop(Self.tooHigh) }
        return .keep
    }
}
