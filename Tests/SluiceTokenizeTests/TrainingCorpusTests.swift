// TrainingCorpus: compressed inputs count like plain ones; malformed and missing inputs are clear errors.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

@Suite struct TrainingCorpusTests {
    @Test(arguments: [".jsonl", ".jsonl.gz", ".jsonl.zst", ".jsonl.bz2"])
    func compressedInputsCountLikePlain(ext: String) throws {
        let dir = try TestSupport.temporaryDirectory("inputs")
        let lines = try fixtureLines("udhr-multilingual.txt")
        try jsonlFile(dir + "/plain.jsonl", lines)
        let data = FileManager.default.contents(atPath: dir + "/plain.jsonl")!
        let sink = try createByteSink(dir + "/c" + ext)
        try data.withUnsafeBytes { try sink.write($0) }
        try sink.close()
        let a = try TrainingCorpus.countWords(paths: [dir + "/plain.jsonl"], splitter: .pattern(.gpt2), workers: 2)
        let b = try TrainingCorpus.countWords(paths: [dir + "/c" + ext], splitter: .pattern(.gpt2), workers: 2)
        #expect(a.distinct == b.distinct && a.total == b.total)
    }

    @Test func malformedJSONLNamesFileAndOffset() throws {
        let dir = try TestSupport.temporaryDirectory("badjsonl")
        try "{\"text\": \"fine\"}\n{\"text\": 3}\n".write(toFile: dir + "/bad.jsonl", atomically: true, encoding: .utf8)
        do {
            _ = try TrainingCorpus.countWords(paths: [dir + "/bad.jsonl"], splitter: .pattern(.gpt2), workers: 1)
            Issue.record("no error")
        } catch let e as SluiceError {
            #expect(e.code == .corruptInput && e.file == dir + "/bad.jsonl" && e.offset == 17, "\(e)")
        }
    }

    @Test func missingInputIsAnIOError() {
        #expect(throws: SluiceError.self) {
            try TrainingCorpus.countWords(paths: ["/nonexistent.txt"], splitter: .pattern(.gpt2), workers: 1)
        }
    }
}
