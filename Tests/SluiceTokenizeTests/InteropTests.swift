// Interop with the real Hugging Face `tokenizers` (0.23.3) and the Python shard reader, through
// Tests/python/tokenize_interop.py in the reference venv: our pre-tokenizer pieces, our trained
// files loaded by HF, HF-trained files encoded by us, and shards read from Python.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

func interop(_ args: [String]) throws -> Any {
    let py = try TestSupport.python()
    let r = try TestSupport.run(py, [TestSupport.packageRoot + "/Tests/python/tokenize_interop.py"] + args)
    guard r.status == 0 else { throw TestSupportError("interop \(args.first ?? "") failed: \(r.stderr.suffix(2000))") }
    // The JSON is the last line (libraries may print notices before it).
    let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
    return try JSONSerialization.jsonObject(with: Data(last.utf8), options: [.fragmentsAllowed])
}

/// A file of real multilingual lines plus random UTF-8 lines, for the comparisons.
func mixedTextFile() throws -> (String, [String]) {
    let lines =
        try fixtureLines("udhr-multilingual.txt") + fixtureLines("wagahaiwa-30k.txt").prefix(40)
        + randomStrings(count: 200, seed: 21).map { s in
            // No U+000A inside a line (a Character-level replace would miss "\r\n").
            String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value == 0x0A ? " " : $0 }))
        }
    let dir = try TestSupport.temporaryDirectory("mixed")
    let path = dir + "/mixed.txt"
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    return (path, lines)
}

func ids(_ json: Any) -> [[UInt32]] { (json as! [[NSNumber]]).map { $0.map { UInt32($0.intValue) } } }

@Suite struct InteropTests {
    @Test(arguments: [SplitPattern.gpt2, .cl100k])
    func preTokenizerMatchesHF(pattern: SplitPattern) throws {
        let (path, lines) = try mixedTextFile()
        let hf = try interop(["pretok", pattern.rawValue, path]) as! [[String]]
        #expect(hf.count == lines.count)
        var mismatches = 0
        for (l, h) in zip(lines, hf) where pattern.pieces(of: l) != h {
            mismatches += 1
            if mismatches < 4 { Issue.record("\(l.debugDescription): ours \(pattern.pieces(of: l)) HF \(h)") }
        }
        #expect(mismatches == 0)
    }

    @Test func bpeTrainingMatchesHFMerges() throws {
        let dir = try TestSupport.temporaryDirectory("hfbpe")
        let path = TestSupport.fixture("tokenize/udhr-multilingual.txt")
        let hfMerges = try interop(["train_bpe", path, "1500", dir + "/hf.json"]) as! [[String]]
        let ours = try TokenizerTrainingSettings(model: "bpe", vocabSize: 1500).train(paths: [path], workers: 2).0
        let merges = ours.merges.map { [ours.vocab[Int($0.0)], ours.vocab[Int($0.1)]] }
        #expect(merges.count == hfMerges.count)
        let firstDifference = zip(merges, hfMerges).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "first different merge at \(firstDifference ?? -1)")
    }

    @Test(arguments: ["bpe-gpt2", "bpe-cl100k", "unigram"])
    func hfEncodesOurFilesToOurIds(kind: String) throws {
        let (path, lines) = try mixedTextFile()
        var settings = TokenizerTrainingSettings(
            model: kind == "unigram" ? "unigram" : "bpe", vocabSize: 800,
            pattern: kind == "bpe-cl100k" ? .cl100k : .gpt2)
        settings.nfkc = true
        let tok = try settings.train(paths: [TestSupport.fixture("tokenize/udhr-multilingual.txt")], workers: 2).0
        let dir = try TestSupport.temporaryDirectory("ours")
        try tok.save(path: dir + "/t.json")
        let hf = ids(try interop(["encode", dir + "/t.json", path]))
        expectSameIDs(tok, lines, hf)
    }

    @Test(arguments: ["bpe", "unigram"])
    func weEncodeHFTrainedFilesAsHF(kind: String) throws {
        let (path, lines) = try mixedTextFile()
        let dir = try TestSupport.temporaryDirectory("hftrained")
        _ = try interop([
            kind == "bpe" ? "train_bpe" : "train_unigram", TestSupport.fixture("tokenize/udhr-multilingual.txt"),
            kind == "bpe" ? "900" : "2500", dir + "/hf.json",
        ])
        let tok = try Tokenizer.load(path: dir + "/hf.json")
        let hf = ids(try interop(["encode", dir + "/hf.json", path]))
        expectSameIDs(tok, lines, hf)
    }

    /// Every line encodes to the ids HF gave (`hf`, one array per line); the first mismatches are recorded.
    func expectSameIDs(
        _ tok: Tokenizer, _ lines: [String], _ hf: [[UInt32]], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var mismatches = 0
        for (l, h) in zip(lines, hf) where tok.encode(l) != h {
            mismatches += 1
            if mismatches < 4 {
                Issue.record("\(l.debugDescription): ours \(tok.encode(l)) HF \(h)", sourceLocation: sourceLocation)
            }
        }
        #expect(hf.count == lines.count && mismatches == 0, sourceLocation: sourceLocation)
    }

    @Test func pythonReaderReadsOurShards() throws {
        let tok = try Tokenizer.load(path: TestSupport.fixture("tokenize/bpe-udhr-1000.json"))
        let dir = try TestSupport.temporaryDirectory("pyshards")
        try FileManager.default.createDirectory(atPath: dir + "/train", withIntermediateDirectories: true)
        let docs = try fixtureLines("udhr-multilingual.txt").map { tok.encode($0) }
        for (k, part) in [docs.prefix(200), docs.dropFirst(200)].enumerated() {
            let w = try ShardWriter(
                path: dir + "/train/0000\(k)_00000.shard", vocabSize: tok.vocabSize, eosID: tok.eosID!,
                tokenizerFingerprint: tok.fingerprint, frameTokens: 97)
            for d in part { try w.appendDocument(d) }
            try w.finish()
        }
        let data = try ShardDataset(directory: dir, tokenizer: tok)
        let py = try interop(["read_shards", dir, "train"]) as! [String: Any]
        let pyTokens = (py["tokens"] as! [NSNumber]).map { UInt32($0.intValue) }
        #expect(pyTokens == (try data.read(0..<data.tokenCount)))
        #expect(ids(py["documents"]!) == docs.map { $0 + [tok.eosID!] })
        #expect(py["fingerprint"] as? String == zeroPaddedHex(tok.fingerprint))
        let third = data.tokenCount / 3
        #expect(ids([py["window"]!])[0] == (try data.read(third..<(data.tokenCount / 2))))
    }

    @Test func pythonReaderRejectsDamagedShards() throws {
        let dir = try TestSupport.temporaryDirectory("pybad")
        let path = dir + "/x.shard"
        let cases: [(String, (inout [UInt8]) -> Void)] = [
            ("truncated shard", { $0.removeLast(9) }), ("wrong magic", { $0[1] = 0 }),
            ("header checksum mismatch", { $0[33] ^= 4 }), ("does not decode", { $0[64 + 20] ^= 0x55 }),
            ("index checksum mismatch", { $0[$0.count - 1] ^= 1 }),
        ]
        for (expected, damage) in cases {
            try writeShard(path, sampleDocuments(count: 30, vocab: 700), vocab: 700, eos: 699, frame: 256)
            var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
            damage(&bytes)
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let message = try interop(["read_shard_error", path]) as! String
            #expect(message.contains(expected) && message.contains("x.shard"), "\(expected): \(message)")
        }
    }
}
