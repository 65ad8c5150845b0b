// Pass 1 of `decontaminate`: one task reads every evaluation file and writes the sorted n-gram
// hash index, each hash with a bit per eval set holding it, minus the allow-list.
import Foundation
import SluiceCore

/// What the index holds for one evaluation file.
public struct EvalSetIndexSummary: Codable, Sendable, Equatable {
    public var name: String
    public var path: String
    public var examples: Int
    /// Examples with fewer words than one n-gram (they cannot match).
    public var shortExamples: Int
    /// Distinct n-grams of this set in the index (after the allow-list).
    public var ngrams: Int
}

/// Index: one task. Memory: the n-grams of all eval sets (16 bytes each, twice while sorting).
public struct DecontamIndexPass: CorpusPass {
    public let name = "index"
    public let settings: DecontamSettings

    public init(settings: DecontamSettings) { self.settings = settings }

    public func taskCount(environment: PassEnvironment) -> Int { 1 }

    public func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
        let work = environment.workDirectory
        let shingler = try Shingler(kind: .words, n: settings.ngram)
        let allowed = try settings.allowList.map { try EvalSetFile.allowList($0, shingler: shingler) } ?? []
        var records: [UInt64] = []  // (hash, set bit)
        var summaries: [EvalSetIndexSummary] = []
        var hashes: [UInt64] = []
        for (s, path) in settings.evalSets.enumerated() {
            var summary = EvalSetIndexSummary(
                name: settings.names[s], path: path, examples: 0, shortExamples: 0, ngrams: 0)
            var own = Set<UInt64>()
            try EvalSetFile.forEachExample(path) { _, text in
                summary.examples += 1
                guard ngramHashes(text, shingler: shingler, into: &hashes) else {
                    summary.shortExamples += 1
                    return
                }
                for h in hashes where !allowed.contains(h) && own.insert(h).inserted {
                    records.append(h)
                    records.append(1 << UInt64(s))
                }
            }
            summary.ngrams = own.count
            summaries.append(summary)
        }
        // Sort by hash and merge the bits of sets sharing an n-gram.
        try sortPairs(&records)
        var merged: [UInt64] = []
        merged.reserveCapacity(records.count)
        var i = 0
        while i < records.count {
            if let last = merged.last, merged.count >= 2, merged[merged.count - 2] == records[i] {
                merged[merged.count - 1] = last | records[i + 1]
            } else {
                merged.append(records[i])
                merged.append(records[i + 1])
            }
            i += 2
        }
        try RecordFile.write(merged, width: 2, magic: DecontamLayout.indexMagic, to: DecontamLayout.indexPath(work))
        try writeJSON(summaries, to: DecontamLayout.indexSummaryPath(work))
        context.recordCommittedFile(DecontamLayout.indexPath(work))
        context.recordCommittedFile(DecontamLayout.indexSummaryPath(work))
        context.count("eval_ngrams", by: merged.count / 2)
    }
}

/// The n-gram hashes of `text` into `out`; false (and `out` empty) when it has fewer than n words.
func ngramHashes(_ text: UnsafeBufferPointer<UInt8>, shingler: Shingler, into out: inout [UInt64]) -> Bool {
    shingler.shingles(of: text, into: &out)
    guard out.count == 1 else { return !out.isEmpty }
    // One shingle: exactly n words, or fewer (the shingler then hashes them all); tell them apart.
    let words = shingler.simplifiedText(String(decoding: text, as: UTF8.self)).split(separator: " ").count
    if words < shingler.n { out.removeAll(keepingCapacity: true) }
    return !out.isEmpty
}
