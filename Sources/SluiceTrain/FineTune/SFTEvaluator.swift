// `sluice eval --task sft FILE`: the mean loss of every assistant token (packed, segment-masked
// windows, exactly what fine-tuning optimises) and the exact match of greedy responses: for each
// conversation, everything before its last assistant turn is the prompt, greedy decoding runs
// to the end-of-turn marker, and the decoded text must equal the reference (surrounding
// whitespace ignored). A checkpoint without the chat markers (the model before fine-tuning) gets
// them as `sluice finetune` adds them, so before and after are measured the same way.
import Foundation
import SluiceCore
import SluiceTokenize

/// The result of `sluice eval --task sft`.
public struct SFTEvaluation: Sendable {
    public var conversations = 0
    public var assistantTokens = 0
    /// Mean cross-entropy (nats) per assistant token.
    public var loss = 0.0
    /// Conversations whose greedy response equals the reference.
    public var matched = 0
    /// Conversations generated for exact match.
    public var generated = 0
    public var counts = SFTCounts()
    /// A few (reference, response) pairs, for the eye.
    public var samples: [(reference: String, response: String)] = []

    public var exactMatch: Double { generated == 0 ? 0 : Double(matched) / Double(generated) }

    public var json: String {
        var o: JSONObject = [
            "task": "sft", "conversations": .int(Int64(conversations)),
            "assistant_tokens": .int(Int64(assistantTokens)),
            "loss": .double(loss), "exact_match": .double(exactMatch), "matched": .int(Int64(matched)),
            "generated": .int(Int64(generated)),
        ]
        o["counts"] = .object(counts.json)
        o["samples"] = .array(
            samples.map { .object(["reference": .string($0.reference), "response": .string($0.response)]) })
        return JSONSerializer.spacedString(.object(o))
    }
}

/// Assistant-token loss and exact match of a model on conversations.
public enum SFTEvaluator {
    /// Sum and count of the losses of every target of `windows`, B windows per forward pass.
    public static func loss(model: GPT, windows: PackedWindows, batchSize: Int) -> (loss: Double, tokens: Int) {
        let T = windows.T, W = windows.count
        var sum = 0.0, n = 0
        var w = 0
        while w < W {
            let B = min(batchSize, W - w)
            var x: [Int32] = [], y: [Int32] = [], s: [Int32] = []
            for k in 0..<B {
                let (a, b, c) = windows.window(w + k)
                x += a
                y += b
                s += c
            }
            model.forward(tokens: x, targets: y, B: B, T: T, segmentStarts: s)
            let losses = model.lastLosses
            for i in 0..<(B * T) where y[i] >= 0 {
                sum += Double(losses[i])
                n += 1
            }
            w += B
        }
        return (n == 0 ? 0 : sum / Double(n), n)
    }

    /// Evaluates `model` with `tokenizer` (which has the template's markers) on `examples`.
    /// - Parameters:
    ///   - exactMatchLimit: generate for the first this many conversations (all when nil).
    ///   - maxNewTokens: a response longer than this many ids is cut (and cannot match).
    public static func evaluate(
        model: GPT, tokenizer: Tokenizer, template: ChatTemplate, examples: [SFTExample], counts: SFTCounts,
        batchSize: Int = 8, maxNewTokens: Int = 64, exactMatchLimit: Int? = nil, samples: Int = 3
    ) throws -> SFTEvaluation {
        let T = model.config.contextLength
        let encoder = try SFTEncoder(template: template, tokenizer: tokenizer, contextLength: T)
        var r = SFTEvaluation()
        r.counts = counts
        var seqs: [SFTSequence] = []
        for e in examples { seqs.append(encoder.encode(e.messages, counts: &r.counts)) }
        r.counts.kept = seqs.count
        r.conversations = seqs.count
        let windows = PackedWindows(seqs, T: T, pad: encoder.markerIDs.endOfTurn)
        let (l, n) = loss(model: model, windows: windows, batchSize: batchSize)
        r.loss = l
        r.assistantTokens = n
        let gen = Generator(model: model)
        var o = SamplingOptions()
        o.temperature = 0
        o.stopID = encoder.markerIDs.endOfTurn
        for e in examples.prefix(exactMatchLimit ?? examples.count) {
            let room = min(maxNewTokens, T / 2)
            guard let pr = encoder.promptAndReference(e.messages, room: room) else { continue }
            let (prompt, reference) = pr
            o.maxTokens = min(maxNewTokens, T - prompt.count)
            let ids = gen.generate(prompt: prompt, options: o)
            let response = tokenizer.decode(ids.map { UInt32(bitPattern: $0) }, skipSpecialTokens: false)
            r.generated += 1
            let trim = { (s: String) in s.trimmingCharacters(in: .whitespacesAndNewlines) }
            if trim(response) == trim(reference) { r.matched += 1 }
            if r.samples.count < samples { r.samples.append((reference, response)) }
        }
        return r
    }

    /// Loads a checkpoint and its chat template (tokenizer_config.json; the standard template
    /// when it has none), adds missing markers as fine-tuning would, and evaluates `paths`.
    public static func evaluate(
        checkpoint: String, paths: [String], threads: Int = 2, batchSize: Int = 8, maxNewTokens: Int = 64,
        exactMatchLimit: Int? = nil, log: (String) -> Void = { _ in }
    ) throws -> SFTEvaluation {
        let base = try Checkpoint.load(checkpoint, threads: threads)
        let baseTokenizer = try TokenizerCodec.load(checkpoint: checkpoint).tokenizer
        let template = try ChatTemplate.load(checkpoint: checkpoint) ?? .standard
        let (tokenizer, added) = try template.extend(baseTokenizer)
        let model = try base.withVocabulary(tokenizer.vocabSize, newRows: baseTokenizer.vocabSize..<tokenizer.vocabSize)
        if !added.isEmpty {
            log("\(checkpoint) has no \(added.joined(separator: " ")): added as fine-tuning adds them (mean rows)")
        }
        var counts = SFTCounts()
        let examples = try SFTReader.read(paths: paths, template: template, counts: &counts, log: log)
        return try evaluate(
            model: model, tokenizer: tokenizer, template: template, examples: examples, counts: counts,
            batchSize: batchSize,
            maxNewTokens: maxNewTokens, exactMatchLimit: exactMatchLimit)
    }
}
