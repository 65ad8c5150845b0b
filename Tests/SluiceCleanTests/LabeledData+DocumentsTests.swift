// LabeledData+Documents: document files and folders as labelled examples, the seeded per-label cap
// and the stratified held-out split the quality-classifier recipe uses.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceClean

@Suite struct LabeledDocumentsTests {
    func examples(_ counts: [String: Int]) -> [LabeledExample] {
        var out: [LabeledExample] = []
        for (label, n) in counts.sorted(by: { $0.key < $1.key }) {
            for i in 0..<n { out.append(LabeledExample(text: "\(label) example \(i)", label: label)) }
        }
        return out
    }

    @Test func splitIsStratifiedDeterministicAndSeeded() {
        let all = examples(["hq": 43, "cc": 101])
        let (train, held) = LabeledData.split(all, holdout: 0.2, seed: 19)
        #expect(held.filter { $0.label == "hq" }.count == 9)  // round(0.2 × 43)
        #expect(held.filter { $0.label == "cc" }.count == 20)  // round(0.2 × 101)
        #expect(train.count + held.count == all.count)
        #expect(Set(train.map(\.text)).isDisjoint(with: held.map(\.text)))
        // Both parts keep the input order.
        #expect(train.map(\.text) == all.map(\.text).filter { t in train.contains { $0.text == t } })
        let again = LabeledData.split(all, holdout: 0.2, seed: 19)
        #expect(again.heldOut == held && again.train == train)
        #expect(LabeledData.split(all, holdout: 0.2, seed: 20).heldOut != held)
        #expect(LabeledData.split(all, holdout: 0, seed: 19).heldOut.isEmpty)
    }

    @Test func capKeepsAtMostNPerLabel() {
        let all = examples(["hq": 5, "cc": 30])
        let capped = LabeledData.capped(all, perLabel: 5, seed: 1)
        #expect(capped.filter { $0.label == "hq" }.count == 5)
        #expect(capped.filter { $0.label == "cc" }.count == 5)
        #expect(capped == LabeledData.capped(all, perLabel: 5, seed: 1))
        #expect(capped != LabeledData.capped(all, perLabel: 5, seed: 2))
    }

    @Test func documentFilesAndFoldersGetTheirLabel() throws {
        let dir = try TestSupport.temporaryDirectory("labeled-docs")
        let folder = dir + "/run"
        try FileManager.default.createDirectory(atPath: folder + "/_work", withIntermediateDirectories: true)
        let lines = [
            #"{"id":"a","text":"one two three four","source":"warc","metadata":{}}"#,
            #"{"id":"b","text":"short","source":"warc","metadata":{}}"#,
        ]
        let sink = try createByteSink(folder + "/00000.jsonl.zst", level: nil)
        try sink.write(Array((lines.joined(separator: "\n") + "\n").utf8))
        try sink.close()
        // Files of a run folder that are not documents (stats, work folders) are not read.
        try "{}".write(toFile: folder + "/_work/x.jsonl", atomically: true, encoding: .utf8)
        try "not documents".write(toFile: folder + "/stats.json", atomically: true, encoding: .utf8)
        let fromFolder = try LabeledData.documents(at: folder, label: "cc")
        #expect(
            fromFolder == [
                LabeledExample(text: "one two three four", label: "cc"), LabeledExample(text: "short", label: "cc"),
            ])
        #expect(try LabeledData.documents(at: folder, label: "cc", minWords: 2).count == 1)

        try "First paragraph here.\n\n  \nSecond one,\nover two lines.\n".write(
            toFile: dir + "/curated.txt", atomically: true, encoding: .utf8)
        // One example per line by default, as in fastText's training files; blank lines are none.
        let perLine = try LabeledData.documents(at: dir + "/curated.txt", label: "hq")
        #expect(perLine.map(\.text) == ["First paragraph here.", "Second one,", "over two lines."])
        #expect(perLine.allSatisfy { $0.label == "hq" })
        let paragraphs = try LabeledData.documents(at: dir + "/curated.txt", label: "hq", textUnit: .paragraph)
        #expect(paragraphs.map(\.text) == ["First paragraph here.", "Second one,\nover two lines."])
        #expect(try LabeledData.documents(at: dir + "/curated.txt", label: "hq", minWords: 3).count == 2)
    }

    @Test func badDocumentInputsAreErrorsNamingTheFile() throws {
        let dir = try TestSupport.temporaryDirectory("labeled-docs-bad")
        let missing = #expect(throws: SluiceError.self) { try LabeledData.documents(at: dir + "/nope", label: "hq") }
        #expect(missing?.description.contains("nope") == true)
        let empty = #expect(throws: SluiceError.self) { try LabeledData.documents(at: dir, label: "hq") }
        #expect(empty?.description.contains("no document files") == true)
        try "x".write(toFile: dir + "/model.bin", atomically: true, encoding: .utf8)
        #expect(throws: SluiceError.self) { try LabeledData.documents(at: dir + "/model.bin", label: "hq") }
        try "{\"id\":\"a\",\"text\":\"fine\"}\n{not json\n".write(
            toFile: dir + "/broken.jsonl", atomically: true, encoding: .utf8)
        let broken = #expect(throws: SluiceError.self) {
            try LabeledData.documents(at: dir + "/broken.jsonl", label: "hq")
        }
        #expect(broken?.description.contains("broken.jsonl") == true, "\(String(describing: broken))")
    }

    @Test func wordCountStopsAtTheThreshold() {
        #expect(LabeledData.wordCount("a b\tc\nd", atLeast: 4))
        #expect(!LabeledData.wordCount("  a  b  ", atLeast: 3))
        #expect(LabeledData.wordCount("", atLeast: 0))
    }
}
