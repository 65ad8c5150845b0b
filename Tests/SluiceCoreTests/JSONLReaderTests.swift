// The jsonl reader: real documents, every bad-record reason with file:line, compressed inputs,
// and damaged compressed files (good lines before the damage kept, the damage counted).
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

func makeContext(_ dir: String, stage: String = "stage", task: Int = 0) -> TaskContext {
    TaskContext(
        taskIndex: task, taskCount: 1, outputDirectory: dir + "/out", temporaryDirectory: dir + "/tmp",
        stageNames: [stage])
}

func readAll(_ reader: any DocumentReader, _ path: String, _ context: TaskContext) throws -> [Document] {
    var it = try reader.open(path, context: context)
    var docs: [Document] = []
    while let d = try it.next() { docs.append(d) }
    return docs
}

@Suite struct JSONLReaderTests {
    @Test func readsRealDocuments() throws {
        let dir = try TestSupport.temporaryDirectory("jsonl")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let context = makeContext(dir, stage: "jsonl")
        let docs = try readAll(JSONLReader(), TestSupport.fixture("core/dolma-cc-head.jsonl"), context)
        #expect(docs.count == 10)
        #expect(docs.allSatisfy { $0.source == "common-crawl" && !$0.text.isEmpty && $0.id.hasPrefix("http") })
        // Extra top-level fields join metadata after the metadata object's own keys.
        #expect(docs[0].metadata["added"] != nil && docs[0].metadata["language"] == "en")
        #expect(context.stats.stages[0].errors.isEmpty)
    }

    @Test func badLinesAreCountedAndSkipped() throws {
        let dir = try TestSupport.temporaryDirectory("jsonl")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var data = Array(#"{"id":"a","text":"first"}"#.utf8) + [0x0A]
        data += Array(#"{"id":"b","text":"#.utf8) + [0x0A]  // line 2: cut off
        data += [0x0A]  // line 3: blank, skipped silently
        data += Array(#"{"id":"c"}"#.utf8) + [0x0D, 0x0A]  // line 4: no text
        data += Array(#"{"text":"bad "#.utf8) + [0xFF] + Array(#" byte"}"#.utf8) + [0x0A]  // line 5: invalid UTF-8
        data += Array(#"{"text":"last","source":"s"}"#.utf8)  // line 6: no newline at the end
        let path = dir + "/mixed.jsonl"
        try Data(data).write(to: URL(fileURLWithPath: path))
        let context = makeContext(dir, stage: "jsonl")
        let docs = try readAll(JSONLReader(), path, context)
        #expect(docs.map(\.id) == ["a", "mixed.jsonl:5", "mixed.jsonl:6"])
        #expect(docs[1].text == "bad \u{FFFD} byte")
        #expect(docs[2].source == "s")
        #expect(context.stats.stages[0].errors == [JSONLReader.malformedLine: 2, JSONLReader.invalidUTF8: 1])
    }

    @Test(arguments: [".jsonl.gz", ".jsonl.zst", ".jsonl.bz2"])
    func readsCompressed(ext: String) throws {
        let dir = try TestSupport.temporaryDirectory("jsonl")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let original = try readAll(JSONLReader(), TestSupport.fixture("core/dolma-cc-head.jsonl"), makeContext(dir))
        let path = dir + "/docs" + ext
        let writer = try JSONLWriter(path: path)
        for d in original { try writer.write(d) }
        try writer.close()
        #expect(try readAll(JSONLReader(), path, makeContext(dir)) == original)
    }

    /// A truncated compressed file: the documents before the cut survive and the damage is counted.
    @Test(arguments: [".jsonl.gz", ".jsonl.zst", ".jsonl.bz2"])
    func truncatedCompressedFile(ext: String) throws {
        let dir = try TestSupport.temporaryDirectory("jsonl")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let docs = (0..<8000).map {
            Document(id: "d\($0)", text: String(repeating: "text \($0) ", count: 40), source: "t")
        }
        let path = dir + "/full" + ext
        let writer = try JSONLWriter(path: path)
        for d in docs { try writer.write(d) }
        try writer.close()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = dir + "/cut" + ext
        try bytes.prefix(bytes.count * 4 / 5).write(to: URL(fileURLWithPath: cut))
        let context = makeContext(dir, stage: "jsonl")
        let back = try readAll(JSONLReader(), cut, context)
        #expect(back.count > 100 && back.count < docs.count)
        #expect(back == Array(docs.prefix(back.count)))
        #expect(context.stats.stages[0].errors == [JSONLReader.corruptInput: 1])
    }

    @Test func missingFileThrows() throws {
        let dir = try TestSupport.temporaryDirectory("jsonl")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: SluiceError.self) { _ = try JSONLReader().open(dir + "/nope.jsonl", context: makeContext(dir)) }
    }

    @Test func registeredByExtension() {
        let registry = StageRegistry(CoreStages.all)
        #expect(registry.reader(forPath: "a/b.jsonl.zst") == JSONLReader.self)
        #expect(registry.reader(forPath: "b.jsonl") == JSONLReader.self)
        #expect(registry.reader(forPath: "b.txt.bz2") == TextReader.self)
        #expect(registry.reader(forPath: "notes.md") == TextReader.self)
    }

    @Test func aZstdBombLineIsSkippedAndTheLinesAroundItKept() throws {
        let dir = try TestSupport.temporaryDirectory("bomb")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bomb.jsonl.zst"
        // 8 MB of one line compresses to a few hundred bytes; the cap here is 64 KB.
        let sink = try createByteSink(path)
        try sink.write(Array("{\"id\":\"a\",\"text\":\"before\"}\n{\"id\":\"bomb\",\"text\":\"".utf8))
        let block = [UInt8](repeating: UInt8(ascii: "A"), count: 1 << 20)
        for _ in 0..<8 { try sink.write(block) }
        try sink.write(Array("\"}\n{\"id\":\"b\",\"text\":\"after\"}\n".utf8))
        try sink.close()
        let compressed = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(compressed < 10_000)

        let context = makeContext(dir, stage: "jsonl")
        var options = StageOptions(
            stageName: "jsonl", values: [("max_record_bytes", .scalar("64KB", line: 3))], file: "p.yaml")
        let reader = try JSONLReader(options: &options)
        #expect(reader.maxRecordBytes == 64_000)
        let docs = try readAll(reader, path, context)
        #expect(docs.map(\.id) == ["a", "b"])
        #expect(context.stats.stages[0].errors == [JSONLReader.recordTooLarge: 1])
        #expect(JSONLReader().maxRecordBytes == 64_000_000)
    }

    @Test func numbersOutOfRangeAreACountedBadRecord() throws {
        let dir = try TestSupport.temporaryDirectory("bomb")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        {"id":"a","text":"one","score":1e308}
        {"id":"b","text":"two","score":1e999}
        {"id":"c","text":"three","score":-2e400}
        {"id":"d","text":"four","n":123456789012345678901234567890}
        """.write(toFile: dir + "/n.jsonl", atomically: true, encoding: .utf8)
        let context = makeContext(dir, stage: "jsonl")
        let docs = try readAll(JSONLReader(), dir + "/n.jsonl", context)
        #expect(docs.map(\.id) == ["a", "d"])
        #expect(context.stats.stages[0].errors == [JSONLReader.numberOutOfRange: 2])
        var parser = JSONParser()
        #expect(throws: JSONSyntaxError.self) { _ = try parser.parse("1e999") }
        #expect(try parser.parse("1e308") == .double(1e308))
    }
}
