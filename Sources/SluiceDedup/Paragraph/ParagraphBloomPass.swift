// The Bloom-filter index of `paragraph_dedup`: one task reads every document file in order and
// marks a unit as a repeat when the filter already holds its hash. Memory is the filter only,
// fixed by `bloom_capacity` and `bloom_false_positive`; it is one task, so it does not distribute.
import Foundation
import SluiceCore

/// A Bloom filter with `k` probes by double hashing (Kirsch & Mitzenmacher 2006).
struct BloomFilter {
    private var words: [UInt64]
    let bits: Int
    let hashes: Int
    private(set) var setBits = 0

    /// Sized for `capacity` items at false-positive rate `p`: m = −n ln p / (ln 2)², k = m/n · ln 2.
    init(capacity: Int, falsePositive p: Double) {
        let m = max(64, Int((-Double(capacity) * log(p) / (log(2.0) * log(2.0))).rounded(.up)))
        bits = (m + 63) / 64 * 64
        hashes = max(1, Int((Double(bits) / Double(capacity) * log(2.0)).rounded()))
        words = [UInt64](repeating: 0, count: bits / 64)
    }

    /// Inserts the item with hashes `h1`, `h2`; returns whether it (probably) was already there.
    mutating func insert(_ h1: UInt64, _ h2: UInt64) -> Bool {
        var present = true
        let m = UInt64(bits)
        for i in 0..<UInt64(hashes) {
            let bit = Int((h1 &+ i &* (h2 | 1)) % m)
            let mask: UInt64 = 1 << UInt64(bit & 63)
            if words[bit >> 6] & mask == 0 {
                present = false
                words[bit >> 6] |= mask
                setBits += 1
            }
        }
        return present
    }

    /// The false-positive rate the current fill gives: (set bits / bits)^k.
    var estimatedFalsePositive: Double { pow(Double(setBits) / Double(bits), Double(hashes)) }
}

/// One task over all document files in order; writes the repeats as partition 0's duplicate list.
public struct ParagraphBloomPass: CorpusPass {
    public let name = "bloom"
    public let settings: ParagraphSettings

    public init(settings: ParagraphSettings) { self.settings = settings }

    public func taskCount(environment: PassEnvironment) -> Int { 1 }

    public func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
        let work = environment.workDirectory
        var filter = BloomFilter(capacity: settings.bloomCapacity, falsePositive: settings.bloomFalsePositive)
        var splitter = UnitSplitter(unit: settings.unit)
        var duplicates: [UInt64] = []
        var units = 0
        var bytes = 0
        for (f, file) in environment.documentFiles.enumerated() {
            var reader = try DocumentTextReader(path: file)
            try reader.forEach(onBadLine: { _, at in
                context.reportBadRecord("paragraph_dedup:bad_document", file: at, "no string text field")
            }) { ordinal, text in
                splitter.split(text)
                for (u, r) in splitter.contents.enumerated() {
                    units += 1
                    let (h1, h2) = UnitSplitter.hash(text, r)
                    if filter.insert(h1, h2) {
                        // Files, ordinals and units arrive in order, so the list is sorted by key.
                        duplicates.append(DocumentKey.make(file: f, ordinal: ordinal))
                        duplicates.append(ParagraphLayout.unitWord(index: u, length: r.count))
                        bytes += r.count
                    }
                }
            }
        }
        let path = ParagraphLayout.duplicatePath(work, partition: 0)
        try RecordFile.write(duplicates, width: 2, magic: ParagraphLayout.duplicateMagic, to: path)
        let summary = ParagraphLayout.summaryPath(work, partition: 0)
        try writeJSON(
            ParagraphSummary(
                partition: 0, units: units, distinct: units - duplicates.count / 2,
                duplicateUnits: duplicates.count / 2,
                duplicateBytes: bytes, bloomBits: filter.bits, bloomHashes: filter.hashes,
                estimatedFalsePositive: filter.estimatedFalsePositive),
            to: summary)
        context.recordCommittedFile(path)
        context.recordCommittedFile(summary)
        context.count("duplicate_units", by: duplicates.count / 2)
        // Past its capacity the filter's false-positive rate grows; the summary gives the rate reached.
        if units > settings.bloomCapacity {
            context.count("units_over_bloom_capacity", by: units - settings.bloomCapacity)
        }
    }
}
