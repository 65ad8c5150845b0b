// `decontaminate`: drops (or tags) documents that share a word n-gram (13 words after datatrove's
// `simplify_text`, as GPT-3 and datatrove) with an evaluation set. Passes: index (the eval sets'
// n-gram hashes), matches (one task per document file), summary (n-grams ranked by the documents
// they hit, likely boilerplate flagged); then a step. It compares n-grams only, not paraphrases.
import Foundation
import SluiceCore

/// Removes documents that overlap evaluation data, with a report of the evidence.
///
/// An n-gram is 13 consecutive words of the simplified text (lower case, digits as 0, punctuation
/// as space, diacritics stripped); an eval example shorter than that adds none. The index is a
/// hash set of 64-bit n-gram hashes (16 bytes per n-gram with its eval-set bits), bounded by the
/// eval sets, never by the corpus. An n-gram that hits `boilerplate_documents` or more documents is
/// flagged as likely boilerplate (published audits find most matches are such phrases); with
/// `ignore_boilerplate: true` only documents with an unflagged n-gram are dropped.
public struct Decontaminate: CorpusStage {
    public static let name = "decontaminate"
    public static let summary = "drop or tag documents sharing a 13-word n-gram with eval sets; report the evidence"
    public static let dropReason = DropReason("decontaminate:eval_overlap")
    public var settings: DecontamSettings

    public init(options: inout StageOptions) throws {
        settings = try DecontamSettings(options: &options)
    }

    public init(settings: DecontamSettings) { self.settings = settings }

    /// Reads every eval set and the allow-list once, so a missing file or a malformed line fails
    /// before any work, naming the file and line.
    public func validate() throws {
        let shingler = try Shingler(kind: .words, n: settings.ngram)
        for path in settings.evalSets { try EvalSetFile.forEachExample(path) { _, _ in } }
        if let allow = settings.allowList { _ = try EvalSetFile.allowList(allow, shingler: shingler) }
    }

    public func passes() -> [any CorpusPass] {
        [
            DecontamIndexPass(settings: settings), DecontamMatchPass(settings: settings),
            DecontamSummaryPass(settings: settings),
        ]
    }

    public func makeStep(environment: PassEnvironment) throws -> (any Step)? {
        try DecontamStep(workDirectory: environment.workDirectory, settings: settings)
    }
}

/// Options of `decontaminate`.
public struct DecontamSettings: Sendable {
    public enum Action: String, Sendable { case drop, tag }
    public var evalSets: [String]
    /// Eval set names (file names without extensions), in `evalSets` order.
    public var names: [String]
    public var ngram: Int
    public var action: Action
    public var allowList: String?
    public var boilerplateDocuments: Int
    public var ignoreBoilerplate: Bool
    public var reportNgrams: Int
    public var reportDocuments: Int

    public init(
        evalSets: [String], ngram: Int = 13, action: Action = .drop, allowList: String? = nil,
        boilerplateDocuments: Int = 10, ignoreBoilerplate: Bool = false, reportNgrams: Int = 50,
        reportDocuments: Int = 100
    ) throws {
        self.evalSets = evalSets
        self.names = try Self.names(evalSets) { SluiceError(.config, $0) }
        self.ngram = ngram
        self.action = action
        self.allowList = allowList
        self.boilerplateDocuments = boilerplateDocuments
        self.ignoreBoilerplate = ignoreBoilerplate
        self.reportNgrams = reportNgrams
        self.reportDocuments = reportDocuments
    }

    public init(options: inout StageOptions) throws {
        evalSets = try options.stringList(
            "eval_sets", default: [],
            "evaluation files: JSONL with a text field, or plain text with one example per line (.gz/.zst too)")
        if !options.describing {
            guard !evalSets.isEmpty else { throw options.error("eval_sets", "give at least one evaluation file") }
            guard evalSets.count <= 64 else { throw options.error("eval_sets", "at most 64 evaluation files") }
        }
        let o = options
        names = try Self.names(evalSets) { o.error("eval_sets", $0) }
        ngram = try options.int(
            "ngram", default: 13, range: 1...64, "words per n-gram after normalisation (GPT-3: 13; datatrove: 12)")
        action = Action(
            rawValue: try options.choice(
                "action", default: "drop", ["drop", "tag"],
                "drop: drop matching documents; tag: keep them with the eval sets in metadata eval_overlap"))!
        allowList = try options.optionalString(
            "allow_list", "file of n-grams to ignore, one per line (normalised like the text)")
        boilerplateDocuments = try options.int(
            "boilerplate_documents", default: 10, range: 2...Int.max,
            "an n-gram hitting this many documents or more is flagged as likely boilerplate")
        ignoreBoilerplate = try options.bool(
            "ignore_boilerplate", default: false, "keep documents whose only matches are flagged boilerplate")
        reportNgrams = try options.int(
            "report_ngrams", default: 50, range: 0...1_000_000, "matched n-grams listed per eval set in the report")
        reportDocuments = try options.int(
            "report_documents", default: 100, range: 0...1_000_000,
            "matched documents listed per eval set in the report")
    }

    /// `lambada` for `evals/lambada.test.jsonl.gz`; two files with one name are an error.
    static func names(_ paths: [String], error: (String) -> SluiceError) throws -> [String] {
        var out: [String] = []
        for p in paths {
            var name = (p as NSString).lastPathComponent
            for ext in [".gz", ".zst", ".jsonl", ".json", ".txt"] where name.hasSuffix(ext) {
                name = String(name.dropLast(ext.count))
            }
            guard !out.contains(name) else { throw error("two evaluation files are named '\(name)'") }
            out.append(name)
        }
        return out
    }
}

enum DecontamLayout {
    static let indexMagic: StaticString = "SLDCIDX1"
    static let matchMagic: StaticString = "SLDCMAT1"
    static let decisionMagic: StaticString = "SLDCDEC1"

    static func indexPath(_ work: String) -> String { work + "/index/ngrams.bin" }
    static func indexSummaryPath(_ work: String) -> String { work + "/index/eval-sets.json" }
    static func matchPath(_ work: String, file: Int) -> String {
        work + "/matches/" + zeroPadded(file, width: 5) + ".bin"
    }
    static func matchIDsPath(_ work: String, file: Int) -> String {
        work + "/matches/" + zeroPadded(file, width: 5) + ".json"
    }
    static func decisionPath(_ work: String) -> String { work + "/summary/decisions.bin" }
    static func summaryPath(_ work: String) -> String { work + "/summary/decontam-summary.json" }
}

/// Reads evaluation files: JSONL (`.jsonl`, `.json`, compressed too) with a string `text` field,
/// or plain text with one example per line. Blank lines are skipped.
enum EvalSetFile {
    static func isJSONL(_ path: String) -> Bool {
        var p = path
        for ext in [".gz", ".zst"] where p.hasSuffix(ext) { p = String(p.dropLast(ext.count)) }
        return p.hasSuffix(".jsonl") || p.hasSuffix(".json")
    }

    /// Calls `body(line number, example text bytes)` for every example.
    /// - Throws: `SluiceError(.io)` for a missing file, `.corruptInput` naming file and line for a
    ///   JSONL line that is not an object with a string `text`.
    static func forEachExample(_ path: String, _ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SluiceError(.io, "evaluation file not found", file: path)
        }
        let lines = LineReader(source: try openByteSource(path))
        let jsonl = isJSONL(path)
        var text: [UInt8] = []
        while let raw = try lines.next() {
            let line = raw.assumingMemoryBound(to: UInt8.self)
            guard line.contains(where: { $0 != 32 && $0 != 9 && $0 != 13 }) else { continue }
            if !jsonl {
                try body(lines.lineNumber, line)
                continue
            }
            guard JSONTextField.extract(line, into: &text) else {
                throw SluiceError(
                    .corruptInput, "evaluation line is not a JSON object with a string \"text\" field", file: path,
                    line: lines.lineNumber)
            }
            try text.withUnsafeBufferPointer { try body(lines.lineNumber, $0) }
        }
    }

    /// The hashes of the allow-list's n-grams (one per line, normalised like documents).
    /// - Throws: `.corruptInput` naming the line when it does not have exactly `n` words.
    static func allowList(_ path: String, shingler: Shingler) throws -> Set<UInt64> {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SluiceError(.io, "allow-list file not found", file: path)
        }
        var out = Set<UInt64>()
        let lines = LineReader(source: try openByteSource(path))
        while let raw = try lines.next() {
            let text = String(decoding: raw.assumingMemoryBound(to: UInt8.self), as: UTF8.self)
            let words = shingler.simplifiedText(text).split(separator: " ").count
            if words == 0 { continue }
            guard words == shingler.n else {
                throw SluiceError(
                    .corruptInput, "allow-list n-gram has \(words) words after normalisation, not \(shingler.n)",
                    file: path, line: lines.lineNumber)
            }
            out.formUnion(shingler.shingles(of: text))
        }
        return out
    }
}
