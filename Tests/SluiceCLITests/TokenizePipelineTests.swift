// End to end through the `sluice` binary: a pipeline that trains a tokenizer and writes shards,
// then `shards inspect|verify|export` and `tokenizer encode|decode|info`, and a damaged shard
// that `verify` reports by name with a non-zero exit.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

@Suite struct TokenizePipelineTests {
    @Test func trainTokenizerThenShardsThroughTheCLI() throws {
        let sluice = try TestSupport.sluiceBinary()
        let dir = try TestSupport.temporaryDirectory("pipeline")
        let lines = try fixtureLines("udhr-multilingual.txt")
        try jsonlFile(dir + "/a.jsonl", Array(lines.prefix(200)))
        try jsonlFile(dir + "/b.jsonl", Array(lines.dropFirst(200)))
        try """
        input: {paths: ["\(dir)/*.jsonl"]}
        output: \(dir)/out
        tasks: 2
        stages:
          - train_tokenizer: {model: bpe, vocab_size: 800}
          - tokenize: {tokenizer: tokenizer.json, shard_tokens: 5000, frame_tokens: 1000, validation_fraction: 0.1}
        """.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        let r = try TestSupport.run(sluice, ["run", dir + "/p.yaml"])
        #expect(r.status == 0, "\(r.stderr)")
        let tok = try Tokenizer.load(path: dir + "/out/tokenizer.json")
        #expect(tok.vocabSize == 800)
        let train = try ShardDataset(directory: dir + "/out", split: .train, tokenizer: tok)
        let validation = try ShardDataset(directory: dir + "/out", split: .validation, tokenizer: tok)
        #expect(train.documentCount + validation.documentCount == lines.filter { !$0.isEmpty }.count)

        let inspect = try TestSupport.run(sluice, ["shards", "inspect", dir + "/out"])
        #expect(
            inspect.status == 0 && inspect.stdout.contains("tokenizer fingerprint \(zeroPaddedHex(tok.fingerprint))"))
        let verify = try TestSupport.run(
            sluice, ["shards", "verify", "--tokenizer", dir + "/out/tokenizer.json", dir + "/out"])
        #expect(verify.status == 0, "\(verify.stderr)")
        let export = try TestSupport.run(
            sluice, ["shards", "export", "--format", "megatron", dir + "/out", dir + "/mg"])
        #expect(export.status == 0 && FileManager.default.fileExists(atPath: dir + "/mg.idx"))

        // encode | decode round trip and info through the CLI.
        let text = "Everyone has the right to life.\nВсе люди рождаются свободными.\n"
        let enc = try TestSupport.run(
            sluice, ["tokenizer", "encode", "--tokenizer", dir + "/out/tokenizer.json"], input: Data(text.utf8))
        #expect(enc.status == 0 && enc.stdout.split(separator: "\n").count == 2)
        let dec = try TestSupport.run(
            sluice, ["tokenizer", "decode", "--tokenizer", dir + "/out/tokenizer.json"], input: Data(enc.stdout.utf8))
        #expect(dec.stdout == text)
        let info = try TestSupport.run(sluice, ["tokenizer", "info", dir + "/out/tokenizer.json"])
        #expect(info.stdout.contains("vocab size: 800") && info.stdout.contains("end-of-text id: 0"))
        let badIDs = try TestSupport.run(
            sluice, ["tokenizer", "decode", "--tokenizer", dir + "/out/tokenizer.json"],
            input: Data("[1, 99999]\n".utf8))
        #expect(badIDs.status != 0 && badIDs.stderr.contains("outside the vocabulary"))

        // A damaged shard: verify fails and names it.
        let victim = train.files[0]
        var bytes = [UInt8](FileManager.default.contents(atPath: victim)!)
        bytes[64 + 30] ^= 0x5A
        _ = FileManager.default.createFile(atPath: victim, contents: Data(bytes))
        let bad = try TestSupport.run(sluice, ["shards", "verify", dir + "/out"])
        #expect(bad.status != 0 && bad.stderr.contains((victim as NSString).lastPathComponent), "\(bad.stderr)")
        #expect(bad.stderr.split(separator: "\n").count == 1)
    }
}
