// Decompression bombs (issue 16.7): a line or document longer than the reader's cap is streamed
// past without being held, counted, and the good records after it are kept. And `1e999` (16.11).
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct RecordCapTests {
    @Test(arguments: [1, 7, 4096, 1 << 20])
    func lineReaderSkipsAnOversizedLineWithoutGrowingPastTheCap(chunk: Int) throws {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 300_000)
        let data = Array("first\n".utf8) + big + Array("\nlast\n".utf8) + big
        let reader = LineReader(source: MemorySource(data, chunk: chunk), initialCapacity: 16, maxLineBytes: 1000)
        var events: [String] = []
        while let line = try reader.nextLine() {
            switch line {
            case .text(let b): events.append("text \(String(decoding: b, as: UTF8.self)) @\(reader.lineNumber)")
            case .oversized(let n): events.append("oversized \(n) @\(reader.lineNumber):\(reader.lineOffset)")
            }
            #expect(reader.bufferCapacity <= 2 * 1016)
        }
        #expect(events == ["text first @1", "oversized 300000 @2:6", "text last @3", "oversized 300000 @4:300012"])
        // A line of exactly the cap is kept.
        let exact = LineReader(
            source: MemorySource(Array(repeating: 0x61, count: 1000) + [0x0A], chunk: chunk), maxLineBytes: 1000)
        #expect(try exact.next()?.count == 1000)
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

    @Test func textReaderCapsFilesAndParagraphs() throws {
        let dir = try TestSupport.temporaryDirectory("bomb")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let long = String(repeating: "word ", count: 400)  // 2000 bytes
        try "short one\n\n\(long)\n\(long)\n\nshort two\n".write(
            toFile: dir + "/t.txt", atomically: true, encoding: .utf8)
        let context = makeContext(dir, stage: "text")
        let docs = try readAll(TextReader(split: .paragraph, maxRecordBytes: 3000), dir + "/t.txt", context)
        #expect(docs.map(\.text) == ["short one", "short two"])
        #expect(docs.map(\.id) == ["t.txt:0", "t.txt:2"])
        #expect(context.stats.stages[0].errors == [TextReader.recordTooLarge: 1])
        let whole = makeContext(dir, stage: "text")
        #expect(try readAll(TextReader(split: .file, maxRecordBytes: 3000), dir + "/t.txt", whole).isEmpty)
        #expect(whole.stats.stages[0].errors == [TextReader.recordTooLarge: 1])
        #expect(try readAll(TextReader(split: .file), dir + "/t.txt", makeContext(dir)).count == 1)
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
