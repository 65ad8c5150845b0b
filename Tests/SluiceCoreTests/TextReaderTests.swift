// The text reader: one document per file or per paragraph, BOM and CRLF handling, invalid UTF-8.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct TextReaderTests {
    func reader(_ split: String) throws -> TextReader { try StageHarness.build(TextReader.self, [("split", split)]) }

    @Test func wholeFile() throws {
        let dir = try TestSupport.temporaryDirectory("text")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = TestSupport.fixture("core/botchan-bom-crlf.txt")
        let docs = try readAll(try reader("file"), path, makeContext(dir))
        #expect(docs.count == 1)
        let d = try #require(docs.first)
        #expect(d.id == "botchan-bom-crlf.txt" && d.source == "text")
        #expect(!d.text.hasPrefix("\u{FEFF}"))
        #expect(!d.text.contains("\r"))
        #expect(d.text.hasSuffix("\n"))
        // Same text as the file minus BOM, with CRLF → LF.
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(raw.prefix(3) == Data([0xEF, 0xBB, 0xBF]))
        let expected = String(decoding: raw.dropFirst(3), as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        #expect(d.text == expected)
    }

    @Test func paragraphs() throws {
        let dir = try TestSupport.temporaryDirectory("text")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let docs = try readAll(
            try reader("paragraph"), TestSupport.fixture("core/shakespeare-paragraphs.txt"), makeContext(dir))
        #expect(docs.count == 16)
        #expect(docs[0].id == "shakespeare-paragraphs.txt:0")
        #expect(docs[0].text == "First Citizen:\nBefore we proceed any further, hear me speak.")
        #expect(docs[15].id == "shakespeare-paragraphs.txt:15")
        #expect(docs.allSatisfy { !$0.text.isEmpty && !$0.text.hasSuffix("\n") })
    }

    @Test func blankLinesWithSpacesSeparateParagraphs() throws {
        let dir = try TestSupport.temporaryDirectory("text")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/p.md"
        try Data("\n\n  one\ntwo\n \t \nthree\r\n\r\n\r\n".utf8).write(to: URL(fileURLWithPath: path))
        let docs = try readAll(try reader("paragraph"), path, makeContext(dir))
        #expect(docs.map(\.text) == ["  one\ntwo", "three"])
        #expect(docs.map(\.id) == ["p.md:0", "p.md:1"])
    }

    @Test func invalidUTF8IsCounted() throws {
        let dir = try TestSupport.temporaryDirectory("text")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bad.txt"
        try Data([0x61, 0xC0, 0x62]).write(to: URL(fileURLWithPath: path))
        let context = makeContext(dir, stage: "text")
        let docs = try readAll(try reader("file"), path, context)
        #expect(docs.map(\.text) == ["a\u{FFFD}b"])
        #expect(context.stats.stages[0].errors == [TextReader.invalidUTF8: 1])
    }

    @Test func emptyFileHasNoDocument() throws {
        let dir = try TestSupport.temporaryDirectory("text")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/e.txt", contents: Data())
        #expect(try readAll(try reader("file"), dir + "/e.txt", makeContext(dir)).isEmpty)
        #expect(try readAll(try reader("paragraph"), dir + "/e.txt", makeContext(dir)).isEmpty)
    }

    @Test func truncatedCompressedTextKeepsWhatWasDecoded() throws {
        let dir = try TestSupport.temporaryDirectory("text")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = (0..<100_000).map { "line \($0)\n" }.joined()
        try writeCompressed(Array(text.utf8), to: dir + "/t.txt.zst")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/t.txt.zst"))
        try bytes.prefix(bytes.count * 4 / 5).write(to: URL(fileURLWithPath: dir + "/cut.txt.zst"))
        let context = makeContext(dir, stage: "text")
        let docs = try readAll(try reader("file"), dir + "/cut.txt.zst", context)
        let d = try #require(docs.first)
        #expect(d.text.count > 1000 && text.hasPrefix(d.text))
        #expect(d.metadata["truncated"] == true)
        #expect(context.stats.stages[0].errors == [TextReader.corruptInput: 1])
    }

    @Test func rejectsUnknownSplit() {
        #expect(throws: SluiceError.self) { _ = try reader("sentence") }
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
}
