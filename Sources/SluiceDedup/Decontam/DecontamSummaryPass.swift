// Pass 3 of `decontaminate`: one task gathers every file's matches, counts the documents each
// matched n-gram hits, flags those hitting many as likely boilerplate, writes the per-document
// decisions the step reads and the summary `sluice decontam report` prints.
import Foundation
import SluiceCore

/// One matched n-gram in the report.
public struct DecontamNgram: Codable, Sendable, Equatable {
    /// The n-gram as normalised words (what was compared).
    public var text: String
    /// Documents containing it.
    public var documents: Int
    /// Hits `boilerplate_documents` documents or more: likely a common phrase, not a leak.
    public var boilerplate: Bool
}

/// One matched document in the report.
public struct DecontamDocument: Codable, Sendable, Equatable {
    public var id: String
    /// `file:ordinal` among the stage's intermediate document files.
    public var key: String
    /// Distinct n-grams of this eval set it contains.
    public var ngrams: Int
    /// All of them are flagged boilerplate.
    public var boilerplateOnly: Bool
}

/// What one evaluation set matched.
public struct DecontamSetSummary: Codable, Sendable, Equatable {
    public var name: String
    public var path: String
    public var examples: Int
    public var shortExamples: Int
    public var ngrams: Int
    public var matchedNgrams: Int
    public var boilerplateNgrams: Int
    public var matchedDocuments: Int
    /// Documents still matched when flagged boilerplate n-grams are ignored.
    public var matchedDocumentsWithoutBoilerplate: Int
    /// The most frequent matched n-grams, most documents first (`report_ngrams` of them).
    public var topNgrams: [DecontamNgram]
    /// Matched documents, most n-grams first (`report_documents` of them).
    public var documents: [DecontamDocument]
}

/// The whole report of one `decontaminate` stage.
public struct DecontamSummary: Codable, Sendable, Equatable {
    public var ngram: Int
    public var boilerplateDocuments: Int
    public var ignoreBoilerplate: Bool
    public var action: String
    public var documents: Int
    public var matchedDocuments: Int
    public var matchedDocumentsWithoutBoilerplate: Int
    public var evalSets: [DecontamSetSummary]
}

/// Summary: one task. Memory: the matches (24 bytes each) and the matched n-grams' texts.
public struct DecontamSummaryPass: CorpusPass {
    public let name = "summary"
    public let settings: DecontamSettings

    public init(settings: DecontamSettings) { self.settings = settings }

    public func taskCount(environment: PassEnvironment) -> Int { 1 }

    public func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
        let work = environment.workDirectory
        let decoder = JSONDecoder()
        func load<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
            do { return try decoder.decode(type, from: Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                throw SluiceError(.corruptInput, "unreadable decontamination file: \(error)", file: path)
            }
        }
        let sets = try load([EvalSetIndexSummary].self, DecontamLayout.indexSummaryPath(work))
        var matches: [UInt64] = []  // (key, hash, bits), sorted by key across files
        var ids: [UInt64: String] = [:]
        var documents = 0
        for f in environment.documentFiles.indices {
            matches += try RecordFile.readAll(
                DecontamLayout.matchPath(work, file: f), width: 3, magic: DecontamLayout.matchMagic)
            let file = try load(DecontamFileMatches.self, DecontamLayout.matchIDsPath(work, file: f))
            documents += file.documents
            for m in file.matched { ids[m.key] = m.id }
        }
        var hitCount: [UInt64: Int] = [:]
        for i in stride(from: 0, to: matches.count, by: 3) { hitCount[matches[i + 1], default: 0] += 1 }
        let flagged = { (h: UInt64) in hitCount[h]! >= settings.boilerplateDocuments }

        // Per document: all eval-set bits, and the bits of unflagged n-grams only.
        var decisions: [UInt64] = []
        var perSet = [[(key: UInt64, ngrams: Int, clean: Int)]](repeating: [], count: sets.count)
        var i = 0
        while i < matches.count {
            let key = matches[i]
            var all: UInt64 = 0
            var clean: UInt64 = 0
            var counts = [Int](repeating: 0, count: sets.count)
            var cleanCounts = [Int](repeating: 0, count: sets.count)
            while i < matches.count && matches[i] == key {
                let bits = matches[i + 2]
                let isFlagged = flagged(matches[i + 1])
                all |= bits
                if !isFlagged { clean |= bits }
                for s in sets.indices where bits & (1 << UInt64(s)) != 0 {
                    counts[s] += 1
                    if !isFlagged { cleanCounts[s] += 1 }
                }
                i += 3
            }
            decisions.append(key)
            decisions.append(all)
            decisions.append(clean)
            for s in sets.indices where counts[s] > 0 { perSet[s].append((key, counts[s], cleanCounts[s])) }
        }
        try RecordFile.write(
            decisions, width: 3, magic: DecontamLayout.decisionMagic, to: DecontamLayout.decisionPath(work))

        // Which matched n-grams belong to which set, and their words (read back from the eval files).
        var setNgrams = [[UInt64]](repeating: [], count: sets.count)
        var bitsOf: [UInt64: UInt64] = [:]
        for i in stride(from: 0, to: matches.count, by: 3) { bitsOf[matches[i + 1]] = matches[i + 2] }
        for (h, bits) in bitsOf {
            for s in sets.indices where bits & (1 << UInt64(s)) != 0 { setNgrams[s].append(h) }
        }
        let texts = try ngramTexts(Set(bitsOf.keys))

        var summaries: [DecontamSetSummary] = []
        for (s, set) in sets.enumerated() {
            let ranked = setNgrams[s].map { h in
                DecontamNgram(text: texts[h] ?? "?", documents: hitCount[h]!, boilerplate: flagged(h))
            }.sorted { $0.documents != $1.documents ? $0.documents > $1.documents : $0.text < $1.text }
            let docs = perSet[s].sorted { $0.ngrams != $1.ngrams ? $0.ngrams > $1.ngrams : $0.key < $1.key }
            summaries.append(
                DecontamSetSummary(
                    name: set.name, path: set.path, examples: set.examples, shortExamples: set.shortExamples,
                    ngrams: set.ngrams, matchedNgrams: ranked.count,
                    boilerplateNgrams: ranked.filter(\.boilerplate).count, matchedDocuments: docs.count,
                    matchedDocumentsWithoutBoilerplate: docs.filter { $0.clean > 0 }.count,
                    topNgrams: Array(ranked.prefix(settings.reportNgrams)),
                    documents: docs.prefix(settings.reportDocuments).map {
                        DecontamDocument(
                            id: ids[$0.key] ?? "", key: DocumentKey.describe($0.key), ngrams: $0.ngrams,
                            boilerplateOnly: $0.clean == 0)
                    }))
        }
        let summary = DecontamSummary(
            ngram: settings.ngram, boilerplateDocuments: settings.boilerplateDocuments,
            ignoreBoilerplate: settings.ignoreBoilerplate, action: settings.action.rawValue, documents: documents,
            matchedDocuments: decisions.count / 3,
            matchedDocumentsWithoutBoilerplate: stride(from: 0, to: decisions.count, by: 3).filter {
                decisions[$0 + 2] != 0
            }.count,
            evalSets: summaries)
        try writeJSON(summary, to: DecontamLayout.summaryPath(work))
        context.recordCommittedFile(DecontamLayout.decisionPath(work))
        context.recordCommittedFile(DecontamLayout.summaryPath(work))
        context.count("documents_matched", by: summary.matchedDocuments)
    }

    /// The normalised words of each wanted n-gram, found again in the eval files.
    private func ngramTexts(_ wanted: Set<UInt64>) throws -> [UInt64: String] {
        var out: [UInt64: String] = [:]
        guard !wanted.isEmpty else { return out }
        let shingler = try Shingler(kind: .words, n: settings.ngram)
        var hashes: [UInt64] = []
        for path in settings.evalSets {
            try EvalSetFile.forEachExample(path) { _, text in
                shingler.shingles(of: text, into: &hashes)
                guard hashes.contains(where: { wanted.contains($0) && out[$0] == nil }) else { return }
                let words = shingler.simplifiedText(String(decoding: text, as: UTF8.self)).split(separator: " ")
                guard words.count >= settings.ngram, words.count - settings.ngram + 1 == hashes.count else { return }
                for (j, h) in hashes.enumerated() where wanted.contains(h) && out[h] == nil {
                    out[h] = words[j..<(j + settings.ngram)].joined(separator: " ")
                }
            }
            if out.count == wanted.count { break }
        }
        return out
    }
}
