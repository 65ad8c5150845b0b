// Library side of `sluice shards write` and `sluice shards sample`: shards from text or JSONL
// files without a pipeline (one task per input file, on all cores), and random-window reads
// (a spot check, and the read benchmark).
import Foundation
import SluiceCore

/// Shard writing and sampling outside a pipeline.
public enum ShardTools {
    /// What `write` did.
    public struct WriteSummary: Sendable {
        public var documents = 0
        public var tokens = 0
        public var textBytes = 0
        public var seconds = 0.0
    }

    /// Encodes every sequence of `inputs` (text: one document per line; JSONL: the "text" of
    /// each line) into shards under `output` (train/ and validation/), one task per input file.
    /// - Throws: `SluiceError` for unreadable inputs, a bad tokenizer, or failed writes.
    public static func write(
        inputs: [String], tokenizerPath: String, output: String, writer: TokenizeWriter, workers: Int
    ) throws -> WriteSummary {
        let start = Date()
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let n = max(1, min(workers, inputs.count))
        var summaries = [WriteSummary](repeating: WriteSummary(), count: inputs.count)
        var errors = [SluiceError?](repeating: nil, count: inputs.count)
        summaries.withUnsafeMutableBufferPointer { sums in
            errors.withUnsafeMutableBufferPointer { errs in
                nonisolated(unsafe) let s = sums
                nonisolated(unsafe) let e = errs
                // Each task copies the unprepared writer (options only) and prepares its own copy.
                nonisolated(unsafe) let template = writer
                DispatchQueue.concurrentPerform(iterations: n) { w in
                    var i = w
                    while i < inputs.count {
                        do {
                            s[i] = try writeOne(
                                inputs[i], task: i, tasks: inputs.count, output: output, writer: template)
                        } catch {
                            e[i] = error as? SluiceError ?? SluiceError(.io, "\(error)", file: inputs[i])
                        }
                        i += n
                    }
                }
            }
        }
        if let e = errors.compactMap({ $0 }).first { throw e }
        var total = WriteSummary()
        for s in summaries {
            total.documents += s.documents
            total.tokens += s.tokens
            total.textBytes += s.textBytes
        }
        total.seconds = Date().timeIntervalSince(start)
        return total
    }

    static func writeOne(_ input: String, task: Int, tasks: Int, output: String, writer: TokenizeWriter) throws
        -> WriteSummary
    {
        var w = writer
        let context = TaskContext(
            taskIndex: task, taskCount: tasks, outputDirectory: output, temporaryDirectory: output,
            stageNames: ["tokenize"])
        try w.prepare(context: context)
        var summary = WriteSummary()
        var ordinal = 0
        let name = (input as NSString).lastPathComponent
        try TrainingCorpus.forEachBlock(input) { block in
            try TrainingCorpus.forEachSequence(in: block) { seq in
                var end = seq.count
                if !block.jsonl { while end > 0 && (seq[end - 1] == 0x0A || seq[end - 1] == 0x0D) { end -= 1 } }
                guard end > 0 else { return }
                let text = String(decoding: UnsafeBufferPointer(rebasing: seq[0..<end]), as: UTF8.self)
                try w.write(Document(id: "\(name):\(ordinal)", text: text, source: name), context: context)
                ordinal += 1
                summary.documents += 1
                summary.textBytes += end
            }
        }
        try w.finish(context: context)
        summary.tokens = context.stats.stages[0].counters.filter { $0.key.hasPrefix("tokens_") }.reduce(0) {
            $0 + $1.value
        }
        return summary
    }

    /// What `sample` read.
    public struct SampleSummary: Sendable {
        public var windows = 0
        public var tokens = 0
        public var seconds = 0.0
        /// Sum of all ids read (a checksum to compare readers).
        public var idSum: UInt64 = 0
    }

    /// Reads `windows` random windows of `length` tokens (seeded) from a split.
    public static func sample(_ data: ShardDataset, windows: Int, length: Int, seed: UInt64) throws -> SampleSummary {
        guard data.tokenCount > length else {
            throw SluiceError(
                .usage, "split has \(data.tokenCount) tokens, not more than the window length \(length)",
                file: data.directory)
        }
        var state = seed
        var buffer = [UInt32](repeating: 0, count: length)
        var summary = SampleSummary()
        let start = Date()
        for _ in 0..<windows {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let a = Int((state >> 11) % UInt64(data.tokenCount - length))
            try buffer.withUnsafeMutableBufferPointer { try data.read(a..<(a + length), into: $0) }
            for t in buffer { summary.idSum &+= UInt64(t) }
            summary.windows += 1
            summary.tokens += length
        }
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }
}
