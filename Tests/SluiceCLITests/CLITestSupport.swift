// Helpers for the end-to-end tests: running `sluice` in a folder, writing JSONL inputs (plain or
// compressed through SluiceCore's sinks), reading outputs back, listing output trees.
import Foundation
import SluiceCore
import SluiceIngest
import SluiceTestSupport

enum CLI {
    /// Runs `sluice` in `directory` with progress off.
    @discardableResult
    static func sluice(_ arguments: [String], in directory: String) throws -> TestSupport.ProcessResult {
        try TestSupport.run(
            try TestSupport.sluiceBinary(), arguments, environment: ["SLUICE_NO_PROGRESS": "1"], directory: directory)
    }

    /// One JSONL line `{"id":…,"text":…}`.
    static func jsonl(id: String, text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: ["id": id, "text": text], options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes `lines` (joined by newlines) to `path`, compressed as its extension says.
    static func write(_ lines: [String], to path: String, level: Int? = nil) throws {
        let sink = try createByteSink(path, level: level)
        try sink.write(Array((lines.joined(separator: "\n") + "\n").utf8))
        try sink.close()
    }

    /// The documents of the JSONL output files directly in `folder` (sorted by name), as (id, text).
    static func documents(in folder: String) throws -> [(id: String, text: String)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".jsonl") }
            .sorted()
        var result: [(String, String)] = []
        for name in names {
            let bytes = try openByteSource(folder + "/" + name).readAll()
            for line in bytes.split(separator: UInt8(ascii: "\n")) {
                let object = try JSONSerialization.jsonObject(with: Data(line)) as! [String: Any]
                result.append((object["id"] as! String, object["text"] as! String))
            }
        }
        return result
    }

    /// Every regular file under `root` (relative path → bytes), leaving out the given top folders.
    static func tree(_ root: String, excluding: [String] = ["_stats", "_tmp", "_lock", "_locks"]) -> [String: Data] {
        TestSupport.regularFiles(under: root, excluding: excluding)
    }

    /// The paths whose contents differ between two trees (present in one only, or different bytes).
    static func differences(_ a: [String: Data], _ b: [String: Data]) -> [String] {
        Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
    }

    /// Lines of Tiny Shakespeare from the fixtures, for building inputs of any size.
    static let shakespeareLines: [String] = {
        let text =
            (try? String(contentsOfFile: TestSupport.fixture("quickstart/tinyshakespeare-head.txt"), encoding: .utf8))
            ?? ""
        return text.split(separator: "\n").map(String.init).filter { $0.count > 10 }
    }()

    /// `count` documents with ids `<prefix>-<n>` and a few lines of Shakespeare each, varied by a seeded generator.
    static func documents(prefix: String, count: Int, seed: UInt64) -> [(id: String, text: String)] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let lines = shakespeareLines
        return (0..<count).map { n in
            let k = 2 + next() % 5
            let text = (0..<k).map { _ in lines[next() % lines.count] }.joined(separator: " ")
            return ("\(prefix)-\(n)", text)
        }
    }
}

/// Runs a pipeline file from Pipelines/ in-process and reads back what it wrote.
enum PipelineHarness {
    static let registry = StageRegistry(CoreStages.all + IngestStages.all)

    static func run(_ file: String, inputs: [String], settings: [String] = []) throws -> (
        documents: [Document], stats: [StageStats], output: String
    ) {
        let output = try TestSupport.temporaryDirectory("pipeline")
        let pipeline = try Pipeline.load(
            path: TestSupport.packageRoot + "/Pipelines/" + file, registry: registry,
            overrides: PipelineOverrides(inputs: inputs, output: output, settings: settings))
        let plan = try PipelinePlan(pipeline: pipeline, registry: registry)
        _ = try LocalExecutor(workers: 1).run(plan)
        var documents: [Document] = []
        let files = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.contains(".jsonl") }
            .sorted()
        let context = StageHarness.context("jsonl")
        for f in files {
            var it = try JSONLReader().open(output + "/" + f, context: context)
            while let d = try it.next() { documents.append(d) }
        }
        let report = try StatsReport.load(outputDirectory: output)
        return (documents, report.passes.flatMap(\.stages), output)
    }
}
