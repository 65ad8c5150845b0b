// Small stages for the engine tests, independent of the real readers and writers: a reader of
// `.lines` files (one document per line; a line `CORRUPT` throws like a broken stream), an upper-casing step,
// a filter, a writer of `id<TAB>text` lines, and an exact-dedup corpus stage; and helpers to make inputs,
// load a pipeline, list outputs and catch config errors.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

/// One document per line of a `.lines` file; a line reading `CORRUPT` ends the file with a
/// `.corruptInput` error, as a truncated stream does. Option `prefix` is prepended to ids.
struct LinesReader: DocumentReader {
    static let name = "lines"
    static let summary = "Test reader: one document per line."
    static let fileExtensions = [".lines", ".jsonl.zst"]
    var prefix: String

    init(options: inout StageOptions) throws {
        prefix = try options.string("prefix", default: "", "Prepended to ids.")
    }

    func open(_ path: String, context: TaskContext) throws -> any DocumentIterator {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SluiceError(.io, "cannot read", file: path)
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        return Iterator(lines: lines.map(String.init), path: path, prefix: prefix)
    }

    struct Iterator: DocumentIterator {
        var lines: [String]
        var path: String
        var prefix: String
        var i = 0
        mutating func next() throws -> Document? {
            guard i < lines.count else { return nil }
            let line = lines[i]
            i += 1
            if line == "CORRUPT" { throw SluiceError(.corruptInput, "test corruption", file: path, offset: i) }
            // Intermediate files hold `id<TAB>text`; inputs hold text only.
            if let tab = line.firstIndex(of: "\t") {
                return Document(
                    id: String(line[..<tab]), text: String(line[line.index(after: tab)...]), source: "lines")
            }
            let base = (path as NSString).lastPathComponent
            return Document(id: "\(prefix)\(base):\(i)", text: line, source: "lines")
        }
    }
}

/// Upper-cases the text.
struct UpperStep: Step {
    static let name = "upper"
    static let summary = "Test step: upper-cases text."
    init(options: inout StageOptions) throws {}
    mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
        document.text = document.text.uppercased()
        return .keep
    }
}

/// Drops documents containing `word`; `fail_on` makes the step throw (a task failure).
struct DropWordFilter: Filter {
    static let name = "drop_word"
    static let summary = "Test filter: drops documents containing a word."
    var word: String
    var minLength: Int
    init(options: inout StageOptions) throws {
        word = try options.string("word", default: "drop", "The word that drops a document.")
        minLength = try options.int("min_length", default: 0, range: 0...1000, "Shorter documents are dropped.")
    }
    mutating func verdict(for document: inout Document, context: TaskContext) -> Verdict {
        if document.text.count < minLength { return .drop(DropReason("drop_word:too_short")) }
        return document.text.contains(word) ? .drop(DropReason("drop_word:word")) : .keep
    }
}

/// Throws on documents containing `boom`.
struct ExplodingStep: Step {
    static let name = "explode"
    static let summary = "Test step: throws on 'boom'."
    init(options: inout StageOptions) throws {}
    mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
        if document.text.contains("boom") { throw SluiceError(.library, "boom in \(document.id)") }
        return .keep
    }
}

/// Writes `id<TAB>text` lines to `<task>.jsonl.zst` (plain text; the name is what the engine
/// expects of intermediate files), or `<task>-<n>.lines` rolling every `max_documents`.
struct TestWriter: DocumentWriter {
    static let name = "write"
    static let summary = "Test writer: id<TAB>text lines."
    var compression: String
    var maxDocuments: Int
    var handle: FileHandle?
    var inFile = 0
    var fileNumber = 0

    init(options: inout StageOptions) throws {
        compression = try options.choice(
            "compression", default: "none", ["none", "zstd"], "Names the file .jsonl.zst.")
        maxDocuments = try options.int(
            "max_documents", default: 0, range: 0...1_000_000, "Documents per file (0: one file).")
    }

    mutating func write(_ document: Document, context: TaskContext) throws {
        if handle == nil || (maxDocuments > 0 && inFile == maxDocuments) {
            try handle?.close()
            let name =
                compression == "zstd"
                ? "\(context.taskStem).jsonl.zst" : "\(context.taskStem)-\(fileNumber).lines"
            fileNumber += 1
            inFile = 0
            let path = context.outputPath(name)
            FileManager.default.createFile(atPath: path, contents: nil)
            handle = FileHandle(forWritingAtPath: path)
        }
        inFile += 1
        handle!.write(Data("\(document.id)\t\(document.text)\n".utf8))
    }

    mutating func finish(context: TaskContext) throws { try handle?.close() }
}

/// Exact dedup over the whole corpus in two passes: `hash` (one task per document file: writes
/// `hashes-<task>.txt` of `ordinal<TAB>text`) and `decide` (one task: keeps the first document of
/// each text in file order, writes `drop.txt` of `file:ordinal`). The step drops those listed.
struct TestDedup: CorpusStage {
    static let name = "test_dedup"
    static let summary = "Test corpus stage: exact dedup."
    init(options: inout StageOptions) throws {}

    func passes() -> [any CorpusPass] { [HashPass(), DecidePass()] }

    func makeStep(environment: PassEnvironment) throws -> (any Step)? {
        let text = try String(contentsOfFile: environment.workDirectory + "/drop.txt", encoding: .utf8)
        return DropListed(listed: Set(text.split(separator: "\n").map(String.init)))
    }

    struct HashPass: CorpusPass {
        var name: String { "hash" }
        func taskCount(environment: PassEnvironment) -> Int { environment.documentFiles.count }
        func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
            let text = try String(contentsOfFile: environment.documentFiles[task], encoding: .utf8)
            var out = ""
            for (i, line) in text.split(separator: "\n").enumerated() {
                out += "\(i)\t\(line.split(separator: "\t", maxSplits: 1).last ?? "")\n"
            }
            let path = environment.workDirectory + "/hashes-\(task).txt"
            try out.write(toFile: path + ".tmp", atomically: false, encoding: .utf8)
            rename(path + ".tmp", path)
            context.count("documents_hashed", by: text.split(separator: "\n").count)
        }
    }

    struct DecidePass: CorpusPass {
        var name: String { "decide" }
        func taskCount(environment: PassEnvironment) -> Int { 1 }
        func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
            var seen = Set<String>()
            var drops = ""
            for f in 0..<environment.documentFiles.count {
                let text = try String(contentsOfFile: environment.workDirectory + "/hashes-\(f).txt", encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let parts = line.split(separator: "\t", maxSplits: 1)
                    if !seen.insert(String(parts.last ?? "")).inserted { drops += "\(f):\(parts[0])\n" }
                }
            }
            try drops.write(toFile: environment.workDirectory + "/drop.txt", atomically: true, encoding: .utf8)
            // Also a final product through the task's output path.
            try "\(seen.count)\n".write(
                toFile: context.outputPath("unique-count.txt"), atomically: false, encoding: .utf8)
        }
    }

    struct DropListed: Step {
        static let name = "test_dedup"
        static let summary = "Drops listed documents."
        var listed: Set<String>
        init(listed: Set<String>) { self.listed = listed }
        init(options: inout StageOptions) throws { listed = [] }
        mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
            listed.contains("\(context.currentInputIndex):\(context.documentOrdinal)")
                ? .drop(DropReason("test_dedup:duplicate")) : .keep
        }
    }
}

let engineTestRegistry = StageRegistry([
    LinesReader.self, UpperStep.self, DropWordFilter.self, ExplodingStep.self, TestWriter.self, TestDedup.self,
    VanishingWriter.self,
])

/// Writes one file per task and then removes it, as a second run cleaning `_tmp` did (issue 16.1).
struct VanishingWriter: DocumentWriter {
    static let name = "vanishing_write"
    static let summary = "Test writer: its file disappears before the commit."
    var path: String?
    init(options: inout StageOptions) throws {}
    mutating func write(_ document: Document, context: TaskContext) throws {
        if path == nil {
            path = context.outputPath("\(context.taskStem).lines")
            FileManager.default.createFile(atPath: path!, contents: Data("x\n".utf8))
        }
    }
    mutating func finish(context: TaskContext) throws {
        if let path { try FileManager.default.removeItem(atPath: path) }
    }
}

/// Exact dedup over the real intermediate files (JSONL.zst written by `write`, read with `jsonl`):
/// one pass, one task, keeps the first document of each text in file order.
struct JSONLDedup: CorpusStage {
    static let name = "jsonl_dedup"
    static let summary = "Test corpus stage: exact dedup over JSONL intermediates."
    init(options: inout StageOptions) throws {}

    func passes() -> [any CorpusPass] { [Decide()] }

    func makeStep(environment: PassEnvironment) throws -> (any Step)? {
        let text = try String(contentsOfFile: environment.workDirectory + "/drop.txt", encoding: .utf8)
        return TestDedup.DropListed(listed: Set(text.split(separator: "\n").map(String.init)))
    }

    struct Decide: CorpusPass {
        var name: String { "decide" }
        func taskCount(environment: PassEnvironment) -> Int { 1 }
        func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
            var seen = Set<String>()
            var drops = ""
            for (f, path) in environment.documentFiles.enumerated() {
                var documents = try JSONLReader().open(path, context: context)
                var ordinal = 0
                while let d = try documents.next() {
                    if !seen.insert(d.text).inserted { drops += "\(f):\(ordinal)\n" }
                    ordinal += 1
                }
            }
            try drops.write(toFile: environment.workDirectory + "/drop.txt", atomically: true, encoding: .utf8)
        }
    }
}

/// A folder with `n` input files `in/f<i>.lines`, each holding `lines(i)`.
func makeInputs(_ dir: String, count n: Int, lines: (Int) -> [String]) throws {
    try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
    for i in 0..<n {
        try (lines(i).joined(separator: "\n") + "\n").write(
            toFile: dir + "/in/f\(i).lines", atomically: true, encoding: .utf8)
    }
}

/// Every regular file under `root` except engine bookkeeping, as relative path → contents.
func outputFiles(_ root: String, excluding: [String] = ["_stats", "_markers", "_tmp", "_lock", "_locks"]) -> [String:
    Data]
{
    TestSupport.regularFiles(under: root, excluding: excluding)
}

func pipeline(_ yaml: String, in dir: String, overrides: PipelineOverrides = .init()) throws -> Pipeline {
    let path = dir + "/pipeline.yaml"
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    let cwd = FileManager.default.currentDirectoryPath
    FileManager.default.changeCurrentDirectoryPath(dir)
    defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
    var o = overrides
    o.inputs = o.inputs.map { $0.hasPrefix("/") ? $0 : dir + "/" + $0 }
    // Inputs and output in tests are given absolute, so the working directory does not matter later.
    return try Pipeline.load(path: path, registry: engineTestRegistry, overrides: o)
}

func configError(_ body: () throws -> Void) -> SluiceError? {
    do { try body() } catch let e as SluiceError { return e } catch { return nil }
    return nil
}
