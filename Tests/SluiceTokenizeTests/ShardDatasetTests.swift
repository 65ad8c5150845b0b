// ShardDataset: reading across shard files, and the frame cache.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

@Suite struct ShardDatasetTests {
    @Test func datasetReadsAcrossFiles() throws {
        let tok = try byteTokenizer()
        let dir = try TestSupport.temporaryDirectory("shards")
        try FileManager.default.createDirectory(atPath: dir + "/train", withIntermediateDirectories: true)
        let d1 = sampleDocuments(count: 20, vocab: 256, seed: 1)
        let d2 = sampleDocuments(count: 30, vocab: 256, seed: 2)
        try writeShard(
            dir + "/train/00000_00000.shard", d1, vocab: 257, eos: 256, fingerprint: tok.fingerprint, frame: 100)
        try writeShard(
            dir + "/train/00001_00000.shard", d2, vocab: 257, eos: 256, fingerprint: tok.fingerprint, frame: 64)
        let data = try ShardDataset(directory: dir, split: .train, tokenizer: tok)
        let all: [UInt32] = (d1 + d2).flatMap { $0 + [UInt32(256)] }
        #expect(data.tokenCount == all.count)
        #expect(data.documentCount == 50)
        #expect(data.eosID == 256 && data.vocabSize == 257 && data.tokenizerFingerprint == tok.fingerprint)
        let cut = d1.reduce(0) { $0 + $1.count + 1 }
        #expect(try data.read((cut - 10)..<(cut + 10)) == Array(all[(cut - 10)..<(cut + 10)]))
        #expect(try data.read(0..<all.count) == all)
        #expect(throws: SluiceError.self) { try data.read(0..<(all.count + 1)) }
        #expect(throws: SluiceError.self) { try ShardDataset(directory: dir, split: .validation) }
    }

    @Test func frameCacheReturnsTheSameTokens() throws {
        let dir = try TestSupport.temporaryDirectory("cache")
        try FileManager.default.createDirectory(atPath: dir + "/train", withIntermediateDirectories: true)
        let docs = sampleDocuments(count: 80, vocab: 500, seed: 4)
        try writeShard(dir + "/train/a.shard", docs, vocab: 500, eos: 499, frame: 50)
        let cached = try ShardDataset(directory: dir, cacheBytes: 1_000)  // a few frames: evictions happen
        let plain = try ShardDataset(directory: dir, cacheBytes: 0)
        var s: UInt64 = 3
        for _ in 0..<300 {
            s = s &* 6_364_136_223_846_793_005 &+ 1
            let a = Int(s >> 35) % (plain.tokenCount - 100)
            #expect(try cached.read(a..<(a + 100)) == plain.read(a..<(a + 100)))
        }
    }
}
