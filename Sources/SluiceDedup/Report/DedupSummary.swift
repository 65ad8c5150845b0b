// The summaries dedup passes leave beside their work files (`minhash-summary.json`,
// `exact-summary.json`), read back by `sluice dedup report`. JSON, keys sorted, so reruns
// produce identical files.
import Foundation
import SluiceCore

/// One example pair of near-duplicates with the start of both texts.
public struct DedupExample: Codable, Sendable, Equatable {
    public var kept: String
    public var duplicate: String
    /// Exact Jaccard similarity of the two shingle sets.
    public var jaccard: Double
    public var keptText: String
    public var duplicateText: String
}

/// What the clusters pass found.
public struct MinHashSummary: Codable, Sendable, Equatable {
    public var preset: String
    public var shingles: String
    public var ngram: Int
    public var bands: Int
    public var rows: Int
    public var seed: Int
    /// How candidate pairs were checked (older summaries hold a boolean: true = exact).
    public var verify: VerifyMode
    /// The similarity verified pairs had to reach (nil with `verify: none`).
    public var threshold: Double?
    /// With `verify: signature`: the equal MinHash values (of bands × rows) a pair needed.
    public var signatureMinimumMatches: Int?
    public var documents: Int
    public var documentsWithShingles: Int
    public var candidatePairs: Int
    public var clusters: Int
    public var documentsInClusters: Int
    /// Documents dropped: members of clusters other than the kept one.
    public var duplicates: Int
    /// Cluster size → number of clusters.
    public var sizeHistogram: [String: Int]
    public var largestClusters: [String: Int]
    public var examples: [DedupExample]

    init(
        settings: MinHashSettings, documents: Int, signed: Int, candidatePairs: Int, clusters: Int,
        documentsInClusters: Int, histogram: [Int: Int], largest: [(size: Int, key: UInt64)],
        examples: [(UInt64, UInt64)], documentFiles: [String]
    ) throws {
        preset = settings.preset
        shingles = settings.shingles.rawValue
        ngram = settings.ngram
        bands = settings.bands
        rows = settings.rows
        seed = settings.seed
        verify = settings.verify
        threshold = settings.verify == .none ? nil : settings.threshold
        signatureMinimumMatches = settings.verify == .signature ? settings.signatureMinimumMatches : nil
        self.documents = documents
        documentsWithShingles = signed
        self.candidatePairs = candidatePairs
        self.clusters = clusters
        self.documentsInClusters = documentsInClusters
        duplicates = documentsInClusters - clusters
        sizeHistogram = Dictionary(uniqueKeysWithValues: histogram.map { (String($0.key), $0.value) })
        largestClusters = Dictionary(uniqueKeysWithValues: largest.map { (DocumentKey.describe($0.key), $0.size) })
        self.examples = try Self.fetchExamples(examples, documentFiles: documentFiles, settings: settings)
    }

    /// Reads the texts of the example pairs (one scan of each file involved, stopping at the
    /// last ordinal needed) and measures their exact Jaccard similarity.
    static func fetchExamples(_ pairs: [(UInt64, UInt64)], documentFiles: [String], settings: MinHashSettings) throws
        -> [DedupExample]
    {
        guard !pairs.isEmpty else { return [] }
        var wanted: [Int: Set<Int>] = [:]
        for (a, b) in pairs {
            wanted[DocumentKey.file(a), default: []].insert(DocumentKey.ordinal(a))
            wanted[DocumentKey.file(b), default: []].insert(DocumentKey.ordinal(b))
        }
        var texts: [UInt64: String] = [:]
        for (file, ordinals) in wanted.sorted(by: { $0.key < $1.key }) where file < documentFiles.count {
            let last = ordinals.max()!
            var reader = try DocumentTextReader(path: documentFiles[file])
            struct Done: Error {}
            do {
                try reader.forEach { ordinal, text in
                    if ordinals.contains(ordinal) {
                        texts[DocumentKey.make(file: file, ordinal: ordinal)] = String(decoding: text, as: UTF8.self)
                    }
                    if ordinal >= last { throw Done() }
                }
            } catch is Done {}
        }
        let shingler = try settings.makeShingler()
        return pairs.map { a, b in
            let ta = texts[a] ?? ""
            let tb = texts[b] ?? ""
            let sa = Set(shingler.shingles(of: ta))
            let sb = Set(shingler.shingles(of: tb))
            let union = sa.union(sb).count
            let j = union == 0 ? 1 : Double(sa.intersection(sb).count) / Double(union)
            return DedupExample(
                kept: DocumentKey.describe(a), duplicate: DocumentKey.describe(b), jaccard: (j * 1000).rounded() / 1000,
                keptText: snippet(ta), duplicateText: snippet(tb))
        }
    }

    func write(to path: String) throws { try writeJSON(self, to: path) }
}

/// What the duplicates pass of `exact_dedup` found in one partition.
public struct ExactSummary: Codable, Sendable, Equatable {
    public var partition: Int
    public var documents: Int
    public var distinct: Int
    public var duplicates: Int
    /// Copies per duplicated text (2, 3, …) → number of texts.
    public var copiesHistogram: [String: Int]
}

/// The first 160 characters of `text`, on one line.
func snippet(_ text: String) -> String {
    var s = String(text.prefix(160)).replacingOccurrences(of: "\n", with: " ")
    if text.count > 160 { s += "…" }
    return s
}

/// Writes a value as sorted, indented JSON through a temporary name and a rename.
func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    let dir = (path as NSString).deletingLastPathComponent
    try RecordFile.makeDirectory(dir)
    do {
        try data.write(to: URL(fileURLWithPath: path + ".tmp"))
    } catch {
        throw SluiceError(.io, "cannot write: \(error.localizedDescription)", file: path + ".tmp")
    }
    guard rename(path + ".tmp", path) == 0 else {
        throw SluiceError(.io, "cannot rename: \(String(cString: strerror(errno)))", file: path)
    }
}
