// Pass 2 of `decontaminate`: one task per document file looks every document n-gram up in the
// index and writes (document key, n-gram hash, eval-set bits) for each distinct match, with the
// ids of the matched documents for the report.
import Foundation
import SluiceCore

/// The matched documents of one document file, for the report.
struct DecontamFileMatches: Codable, Sendable {
    var documents: Int
    /// (document key, id) of every document with a match.
    var matched: [MatchedDocument]
}

struct MatchedDocument: Codable, Sendable {
    var key: UInt64
    var id: String
}

/// Matches: task `t` reads document file `t`. Memory: the index as a hash map (about 32 bytes per
/// eval n-gram) and one document's n-grams.
public struct DecontamMatchPass: CorpusPass {
    public let name = "matches"
    public let settings: DecontamSettings

    public init(settings: DecontamSettings) { self.settings = settings }

    public func taskCount(environment: PassEnvironment) -> Int { environment.documentFiles.count }

    public func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
        let work = environment.workDirectory
        let records = try RecordFile.readAll(DecontamLayout.indexPath(work), width: 2, magic: DecontamLayout.indexMagic)
        var index = [UInt64: UInt64](minimumCapacity: records.count / 2)
        for i in stride(from: 0, to: records.count, by: 2) { index[records[i]] = records[i + 1] }
        let shingler = try Shingler(kind: .words, n: settings.ngram)
        var hashes: [UInt64] = []
        var hits: [UInt64] = []
        var out: [UInt64] = []
        var ids = DecontamFileMatches(documents: 0, matched: [])
        var id: [UInt8] = []
        let path = environment.documentFiles[task]
        let lines = LineReader(source: try openByteSource(path))
        var ordinal = 0
        var text: [UInt8] = []
        // The same numbering as DocumentTextReader and the engine's jsonl reader.
        while let raw = try lines.next() {
            let line = raw.assumingMemoryBound(to: UInt8.self)
            guard line.contains(where: { $0 != 32 && $0 != 9 && $0 != 13 }) else { continue }
            guard JSONTextField.extract(line, into: &text) else {
                context.reportBadRecord(
                    "decontaminate:bad_document", file: "\(path):\(lines.lineNumber)", "no string text field")
                continue
            }
            defer { ordinal += 1 }
            ids.documents += 1
            guard !index.isEmpty else { continue }
            text.withUnsafeBufferPointer { shingler.shingles(of: $0, into: &hashes) }
            hits.removeAll(keepingCapacity: true)
            for h in hashes where index[h] != nil { hits.append(h) }
            guard !hits.isEmpty else { continue }
            hits.sort()
            let key = DocumentKey.make(file: task, ordinal: ordinal)
            var previous: UInt64? = nil
            for h in hits where h != previous {
                out.append(key)
                out.append(h)
                out.append(index[h]!)
                previous = h
            }
            _ = JSONTextField.extract(line, key: "id", into: &id)
            ids.matched.append(MatchedDocument(key: key, id: String(decoding: id, as: UTF8.self)))
            context.count("documents_matched")
        }
        try RecordFile.write(
            out, width: 3, magic: DecontamLayout.matchMagic, to: DecontamLayout.matchPath(work, file: task))
        try writeJSON(ids, to: DecontamLayout.matchIDsPath(work, file: task))
        context.recordCommittedFile(DecontamLayout.matchPath(work, file: task))
        context.recordCommittedFile(DecontamLayout.matchIDsPath(work, file: task))
    }
}
