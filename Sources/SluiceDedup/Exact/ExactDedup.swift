// `exact_dedup`: removes documents whose normalized text repeats an earlier one, as a corpus
// stage: hashes (one task per document file, hash-partitioned), duplicates (one task per
// partition), then a filter step. It finds identical texts only; near-duplicates are minhash_dedup's.
import Foundation
import SluiceCore

/// Keeps the first occurrence (smallest document key) of every normalized text.
///
/// The text is hashed with two independent xxHash64 seeds (128 bits: a false match among 10^12
/// documents has probability about 10^-15) after the chosen normalization.
public struct ExactDedup: CorpusStage {
    public static let name = "exact_dedup"
    public static let summary = "exact duplicate removal by a 128-bit hash of the normalized text; keeps the first"
    public static let dropReason = DropReason("exact_dedup")
    public var settings: ExactSettings

    public init(options: inout StageOptions) throws {
        settings = try ExactSettings(options: &options)
    }

    public init(settings: ExactSettings) { self.settings = settings }

    public func passes() -> [any CorpusPass] {
        [ExactHashPass(settings: settings), ExactDuplicatePass(settings: settings)]
    }

    public func makeStep(environment: PassEnvironment) throws -> (any Step)? {
        try ExactDedupFilter(workDirectory: environment.workDirectory, partitions: settings.partitions)
    }
}

/// Options of `exact_dedup`.
public struct ExactSettings: Sendable {
    /// Runs of whitespace count as one space, and leading/trailing whitespace is ignored.
    public var collapseWhitespace: Bool
    /// Full Unicode case folding before hashing.
    public var foldCase: Bool
    /// Hash partitions = tasks of the duplicates pass.
    public var partitions: Int
    public var sortBuffer: Int

    public init(
        collapseWhitespace: Bool = true, foldCase: Bool = false, partitions: Int = 16, sortBuffer: Int = 256_000_000
    ) {
        self.collapseWhitespace = collapseWhitespace
        self.foldCase = foldCase
        self.partitions = partitions
        self.sortBuffer = sortBuffer
    }

    public init(options: inout StageOptions) throws {
        collapseWhitespace = try options.bool(
            "collapse_whitespace", default: true, "treat runs of whitespace as one space and ignore it at both ends")
        foldCase = try options.bool(
            "fold_case", default: false, "compare texts case-insensitively (Unicode case folding)")
        partitions = try options.int(
            "partitions", default: 16, range: 1...4096, "hash partitions, one task each in the duplicates pass")
        sortBuffer = try options.bytes(
            "sort_buffer", default: 256_000_000, "hash records a task sorts in memory before spilling a run")
        guard sortBuffer >= 1024 else { throw options.error("sort_buffer", "must be at least 1KB") }
    }
}

enum ExactLayout {
    static let hashMagic: StaticString = "SLEXHSH1"
    static let duplicateMagic: StaticString = "SLEXDUP1"

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
        work + "/duplicates/part-" + zeroPadded(partition, width: 4) + ".exact-summary.json"
    }
}

/// Hashes a text for exact dedup: normalization into a scratch buffer, then two xxHash64s.
final class ExactHasher {
    let settings: ExactSettings
    private var scratch: [UInt8] = []
    private var folded: [UInt8] = []
    private let folder = UnicodeNormalizer(form: .nfc)

    init(settings: ExactSettings) { self.settings = settings }

    /// The 128-bit hash of `text` after normalization.
    func hash(_ text: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        guard settings.foldCase else { return collapseAndHash(text) }
        if isASCII(text) {
            folded.removeAll(keepingCapacity: true)
            for c in text { folded.append(c &+ ((c >= 65 && c <= 90) ? 32 : 0)) }
            return folded.withUnsafeBufferPointer { collapseAndHash($0) }
        }
        let original = String(decoding: text, as: UTF8.self)
        var f = (try? folder.foldCase(original)) ?? original
        return f.withUTF8 { collapseAndHash($0) }
    }

    private func collapseAndHash(_ t: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        guard settings.collapseWhitespace else {
            let raw = UnsafeRawBufferPointer(t)
            return (xxHash64(raw, seed: 0x4558_4143), xxHash64(raw, seed: 0x5445_5854))
        }
        scratch.removeAll(keepingCapacity: true)
        var pending = false
        for c in t {
            if c == 32 || (c >= 9 && c <= 13) {
                pending = true
            } else {
                if pending && !scratch.isEmpty { scratch.append(32) }
                pending = false
                scratch.append(c)
            }
        }
        return scratch.withUnsafeBytes { (xxHash64($0, seed: 0x4558_4143), xxHash64($0, seed: 0x5445_5854)) }
    }
}
