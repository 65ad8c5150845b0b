// The write stage and JSONLWriter: names, compression, parts by count and size, deterministic bytes.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct WriteStageTests {
    func stage(_ values: [(String, String)]) throws -> WriteStage { try StageHarness.build(WriteStage.self, values) }

    func docs(_ n: Int) -> [Document] {
        (0..<n).map {
            Document(id: "id\($0)", text: "text number \($0) ✓", source: "test", metadata: ["n": .int(Int64($0))])
        }
    }

    /// Runs the stage over `documents` and returns the files it wrote, by final name.
    func run(_ s: WriteStage, _ documents: [Document], dir: String, task: Int = 3) throws -> [String: String] {
        var s = s
        let context = makeContext(dir, stage: "write", task: task)
        for d in documents { try s.write(d, context: context) }
        try s.finish(context: context)
        var files: [String: String] = [:]
        for (tmp, final) in context.outputs { files[String(final.split(separator: "/").last!)] = tmp }
        return files
    }

    @Test func defaultIsOneZstdFile() throws {
        let dir = try TestSupport.temporaryDirectory("write")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = try run(try stage([]), docs(100), dir: dir)
        #expect(Array(files.keys) == ["00003.jsonl.zst"])
        #expect(try readAll(JSONLReader(), files["00003.jsonl.zst"]!, makeContext(dir)) == docs(100))
    }

    @Test func splitsByDocumentCount() throws {
        let dir = try TestSupport.temporaryDirectory("write")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = try run(try stage([("max_documents", "40"), ("compression", "gzip")]), docs(100), dir: dir)
        #expect(files.keys.sorted() == ["00003.jsonl.gz", "00003_0001.jsonl.gz", "00003_0002.jsonl.gz"])
        let counts = try files.keys.sorted().map { try readAll(JSONLReader(), files[$0]!, makeContext(dir)).count }
        #expect(counts == [40, 40, 20])
    }

    @Test func splitsBySizeWithoutPassingIt() throws {
        let dir = try TestSupport.temporaryDirectory("write")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = try run(try stage([("max_bytes", "1KB"), ("compression", "none")]), docs(100), dir: dir, task: 0)
        #expect(files.count > 3)
        var all: [Document] = []
        for name in files.keys.sorted() {
            let size = try FileManager.default.attributesOfItem(atPath: files[name]!)[.size] as! Int
            #expect(size <= 1000, "\(name): \(size) bytes")
            if name != files.keys.sorted().last { #expect(size > 900, "\(name): \(size) bytes, not full") }
            all += try readAll(JSONLReader(), files[name]!, makeContext(dir))
        }
        #expect(all == docs(100))
        #expect(files.keys.sorted().first == "00000.jsonl")
    }

    @Test func oversizedDocumentGetsItsOwnPart() throws {
        let dir = try TestSupport.temporaryDirectory("write")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let big = Document(id: "big", text: String(repeating: "x", count: 5000), source: "t")
        let files = try run(try stage([("max_bytes", "1000")]), [docs(1)[0], big, docs(2)[1]], dir: dir)
        #expect(files.count == 3)
    }

    @Test func sameInputSameBytes() throws {
        let dir = try TestSupport.temporaryDirectory("write")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try run(try stage([("level", "5")]), docs(500), dir: dir + "/a")
        let b = try run(try stage([("level", "5")]), docs(500), dir: dir + "/b")
        let x = try Data(contentsOf: URL(fileURLWithPath: a["00003.jsonl.zst"]!))
        let y = try Data(contentsOf: URL(fileURLWithPath: b["00003.jsonl.zst"]!))
        #expect(x == y && !x.isEmpty)
    }

    @Test func noDocumentsNoFile() throws {
        let dir = try TestSupport.temporaryDirectory("write")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try run(try stage([]), [], dir: dir).isEmpty)
    }

    @Test(arguments: [
        [("compression", "lz4")], [("level", "30")], [("compression", "gzip"), ("level", "0")],
        [("compression", "none"), ("level", "3")], [("max_bytes", "lots")], [("max_documents", "0")],
        [("colour", "red")],
    ])
    func rejectsBadOptions(values: [(String, String)]) {
        #expect(throws: SluiceError.self) { _ = try stage(values) }
    }

    @Test func writerCountsBytes() throws {
        let dir = try TestSupport.temporaryDirectory("write")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = try JSONLWriter(path: dir + "/x.jsonl")
        for d in docs(10) { try w.write(d) }
        try w.close()
        let size = try FileManager.default.attributesOfItem(atPath: dir + "/x.jsonl")[.size] as! Int
        #expect(w.documentCount == 10 && w.byteCount == size)
    }
}
