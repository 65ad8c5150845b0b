// BPE training (BPETrainer, WordCounts) and the trained tokenizer (Tokenizer, ByteLevel): golden merges,
// vocabulary size, JSON round trip, special tokens, round trips on random and real text, batches.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

@Suite struct BPETrainerTests {
    static let tiny = "low lower lowest\nnewer wider new newest\nlow low low new\n"

    func trainTiny(vocab: Int) throws -> Tokenizer {
        let dir = try TestSupport.temporaryDirectory("bpe")
        try Self.tiny.write(toFile: dir + "/tiny.txt", atomically: true, encoding: .utf8)
        return try TokenizerTrainingSettings(model: "bpe", vocabSize: vocab).train(
            paths: [dir + "/tiny.txt"], workers: 2
        ).0
    }

    /// Golden merges: the same list HF tokenizers 0.23.3 produces on this corpus.
    @Test func goldenMerges() throws {
        let tok = try trainTiny(vocab: 300)
        let merges = tok.merges.map { tok.vocab[Int($0.0)] + " " + tok.vocab[Int($0.1)] }
        #expect(
            merges == [
                "l o",  // 257 lo
                "lo w",  // 258 low
                "e w",  // 259 ew
                "n ew",  // 260 new
                "Ġ low",  // 261 " low"
                "e r",  // 262 er
                "Ġ new",  // 263 " new"
                "e s",  // 264 es
                "es t",  // 265 est
                "d er",  // 266 der
                "i der",  // 267 ider
                "w ider",  // 268 wider
                "Ġ wider",  // 269 " wider"
                "new er",  // 270 newer
                "Ġlow er",  // 271 " lower"
                "Ġlow est",  // 272 " lowest"
                "Ġnew est",  // 273 " newest"
            ])
        #expect(tok.vocabSize == 274)  // ran out of pairs before 300
        #expect(tok.vocab[0] == "<|endoftext|>" && tok.eosID == 0)
        #expect(tok.encode("low lowest newer") == [258, 272, 263, 262])  // low, " lowest", " new", er
    }

    @Test func vocabSizeStopsMerging() throws {
        let tok = try trainTiny(vocab: 260)
        #expect(tok.vocabSize == 260 && tok.merges.count == 3)
    }

    @Test func jsonRoundTripKeepsIdsAndFingerprint() throws {
        let tok = try trainTiny(vocab: 300)
        let dir = try TestSupport.temporaryDirectory("json")
        try tok.save(path: dir + "/t.json")
        let back = try Tokenizer.load(path: dir + "/t.json")
        #expect(back.fingerprint == tok.fingerprint)
        #expect(back.vocab == tok.vocab)
        let text = "new lower widest <|endoftext|> naïve"
        #expect(back.encode(text) == tok.encode(text))
    }

    @Test func specialTokensInText() throws {
        let tok = try trainTiny(vocab: 300)
        let ids = tok.encode("low<|endoftext|>low")
        #expect(ids == [258, 0, 258])
        var plain = Tokenizer.Encoder(tok, recognizeAddedTokens: false)
        var out: [UInt32] = []
        plain.encode("low<|endoftext|>", into: &out)
        #expect(!out.contains(0) && tok.decode(out) == "low<|endoftext|>")
        #expect(tok.decode(ids, skipSpecialTokens: true) == "lowlow")
    }

    @Test func roundTripOnRandomAndRealText() throws {
        let tok = try trainTiny(vocab: 300)
        let fixture = try Tokenizer.load(path: TestSupport.fixture("tokenize/bpe-udhr-1000.json"))
        for t in [tok, fixture] {
            for s in try randomStrings(count: 500, seed: 11) + fixtureLines("udhr-multilingual.txt")
                + fixtureLines("wagahaiwa-30k.txt")
            {
                #expect(t.decode(t.encode(s)) == s)
            }
        }
    }

    @Test func batchEqualsSingle() throws {
        let tok = try Tokenizer.load(path: TestSupport.fixture("tokenize/bpe-udhr-1000.json"))
        let lines = try fixtureLines("udhr-multilingual.txt")
        #expect(tok.encodeBatch(lines, workers: 2) == lines.map { tok.encode($0) })
    }
}
