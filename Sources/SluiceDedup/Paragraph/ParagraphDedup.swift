// `paragraph_dedup`: removes exact duplicate lines (or blank-line separated paragraphs) across the
// corpus, keeping the first occurrence, as dolma's `dedupe` paragraph mode and datatrove's line
// dedup do. Passes: hashes → duplicates (exact, partitioned), or one Bloom-filter pass; then a step
// that edits documents. It does not find near-duplicate paragraphs (that is minhash_dedup's job).
import Foundation
import SluiceCore

/// Removes repeated lines or paragraphs from documents; the first occurrence (smallest document
/// key, then position) stays. Documents an edit leaves with fewer than `min_words` words are
/// dropped with reason `paragraph_dedup:too_short`.
///
/// Passes: `index: exact` (default) hashes every unit with two xxHash64 seeds (one task per document
/// file, hash-partitioned runs), then lists the repeats per partition (one task each), like
/// `exact_dedup`. `index: bloom` runs one task over all files in order with a Bloom filter sized for
/// `bloom_capacity` units at `bloom_false_positive`: a false positive removes a unit that was not a
/// repeat, at that rate (dolma's design for corpora whose hashes do not fit in memory).
public struct ParagraphDedup: CorpusStage {
    public static let name = "paragraph_dedup"
    public static let summary = "exact duplicate lines/paragraphs removed across the corpus (dolma); keeps the first"
    public static let tooShort = DropReason("paragraph_dedup:too_short")
    public var settings: ParagraphSettings

    public init(options: inout StageOptions) throws {
        settings = try ParagraphSettings(options: &options)
    }

    public init(settings: ParagraphSettings) { self.settings = settings }

    public func passes() -> [any CorpusPass] {
        switch settings.index {
        case .exact: [ParagraphHashPass(settings: settings), ParagraphDuplicatePass(settings: settings)]
        case .bloom: [ParagraphBloomPass(settings: settings)]
        }
    }

    public func makeStep(environment: PassEnvironment) throws -> (any Step)? {
        try ParagraphDedupStep(
            workDirectory: environment.workDirectory, partitions: settings.index == .bloom ? 1 : settings.partitions,
            settings: settings)
    }
}

/// Options of `paragraph_dedup`.
public struct ParagraphSettings: Sendable {
    public enum Unit: String, Sendable { case line, paragraph }
    public enum Index: String, Sendable { case exact, bloom }
    public enum Mode: String, Sendable { case remove, tag }

    public var unit: Unit
    public var mode: Mode
    public var minWords: Int
    public var index: Index
    public var partitions: Int
    public var sortBuffer: Int
    public var bloomCapacity: Int
    public var bloomFalsePositive: Double

    public init(
        unit: Unit = .line, mode: Mode = .remove, minWords: Int = 0, index: Index = .exact, partitions: Int = 16,
        sortBuffer: Int = 256_000_000, bloomCapacity: Int = 100_000_000, bloomFalsePositive: Double = 1e-4
    ) {
        self.unit = unit
        self.mode = mode
        self.minWords = minWords
        self.index = index
        self.partitions = partitions
        self.sortBuffer = sortBuffer
        self.bloomCapacity = bloomCapacity
        self.bloomFalsePositive = bloomFalsePositive
    }

    public init(options: inout StageOptions) throws {
        unit = Unit(
            rawValue: try options.choice(
                "unit", default: "line", ["line", "paragraph"],
                "line: each newline-separated line (dolma's paragraphs); paragraph: blocks between blank lines"))!
        mode = Mode(
            rawValue: try options.choice(
                "mode", default: "remove", ["remove", "tag"],
                "remove: cut repeats out of the text; tag: only count them in metadata"))!
        minWords = try options.int(
            "min_words", default: 0, range: 0...1_000_000,
            "drop an edited document left with fewer words (0 = only when nothing is left)")
        index = Index(
            rawValue: try options.choice(
                "index", default: "exact", ["exact", "bloom"],
                "exact: sorted 128-bit hashes (distributable); bloom: one pass with a Bloom filter"))!
        partitions = try options.int(
            "partitions", default: 16, range: 1...4096, "exact index: hash partitions, one task each")
        sortBuffer = try options.bytes(
            "sort_buffer", default: 256_000_000, "exact index: hash records a task sorts in memory before spilling")
        guard sortBuffer >= 1024 else { throw options.error("sort_buffer", "must be at least 1KB") }
        bloomCapacity = try options.int(
            "bloom_capacity", default: 100_000_000, range: 1...Int(UInt32.max) * 16,
            "bloom index: units the filter is sized for (memory ≈ 2.4 bytes per unit at 1e-4)")
        bloomFalsePositive = try options.double(
            "bloom_false_positive", default: 1e-4, range: 1e-12...0.5,
            "bloom index: false-positive rate at capacity (a unit wrongly removed)")
    }
}

enum ParagraphLayout {
    static let hashMagic: StaticString = "SLPGHSH1"
    static let duplicateMagic: StaticString = "SLPGDUP1"

    static func partitionDirectory(_ work: String, _ p: Int) -> String {
        work + "/hashes/part-" + zeroPadded(p, width: 4)
    }
    static func runPath(_ work: String, partition: Int, file: Int, run: Int) -> String {
        partitionDirectory(work, partition) + "/" + zeroPadded(file, width: 5) + "-" + zeroPadded(run, width: 4)
            + ".bin"
    }
    static func duplicatePath(_ work: String, partition: Int) -> String {
        work + "/duplicates/part-" + zeroPadded(partition, width: 4) + ".bin"
    }
    static func summaryPath(_ work: String, partition: Int) -> String {
        work + "/duplicates/part-" + zeroPadded(partition, width: 4) + ".paragraph-summary.json"
    }

    /// The fourth record word: unit index in the high half, unit length in bytes in the low half.
    @inline(__always) static func unitWord(index: Int, length: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: index) << 32 | UInt64(min(length, Int(UInt32.max)))
    }
}

/// What the duplicates (or Bloom) pass found in one partition.
public struct ParagraphSummary: Codable, Sendable, Equatable {
    public var partition: Int
    public var units: Int
    public var distinct: Int
    public var duplicateUnits: Int
    public var duplicateBytes: Int
    /// Bloom index only: filter bits, hash functions, and the false-positive rate the final fill gives.
    public var bloomBits: Int?
    public var bloomHashes: Int?
    public var estimatedFalsePositive: Double?
}

/// Splits a text into dedup units and hashes them. One per task; holds scratch arrays.
struct UnitSplitter {
    let unit: ParagraphSettings.Unit
    /// Per unit: the stripped content (hashed) and the span removed with it (content's lines and
    /// the line breaks after them). Units empty after stripping are not listed.
    private(set) var contents: [Range<Int>] = []
    private(set) var spans: [Range<Int>] = []

    init(unit: ParagraphSettings.Unit) { self.unit = unit }

    mutating func split(_ b: UnsafeBufferPointer<UInt8>) {
        contents.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        let n = b.count
        var lineStart = 0
        var blockStart = -1  // paragraph mode: first byte of the open block
        var blockContent = 0..<0
        while lineStart < n {
            var lineEnd = lineStart
            while lineEnd < n && b[lineEnd] != 10 { lineEnd += 1 }
            let next = lineEnd < n ? lineEnd + 1 : n
            var s = lineStart
            var e = lineEnd
            while s < e && isSpace(b[s]) { s += 1 }
            while e > s && isSpace(b[e - 1]) { e -= 1 }
            switch unit {
            case .line:
                if s < e {
                    contents.append(s..<e)
                    spans.append(lineStart..<next)
                }
            case .paragraph:
                if s < e {
                    if blockStart < 0 {
                        blockStart = lineStart
                        blockContent = s..<e
                    } else {
                        blockContent = blockContent.lowerBound..<e
                    }
                } else if blockStart >= 0 {
                    contents.append(blockContent)
                    spans.append(blockStart..<lineStart)
                    blockStart = -1
                }
                // Blank lines after a block belong to its span, so removing it leaves one separator.
                if s == e, let last = spans.last, last.upperBound == lineStart, blockStart < 0 {
                    spans[spans.count - 1] = last.lowerBound..<next
                }
            }
            lineStart = next
        }
        if unit == .paragraph && blockStart >= 0 {
            contents.append(blockContent)
            spans.append(blockStart..<n)
        }
    }

    @inline(__always) private func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 13 || c == 11 || c == 12 }

    /// The 128-bit hash of unit content `r`.
    @inline(__always) static func hash(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> (UInt64, UInt64) {
        let raw = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(b)[r])
        return (xxHash64(raw, seed: 0x5041_5241), xxHash64(raw, seed: 0x4752_4150))
    }
}

/// Sorts a flat array of 4-word records lexicographically.
func sortQuads(_ flat: inout [UInt64]) {
    flat.withUnsafeMutableBytes { raw in
        raw.withMemoryRebound(to: WordQuad.self) { t in
            var t = t
            t.sort()
        }
    }
}

struct WordQuad: Comparable {
    var a: UInt64
    var b: UInt64
    var c: UInt64
    var d: UInt64
    @inline(__always) static func < (x: WordQuad, y: WordQuad) -> Bool {
        if x.a != y.a { return x.a < y.a }
        if x.b != y.b { return x.b < y.b }
        if x.c != y.c { return x.c < y.c }
        return x.d < y.d
    }
}
