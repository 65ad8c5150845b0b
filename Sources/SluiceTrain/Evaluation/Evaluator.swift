// Evaluation of a model: loss, perplexity and bits per byte on a text or a token stream (the
// chunking docs/train.md defines: chunks of T+1 ids overlapping by one), HellaSwag-style multiple
// choice and LAMBADA last-word accuracy. Sums run in Double in a fixed order, so the figures
// do not depend on the thread count.
import Foundation
import SluiceCore

/// Turns text into ids and back: the checkpoint's tokenizer, or a test double.
public protocol TextCodec {
    var vocabSize: Int { get }
    /// Ids of `text`, no special tokens added.
    func encode(_ text: String) -> [Int32]
    /// The text of `ids` (special tokens dropped).
    func decode(_ ids: [Int32]) -> String
}

/// Loss figures over a set of predicted ids.
public struct EvalResult: Sendable, Equatable {
    /// Predicted ids.
    public var tokens: Int
    /// Mean cross-entropy in nats.
    public var loss: Double
    /// e^loss.
    public var perplexity: Double { exp(loss) }
    /// Σ cross-entropy in bits / UTF-8 bytes of the text.
    public var bitsPerByte: Double

    /// `{"tokens": …, "loss": …, "perplexity": …, "bits_per_byte": …}`.
    public var json: String {
        "{\"tokens\": \(tokens), \"loss\": \(fmt(loss)), \"perplexity\": \(fmt(perplexity)), \"bits_per_byte\": \(fmt(bitsPerByte))}"
    }
}

func fmt(_ v: Double) -> String { v.isFinite ? String(format: "%.6f", v) : "null" }

/// Accuracy on a task file.
public struct TaskResult: Sendable, Equatable {
    /// `multiple-choice` or `lambada`.
    public var task: String
    /// Records scored.
    public var examples: Int
    /// Records answered correctly.
    public var correct: Int
    /// correct / examples.
    public var accuracy: Double { examples == 0 ? 0 : Double(correct) / Double(examples) }
    /// `{"task", "examples", "correct", "accuracy"}`.
    public var json: String {
        "{\"task\": \"\(task)\", \"examples\": \(examples), \"correct\": \(correct), \"accuracy\": \(fmt(accuracy))}"
    }
}

/// Evaluations of a loaded model.
public struct Evaluator {
    /// The model evaluated.
    public let model: GPT
    /// Full-length chunks run this many at a time.
    public var batchSize: Int

    /// - Parameter batchSize: full chunks per forward pass, lowered so that the logits and
    ///   attention buffers of a pass stay under ~512 MB (a 1024-token, 50k-vocabulary GPT-2 runs one at a time).
    public init(model: GPT, batchSize: Int = 8) {
        self.model = model
        let c = model.config
        let perSequence = c.contextLength * (c.vocabSize + c.heads * c.contextLength + 16 * c.width)
        self.batchSize = max(1, min(batchSize, (128 << 20) / max(1, perSequence)))
    }

    /// Loss over `ids` cut into chunks of T+1 ids overlapping by one (chunk k covers ids
    /// [k·T, k·T + T], the last possibly shorter); each chunk predicts ids 1… from those before.
    /// `bytes` is the UTF-8 length of the text the ids encode (for bits per byte).
    public func evaluate(ids: [Int32], bytes: Int) -> EvalResult {
        let T = model.config.contextLength, n = ids.count
        guard n >= 2 else { return EvalResult(tokens: 0, loss: .nan, bitsPerByte: .nan) }
        var starts: [Int] = []
        var k = 0
        while k * T < n - 1 {
            starts.append(k * T)
            k += 1
        }
        let full = starts.filter { $0 + T + 1 <= n }
        var total = 0.0, count = 0
        var i = 0
        while i < full.count {
            let group = Array(full[i..<min(i + batchSize, full.count)])
            var x = [Int32](), y = [Int32]()
            for s in group {
                x += ids[s..<(s + T)]
                y += ids[(s + 1)...(s + T)]
            }
            model.forward(tokens: x, targets: y, B: group.count, T: T)
            for l in model.lastLosses { total += Double(l) }
            count += group.count * T
            i += batchSize
        }
        if let last = starts.last, last + T + 1 > n {
            let len = n - 1 - last
            model.forward(tokens: Array(ids[last..<(last + len)]), targets: Array(ids[(last + 1)..<n]), B: 1, T: len)
            for l in model.lastLosses { total += Double(l) }
            count += len
        }
        return EvalResult(tokens: count, loss: total / Double(count), bitsPerByte: total / log(2.0) / Double(bytes))
    }

    /// `evaluate` over a whole text tokenized with `codec`.
    public func evaluate(text: String, codec: any TextCodec) -> EvalResult {
        evaluate(ids: codec.encode(text), bytes: text.utf8.count)
    }

    /// `evaluate` over every token of a stream; bytes are those of the decoded text.
    public func evaluate(stream: any TokenStream, codec: any TextCodec) throws -> EvalResult {
        let ids = try stream.read(0..<stream.tokenCount)
        try checkIDs(ids, vocab: model.config.vocabSize, source: stream.label, at: 0)
        return evaluate(ids: ids, bytes: codec.decode(ids).utf8.count)
    }

    /// Mean loss of `continuation` after `context` (context cut from the left to fit T).
    func continuationLoss(context: [Int32], continuation: [Int32]) -> (mean: Double, greedyMatches: Bool) {
        let T = model.config.contextLength
        var seq = context + continuation
        if seq.count > T + 1 { seq.removeFirst(seq.count - T - 1) }
        let m = min(continuation.count, seq.count - 1)
        let x = Array(seq.dropLast()), y = Array(seq.dropFirst())
        var targets = [Int32](repeating: -1, count: y.count)
        for i in (y.count - m)..<y.count { targets[i] = y[i] }
        let mean = model.forward(tokens: x, targets: targets, B: 1, T: x.count)
        var matches = true
        for i in (y.count - m)..<y.count {
            // After a pass with targets the row holds probabilities; argmax is unchanged.
            let row = model.lastRow(i)
            var best = 0
            for j in 1..<row.count where row[j] > row[best] { best = j }
            if Int32(best) != y[i] { matches = false }
        }
        return (mean, matches)
    }

    /// HellaSwag-style accuracy: each JSONL line `{"context", "endings": [...], "label"}`; the chosen
    /// ending is the one with the lowest mean loss. An ending is joined to its context with one
    /// space when neither side has one.
    /// - Throws: `corruptInput` naming file and line for a malformed record.
    public func multipleChoice(path: String, codec: any TextCodec) throws -> TaskResult {
        var result = TaskResult(task: "multiple-choice", examples: 0, correct: 0)
        try forEachJSONLine(path) { obj, line in
            guard let context = obj["context"] as? String, let endings = obj["endings"] as? [String], !endings.isEmpty,
                let label = obj["label"] as? Int, endings.indices.contains(label)
            else {
                throw SluiceError(
                    .corruptInput, "expected {\"context\", \"endings\": [...], \"label\"}", file: path, line: line)
            }
            let ctx = codec.encode(context)
            var best = 0, bestLoss = Double.infinity
            for (i, e) in endings.enumerated() {
                let joined = context.hasSuffix(" ") || e.hasPrefix(" ") || context.isEmpty ? e : " " + e
                let loss = continuationLoss(context: ctx, continuation: codec.encode(joined)).mean
                if loss < bestLoss {
                    bestLoss = loss
                    best = i
                }
            }
            result.examples += 1
            if best == label { result.correct += 1 }
        }
        return result
    }

    /// LAMBADA accuracy: each JSONL line `{"text"}`; the last word (after the last space) must
    /// come out of greedy decoding, every one of its tokens.
    public func lambada(path: String, codec: any TextCodec) throws -> TaskResult {
        var result = TaskResult(task: "lambada", examples: 0, correct: 0)
        try forEachJSONLine(path) { obj, line in
            guard let text = obj["text"] as? String, let cut = text.utf8.lastIndex(of: 0x20), cut > text.utf8.startIndex
            else {
                throw SluiceError(.corruptInput, "expected {\"text\"} with at least two words", file: path, line: line)
            }
            let context = String(text[..<cut]), target = String(text[cut...])
            let r = continuationLoss(context: codec.encode(context), continuation: codec.encode(target))
            result.examples += 1
            if r.greedyMatches { result.correct += 1 }
        }
        return result
    }
}

/// Calls `body` with each non-empty line of a JSONL file parsed as an object, and its 1-based line.
func forEachJSONLine(_ path: String, _ body: ([String: Any], Int) throws -> Void) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw SluiceError(.io, "cannot read", file: path)
    }
    var line = 0
    for raw in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
        line += 1
        if raw.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any] else {
            throw SluiceError(.corruptInput, "not a JSON object", file: path, line: line)
        }
        try body(obj, line)
    }
}

extension Evaluator {
    /// The raw logits (after soft-capping, before softmax) of every position of `ids` as JSON, one row
    /// per position (`[[l0, l1, …], …]`), shortest round-trip float text: for comparing any checkpoint
    /// with another implementation (`sluice eval --logits 1,5,9`).
    /// - Throws: a config error for an empty list, an id outside the vocabulary or more ids than the context.
    public func logitsJSON(ids: [Int32]) throws -> String {
        let c = model.config
        guard !ids.isEmpty, ids.count <= c.contextLength else {
            throw SluiceError(.config, "--logits needs 1…\(c.contextLength) ids (got \(ids.count))")
        }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= c.vocabSize }) {
            throw SluiceError(.config, "token id \(bad) is outside the vocabulary of \(c.vocabSize)")
        }
        model.forward(tokens: ids, targets: nil, B: 1, T: ids.count)
        var out = "["
        for t in 0..<ids.count {
            if t > 0 { out += ",\n " }
            out += "[" + model.lastRow(t).map { "\($0)" }.joined(separator: ", ") + "]"
        }
        return out + "]"
    }
}
