// Bounded reads of a run's documents for the report: the kept-drop samples (examples per reason,
// edits) and the head of each output file, reduced to the facts the charts need (length in words
// and bytes, source, language or script, numeric metadata such as classifier scores).
import Foundation
import SluiceCore

/// Per-document facts of a set of documents, for distributions.
public struct DocumentFacts: Sendable {
    public var count = 0
    public var words: [Int] = []
    public var bytes: [Int] = []
    public var sources: [String: Int] = [:]
    /// Words per document, by source.
    public var wordsBySource: [String: [Int]] = [:]
    /// `language`, `lang` or `script` metadata values.
    public var languages: [String: Int] = [:]
    /// Every numeric metadata value by key (scores, ratios), except the audit's own keys.
    public var scores: [String: [Double]] = [:]

    public init() {}

    mutating func add(_ d: Document) {
        count += 1
        bytes.append(d.text.utf8.count)
        let w = Self.wordCount(d.text)
        words.append(w)
        wordsBySource[d.source, default: []].append(w)
        sources[d.source, default: 0] += 1
        for (key, value) in d.metadata {
            if key.hasPrefix("dropped_") || key == "text_before" || key == "edited_by" { continue }
            switch value {
            case .double(let x): if x.isFinite { scores[key, default: []].append(x) }
            case .int(let i):
                if key.hasSuffix("score") || key.hasSuffix("fraction") { scores[key, default: []].append(Double(i)) }
            case .string(let s) where key == "language" || key == "lang" || key == "script":
                languages[s, default: 0] += 1
            default: break
            }
        }
    }

    /// Runs of non-space bytes (ASCII whitespace separates words; other bytes belong to words).
    static func wordCount(_ text: String) -> Int {
        withUTF8Bytes(text) { b in
            var n = 0
            var inWord = false
            for c in b {
                let space = c == 0x20 || (c >= 0x09 && c <= 0x0D)
                if !space && !inWord { n += 1 }
                inWord = !space
            }
            return n
        }
    }
}

/// What the report reads of the kept drops: examples per reason, edits per stage, facts.
public struct DropSample: Sendable {
    /// Up to `examplesPerReason` documents per `dropped_by` reason, in file order.
    public var examples: [String: [Document]] = [:]
    /// Documents read per reason.
    public var readPerReason: [String: Int] = [:]
    /// The sample files each reason appears in (relative to the run folder).
    public var files: [String: [String]] = [:]
    /// Before/after pairs by stage (`edited_by`), up to `examplesPerReason` each.
    public var edits: [String: [Document]] = [:]
    public var editsRead: [String: Int] = [:]
    public var facts = DocumentFacts()
    /// Problems met while reading (a damaged sample file), one line each.
    public var problems: [String] = []
    /// Whether the read stopped at its document limit.
    public var truncated = false
}

/// Reads documents from JSONL files, bounded.
public enum DocumentSample {
    /// Calls `body` with each document of `path` until it returns false or `limit` documents
    /// were read. Returns how many were read; damage ends the file and is reported in `problems`.
    @discardableResult
    static func read(_ path: String, limit: Int, problems: inout [String], _ body: (Document) -> Bool) -> Int {
        var n = 0
        do {
            let lines = try LineReader(path: path, maxLineBytes: 64 << 20)
            var parser = JSONParser()
            while n < limit {
                guard let line = try lines.nextLine() else { break }
                guard case .text(let bytes) = line, !bytes.isEmpty else { continue }
                guard
                    let d = try? parser.parseDocument(
                        bytes, defaultID: "line \(lines.lineNumber)", defaultSource: "jsonl")
                else {
                    problems.append("\(path):\(lines.lineNumber): not a JSON document; skipped")
                    continue
                }
                n += 1
                if !body(d) { break }
            }
        } catch {
            problems.append("\(path): \(error) (after \(n) documents)")
        }
        return n
    }

    /// Reads the kept drops under `run`: at most `limit` documents, spread evenly over the files.
    public static func drops(_ run: RunFolder, examplesPerReason: Int = 5, limit: Int = 50_000) -> DropSample {
        var sample = DropSample()
        guard !run.droppedFiles.isEmpty else { return sample }
        let perFile = max(100, limit / run.droppedFiles.count)
        var total = 0
        var problems: [String] = []
        for file in run.droppedFiles {
            let n = read(run.root + "/" + file, limit: min(perFile, max(0, limit - total)), problems: &problems) { d in
                if let stage = d.metadata["edited_by"]?.stringValue {
                    sample.editsRead[stage, default: 0] += 1
                    if sample.edits[stage, default: []].count < examplesPerReason {
                        sample.edits[stage, default: []].append(d)
                    }
                    return true
                }
                let reason = d.metadata["dropped_by"]?.stringValue ?? "unknown"
                sample.readPerReason[reason, default: 0] += 1
                if sample.files[reason, default: []].last != file { sample.files[reason, default: []].append(file) }
                if sample.examples[reason, default: []].count < examplesPerReason {
                    sample.examples[reason, default: []].append(d)
                }
                sample.facts.add(d)
                return true
            }
            total += n
            if n >= perFile || total >= limit { sample.truncated = true }
        }
        sample.problems = problems
        return sample
    }

    /// Facts of the head of each output file: at most `limit` documents, spread over the files.
    public static func outputs(_ run: RunFolder, limit: Int = 50_000, problems: inout [String]) -> (DocumentFacts, Bool)
    {
        var facts = DocumentFacts()
        var truncated = false
        guard !run.outputFiles.isEmpty else { return (facts, false) }
        let perFile = max(100, limit / run.outputFiles.count)
        var total = 0
        for file in run.outputFiles where total < limit {
            let n = read(run.root + "/" + file, limit: min(perFile, limit - total), problems: &problems) { d in
                facts.add(d)
                return true
            }
            total += n
            if n >= perFile { truncated = true }
        }
        if total >= limit { truncated = true }
        return (facts, truncated)
    }
}
