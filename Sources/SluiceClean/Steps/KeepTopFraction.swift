// `keep_top_fraction`: DCLM's percentile rule — keep the given share of the corpus with the highest
// score — as a corpus stage over a numeric metadata key that an earlier step wrote (`classify` with
// `direction: none`, `language`, …). Pass `scores` records (score, document key) per document file;
// pass `threshold` sorts them all and finds the exact cut; the filter step keeps the documents above
// it. Ties are broken by document key (corpus order: earlier documents first), so the kept count is
// exact and the same on every run. It does not score documents itself.
import Foundation
import SluiceCore

/// Keeps the top `fraction` of documents by `metadata[key]`, exactly, across the whole corpus.
///
/// Memory: the `threshold` task holds 16 bytes per scored document (100 M documents: 1.6 GB).
public struct KeepTopFraction: CorpusStage {
    public static let name = "keep_top_fraction"
    public static let summary =
        "keep the top share of the corpus by a metadata score (DCLM: 10 % by classifier score); exact, ties by corpus order"
    /// A document whose score is at or below the cut.
    public static let belowThreshold = DropReason("keep_top_fraction:below_threshold")
    /// A document without a numeric score under `key`.
    public static let noScore = DropReason("keep_top_fraction:no_score")

    public var key: String
    public var fraction: Double
    /// `highest` (classifier scores) or `lowest` (perplexity, bits per byte).
    public var order: String

    public init(options: inout StageOptions) throws {
        key = try options.string("key", "metadata key holding the score (e.g. hq_score from classify)")
        fraction = try options.double(
            "fraction", default: 0.1, range: 0...1, "share of scored documents to keep, rounded to the nearest count")
        order = try options.choice(
            "order", default: "highest", ["highest", "lowest"],
            "keep the highest scores (classifiers) or the lowest (perplexity, bits per byte)")
    }

    /// +1 to keep the highest scores, −1 to keep the lowest (the score is negated throughout).
    var sign: Double { order == "lowest" ? -1 : 1 }

    public func passes() -> [any CorpusPass] {
        [TopScoresPass(key: key, sign: sign), TopThresholdPass(fraction: fraction, sign: sign)]
    }

    public func makeStep(environment: PassEnvironment) throws -> (any Step)? {
        try KeepTopFilter(key: key, sign: sign, workDirectory: environment.workDirectory)
    }
}

/// Orders scores descending and then document keys ascending as one pair of unsigned words.
enum TopOrder {
    static let scoresMagic: UInt64 = 0x3143_5354_504F_544C  // "LTOPSTC1"
    /// A word that sorts ascending as `score` sorts descending (IEEE bits made monotone, then inverted).
    @inline(__always)
    static func word(_ score: Double) -> UInt64 {
        let b = score.bitPattern
        let ascending = b & (1 << 63) != 0 ? ~b : b | (1 << 63)
        return ~ascending
    }
    @inline(__always)
    static func score(_ word: UInt64) -> Double {
        let ascending = ~word
        return Double(bitPattern: ascending & (1 << 63) != 0 ? ascending & ~(1 << 63) : ~ascending)
    }
    /// A document's place in the corpus: file in the high 24 bits, ordinal in the low 40.
    @inline(__always)
    static func documentKey(file: Int, ordinal: Int) -> UInt64 { UInt64(file) << 40 | UInt64(ordinal) }
    static func scoresPath(_ work: String, _ task: Int) -> String {
        work + "/scores/" + String(format: "%05d", task) + ".bin"
    }
    static func thresholdPath(_ work: String) -> String { work + "/threshold.json" }

    /// Writes `data` to `path` through a temporary name and a rename.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let tmp = path + ".tmp"
        guard fm.createFile(atPath: tmp, contents: data) else { throw SluiceError(.io, "cannot write", file: tmp) }
        if fm.fileExists(atPath: path) { try fm.removeItem(atPath: path) }
        try fm.moveItem(atPath: tmp, toPath: path)
    }
}

/// Pass 1: task `t` reads document file `t` and writes its (score word, document key) pairs, sorted.
struct TopScoresPass: CorpusPass {
    let name = "scores"
    let key: String
    let sign: Double

    func taskCount(environment: PassEnvironment) -> Int { environment.documentFiles.count }

    func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
        var pairs: [UInt64] = []
        // Uncapped, as the engine reads its own intermediate files, so that ordinals match the filter's.
        var iterator = try JSONLReader(maxRecordBytes: 1 << 50).open(environment.documentFiles[task], context: context)
        var ordinal = 0
        var missing = 0
        while let document = try iterator.next() {
            defer { ordinal += 1 }
            guard let s = document.metadata[key]?.doubleValue, !s.isNaN else {
                missing += 1
                continue
            }
            pairs.append(TopOrder.word(sign * s))
            pairs.append(TopOrder.documentKey(file: task, ordinal: ordinal))
        }
        sortPairs(&pairs)
        var data = Data(capacity: 8 * (pairs.count + 1))
        withUnsafeBytes(of: TopOrder.scoresMagic.littleEndian) { data.append(contentsOf: $0) }
        pairs.withUnsafeBytes { data.append(contentsOf: $0) }
        let path = TopOrder.scoresPath(environment.workDirectory, task)
        try TopOrder.writeAtomically(data, to: path)
        context.recordCommittedFile(path)
        context.count("documents_scored", by: pairs.count / 2)
        if missing > 0 { context.count("documents_without_score", by: missing) }
    }
}

/// Sorts a flat array of (word, word) pairs ascending.
func sortPairs(_ flat: inout [UInt64]) {
    flat.withUnsafeMutableBytes { raw in
        raw.withMemoryRebound(to: WordPair.self) { p in
            var p = p
            p.sort()
        }
    }
}

struct WordPair: Comparable {
    var a: UInt64
    var b: UInt64
    @inline(__always) static func < (x: WordPair, y: WordPair) -> Bool { x.a != y.a ? x.a < y.a : x.b < y.b }
}

/// Reads a scores file written by `TopScoresPass`.
func readScorePairs(_ path: String) throws -> [UInt64] {
    guard let data = FileManager.default.contents(atPath: path), data.count >= 8, data.count % 16 == 8 else {
        throw SluiceError(.corruptInput, "keep_top_fraction: missing or damaged scores file", file: path)
    }
    var words = [UInt64](repeating: 0, count: data.count / 8)
    _ = words.withUnsafeMutableBytes { data.copyBytes(to: $0) }
    guard UInt64(littleEndian: words[0]) == TopOrder.scoresMagic else {
        throw SluiceError(.corruptInput, "keep_top_fraction: not a scores file", file: path)
    }
    return Array(words.dropFirst())
}

/// Pass 2: one task sorts every score and writes the cut: the last kept (score, document key).
struct TopThresholdPass: CorpusPass {
    let name = "threshold"
    let fraction: Double
    let sign: Double

    func taskCount(environment: PassEnvironment) -> Int { 1 }

    func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
        var all: [UInt64] = []
        for t in 0..<environment.documentFiles.count {
            all.append(contentsOf: try readScorePairs(TopOrder.scoresPath(environment.workDirectory, t)))
        }
        sortPairs(&all)
        let n = all.count / 2
        let kept = min(n, Int((fraction * Double(n)).rounded(.toNearestOrAwayFromZero)))
        var json = "{\"documents\": \(n), \"kept\": \(kept), \"fraction\": \(fraction)"
        if kept > 0 {
            let word = all[2 * (kept - 1)]
            let threshold = sign * TopOrder.score(word)
            json +=
                ", \"threshold\": \(threshold), \"score_word\": \"\(String(word, radix: 16))\", \"document_key\": \"\(String(all[2 * (kept - 1) + 1], radix: 16))\""
            context.count("threshold_x1e6", by: Int((threshold * 1e6).rounded()))
        }
        json += "}\n"
        context.count("documents_kept", by: kept)
        context.count("documents_scored", by: n)
        let path = TopOrder.thresholdPath(environment.workDirectory)
        try TopOrder.writeAtomically(Data(json.utf8), to: path)
        context.recordCommittedFile(path)
    }
}

/// The step of `keep_top_fraction`: keeps documents whose (score, key) sorts at or before the cut.
public struct KeepTopFilter: Step {
    public static let name = "keep_top_fraction_filter"
    public static let summary = "internal: the filter step of keep_top_fraction"
    let key: String
    let sign: Double
    /// The last kept pair, or nil when nothing is kept.
    let cut: WordPair?
    /// The score of the last kept document (the chosen threshold).
    public let threshold: Double?

    init(key: String, sign: Double, workDirectory: String) throws {
        self.key = key
        self.sign = sign
        let path = TopOrder.thresholdPath(workDirectory)
        guard let data = FileManager.default.contents(atPath: path),
            let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw SluiceError(.io, "keep_top_fraction: the threshold pass has not run", file: path) }
        if let ws = o["score_word"] as? String, let ks = o["document_key"] as? String, let w = UInt64(ws, radix: 16),
            let k = UInt64(ks, radix: 16)
        {
            cut = WordPair(a: w, b: k)
            threshold = sign * TopOrder.score(w)
        } else {
            cut = nil
            threshold = nil
        }
    }

    public init(options: inout StageOptions) throws {
        throw options.error("-", "keep_top_fraction_filter is created by keep_top_fraction, not named in a pipeline")
    }

    public mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
        guard let s = document.metadata[key]?.doubleValue, !s.isNaN else { return .drop(KeepTopFraction.noScore) }
        guard let cut else { return .drop(KeepTopFraction.belowThreshold) }
        let p = WordPair(
            a: TopOrder.word(sign * s),
            b: TopOrder.documentKey(file: context.currentInputIndex, ordinal: context.documentOrdinal))
        return p < cut || p == cut ? .keep : .drop(KeepTopFraction.belowThreshold)
    }
}
