// Runs a corpus stage the way the engine does, without the engine: writes documents to JSONL
// files, runs every pass's tasks, then applies the stage's step while reading the files again.
import Foundation
import SluiceCore
import SluiceDedup
import SluiceTestSupport

/// A small in-process executor for corpus stages in tests.
struct DedupHarness {
    let directory: String
    let files: [String]
    var environment: PassEnvironment {
        PassEnvironment(documentFiles: files, workDirectory: directory + "/work", segmentTasks: files.count)
    }

    /// Writes `groups[i]` as document file i.
    init(_ groups: [[Document]]) throws {
        directory = try TestSupport.temporaryDirectory("dedup")
        var files: [String] = []
        for (i, docs) in groups.enumerated() {
            let path = directory + "/docs-\(i).jsonl"
            let text =
                docs.map { d in
                    let obj: [String: Any] = ["id": d.id, "text": d.text, "source": d.source]
                    let data = try! JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
                    return String(decoding: data, as: UTF8.self)
                }.joined(separator: "\n") + "\n"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        self.files = files
    }

    func context(_ task: Int = 0, _ count: Int = 1) -> TaskContext {
        TaskContext(
            taskIndex: task, taskCount: count, outputDirectory: directory + "/out",
            temporaryDirectory: directory + "/tmp",
            stageNames: ["dedup"])
    }

    /// Runs pass `index` of `stage`, every task (in reverse order, to show order does not matter).
    func runPass(_ stage: any CorpusStage, _ index: Int) throws {
        let pass = stage.passes()[index]
        let n = pass.taskCount(environment: environment)
        for t in (0..<n).reversed() { try pass.run(task: t, environment: environment, context: context(t, n)) }
    }

    /// Runs all passes, then the step; returns the kept documents and the drops, in file order.
    func run(_ stage: any CorpusStage, fromPass: Int = 0) throws -> (kept: [Document], dropped: [(String, String)]) {
        for i in fromPass..<stage.passes().count { try runPass(stage, i) }
        return try applyStep(stage)
    }

    func applyStep(_ stage: any CorpusStage) throws -> (kept: [Document], dropped: [(String, String)]) {
        guard var step = try stage.makeStep(environment: environment) else { return (try allDocuments(), []) }
        let ctx = context()
        var kept: [Document] = []
        var dropped: [(String, String)] = []
        for (f, path) in files.enumerated() {
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            for (o, line) in lines.enumerated() {
                let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                var doc = Document(id: obj["id"] as! String, text: obj["text"] as! String, source: "jsonl")
                ctx.currentInputIndex = f
                ctx.currentInput = path
                ctx.documentOrdinal = o
                switch try step.apply(to: &doc, context: ctx) {
                case .keep: kept.append(doc)
                case .drop(let r): dropped.append((doc.id, r.rawValue))
                }
            }
        }
        return (kept, dropped)
    }

    func allDocuments() throws -> [Document] {
        try files.flatMap { path in
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
                let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                return Document(id: obj["id"] as! String, text: obj["text"] as! String, source: "jsonl")
            }
        }
    }
}

/// Real paragraphs from the fixture (WikiText-2, CC BY-SA 3.0).
let paragraphs: [String] = {
    let text = try! String(contentsOfFile: TestSupport.fixture("dedup/wikitext-paragraphs.txt"), encoding: .utf8)
    return text.split(separator: "\n").map(String.init)
}()

/// `text` with every `every`-th word replaced.
func edited(_ text: String, every: Int, offset: Int = 3) -> String {
    var words = text.split(separator: " ").map(String.init)
    var i = offset
    while i < words.count {
        words[i] = "changed\(i)"
        i += every
    }
    return words.joined(separator: " ")
}

func doc(_ id: String, _ text: String) -> Document { Document(id: id, text: text, source: "jsonl") }
