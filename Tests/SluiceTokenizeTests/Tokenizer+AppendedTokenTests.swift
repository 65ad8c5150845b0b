// Appending a special token to a trained tokenizer (the MLM objective's [MASK], issue 24): the
// new id follows the vocabulary, it is matched in text, it survives tokenizer.json and Hugging
// Face `tokenizers` encodes identically, and removing it gives back the original fingerprint.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

@Suite struct AppendedTokenTests {
    func fixture() throws -> Tokenizer { try Tokenizer.load(path: TestSupport.fixture("tokenize/bpe-udhr-1000.json")) }

    @Test func maskIsTheNextIdAndIsMatchedInText() throws {
        let base = try fixture()
        let t = try base.appendingSpecialToken("[MASK]")
        #expect(t.vocabSize == base.vocabSize + 1)
        #expect(t.specialTokens["[MASK]"] == UInt32(base.vocabSize))
        let ids = t.encode("Everyone has the [MASK] to life")
        #expect(ids.contains(UInt32(base.vocabSize)))
        #expect(t.decode(ids) == "Everyone has the [MASK] to life")
        #expect(t.decode(ids, skipSpecialTokens: true) == "Everyone has the  to life")
        // Text without the marker encodes as before; appending twice changes nothing.
        #expect(t.encode("Everyone has the right to life") == base.encode("Everyone has the right to life"))
        #expect(try t.appendingSpecialToken("[MASK]") === t)
        #expect(t.fingerprint != base.fingerprint)
        #expect(try t.removingAppendedToken("[MASK]")?.fingerprint == base.fingerprint)
        #expect(try base.removingAppendedToken("[MASK]") == nil)
        #expect(throws: SluiceError.self) { try base.appendingSpecialToken("") }
    }

    @Test func tokenizerJSONRoundTripAndHuggingFaceAgree() throws {
        let dir = try TestSupport.temporaryDirectory("appended-token")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = try fixture().appendingSpecialToken("[MASK]")
        try t.save(path: dir + "/t.json")
        let back = try Tokenizer.load(path: dir + "/t.json")
        #expect(back.fingerprint == t.fingerprint)
        #expect(try back.removingAppendedToken("[MASK]")?.fingerprint == fixture().fingerprint)
        let lines = ["Everyone has the [MASK] to life, liberty", "[MASK][MASK] and [MASK]", "no marker here", "[MASK"]
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/lines.txt", atomically: true, encoding: .utf8)
        let hf = try #require(try interop(["encode", dir + "/t.json", dir + "/lines.txt"]) as? [[Int]])
        #expect(hf == lines.map { t.encode($0).map(Int.init) })
        #expect(hf[1].filter { $0 == 1000 }.count == 3)
    }

    /// A Unigram model lists a score per piece; the appended piece's survives tokenizer.json, so the
    /// data's fingerprint comes back after a save and load.
    @Test func unigramRoundTripKeepsTheDataFingerprint() throws {
        let dir = try TestSupport.temporaryDirectory("appended-unigram")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trained, _) = try TokenizerTrainingSettings(model: "unigram", vocabSize: 400).train(
            paths: [TestSupport.fixture("tokenize/udhr-multilingual.txt")], workers: 2)
        try trained.save(path: dir + "/base.json")
        let base = try Tokenizer.load(path: dir + "/base.json")
        let t = try base.appendingSpecialToken("[MASK]")
        #expect(t.specialTokens["[MASK]"] == 400 && t.encode("a [MASK] b").contains(400))
        try t.save(path: dir + "/t.json")
        let back = try Tokenizer.load(path: dir + "/t.json")
        #expect(back.fingerprint == t.fingerprint)
        #expect(try back.removingAppendedToken("[MASK]")?.fingerprint == base.fingerprint)
    }
}
