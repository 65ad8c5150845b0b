// Tokenizer behaviour without Python: pre-tokenizer pieces, a golden BPE training run, the
// tokenizer.json round trip, special tokens, bad files, and decode(encode(x)) == x properties.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

/// Seeded random UTF-8 strings mixing ASCII, whitespace kinds, Latin-1, CJK, emoji and marks.
func randomStrings(count: Int, seed: UInt64) -> [String] {
    var s = seed
    func next() -> UInt64 {
        s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return s >> 29
    }
    let pools: [[UInt32]] = [
        Array(0x20...0x7E), [0x09, 0x0A, 0x0D, 0x20, 0x20, 0xA0, 0x3000, 0x2028, 0x85], Array(0xC0...0x17F),
        Array(0x4E00...0x4E80), Array(0x1F600...0x1F64F), Array(0x300...0x36F), [0x27, 0x27, 0x73, 0x74, 0x6C, 0x64],
        Array(0x30...0x39), Array(0x660...0x669), Array(0x5D0...0x5EA),
    ]
    return (0..<count).map { _ in
        var u = String.UnicodeScalarView()
        for _ in 0..<Int(next() % 60) {
            let pool = pools[Int(next() % UInt64(pools.count))]
            u.append(Unicode.Scalar(pool[Int(next() % UInt64(pool.count))])!)
        }
        return String(u)
    }
}

func fixtureLines(_ name: String) throws -> [String] {
    // Split on the byte 0x0A: a Swift Character would keep "\r\n" together.
    let bytes = [UInt8](FileManager.default.contents(atPath: TestSupport.fixture("tokenize/" + name)) ?? Data())
    var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map {
        String(decoding: $0, as: UTF8.self)
    }
    if lines.last == "" { lines.removeLast() }
    return lines
}

@Suite struct PreTokenizerTests {
    @Test func gpt2Pieces() {
        #expect(SplitPattern.gpt2.pieces(of: "Hello world's  end") == ["Hello", " world", "'s", " ", " end"])
        #expect(SplitPattern.gpt2.pieces(of: "a\n\nb  ") == ["a", "\n", "\n", "b", "  "])
        #expect(SplitPattern.gpt2.pieces(of: "x = 3.14!!") == ["x", " =", " 3", ".", "14", "!!"])
        #expect(SplitPattern.gpt2.pieces(of: "naïve 東京 2024") == ["naïve", " 東京", " 2024"])
        #expect(SplitPattern.gpt2.pieces(of: "I'M") == ["I", "'", "M"])  // case-sensitive: 'M is no contraction
        #expect(SplitPattern.gpt2.pieces(of: " ") == [" "])
        #expect(SplitPattern.gpt2.pieces(of: "") == [])
    }

    @Test func cl100kPieces() {
        #expect(
            SplitPattern.cl100k.pieces(of: "I'M 12345 (hello)\n\n  x") == [
                "I", "'M", " ", "123", "45", " (", "hello", ")\n\n", " ", " x",
            ])
        #expect(SplitPattern.cl100k.pieces(of: "a \n b") == ["a", " \n", " b"])
        #expect(SplitPattern.cl100k.pieces(of: "\tfoo") == ["\tfoo"])
    }

    @Test(arguments: [SplitPattern.gpt2, .cl100k])
    func piecesCoverTheText(pattern: SplitPattern) throws {
        for s in try randomStrings(count: 300, seed: 3) + fixtureLines("udhr-multilingual.txt") {
            let p = pattern.pieces(of: s)
            #expect(p.joined() == s)
            #expect(!p.contains(""))
        }
    }
}

@Suite struct BPETests {
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

@Suite struct UnigramTests {
    @Test func trainsAndRoundTripsNormalText() throws {
        let path = TestSupport.fixture("tokenize/udhr-multilingual.txt")
        var settings = TokenizerTrainingSettings(model: "unigram", vocabSize: 700)
        settings.nfkc = true
        let (tok, _) = try settings.train(paths: [path], workers: 2)
        #expect(tok.vocabSize == 700)
        #expect(tok.vocab[0] == "<unk>" && tok.vocab[3] == "<0x00>" && tok.eosID == 2)
        // Ordered by score after the meta pieces.
        let s = tok.scores[259...]
        #expect(zip(s, s.dropFirst()).allSatisfy { $0 >= $1 })
        let nfkc = UnicodeNormalizer(form: .nfkc)
        for line in try fixtureLines("udhr-multilingual.txt") + randomStrings(count: 300, seed: 5) {
            let n = try nfkc.normalize(line)
            #expect(tok.decode(tok.encode(n)) == n, "\(n)")
        }
        // A character never seen in training comes back through byte fallback.
        #expect(tok.decode(tok.encode("☃ snow")) == "☃ snow")
    }
}

@Suite struct TokenizerFileErrors {
    func load(_ json: String) -> String { loadTokenizerJSON(json) }

    @Test func badFilesGiveClearErrors() {
        #expect(load("{not json").contains("not valid JSON"))
        #expect(
            load(#"{"model": {"type": "WordPiece", "vocab": {}}, "pre_tokenizer": {"type": "ByteLevel"}}"#).contains(
                "\"WordPiece\" is not supported"))
        #expect(
            load(
                #"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Whitespace"}}"#
            ).contains("\"Whitespace\" is not supported"))
        #expect(
            load(
                #"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}"#
            ).contains("lacks the byte"))
        #expect(
            load(
                #"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "zz"]]}, "pre_tokenizer": {"type": "ByteLevel"}}"#
            ).contains("not in model.vocab"))
        #expect((try? Tokenizer.load(path: "/nonexistent/tokenizer.json")) == nil)
    }
}

@Suite struct TrainingInputTests {
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
