// ShardExport: Megatron indexed datasets and nanoGPT files, header and tokens.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

@Suite struct ShardExportTests {
    func dataset(vocab: Int) throws -> (ShardDataset, [[UInt32]], String) {
        let dir = try TestSupport.temporaryDirectory("export")
        try FileManager.default.createDirectory(atPath: dir + "/train", withIntermediateDirectories: true)
        let docs = sampleDocuments(count: 40, vocab: UInt32(vocab), seed: 9).filter { !$0.isEmpty }
        try writeShard(dir + "/train/a.shard", Array(docs.prefix(15)), vocab: vocab, eos: UInt32(vocab - 1), frame: 64)
        try writeShard(
            dir + "/train/b.shard", Array(docs.dropFirst(15)), vocab: vocab, eos: UInt32(vocab - 1), frame: 100)
        return (try ShardDataset(directory: dir), docs.map { $0 + [UInt32(vocab - 1)] }, dir)
    }

    func le(_ b: [UInt8], _ at: Int, _ n: Int) -> UInt64 {
        (0..<n).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
    }

    @Test func megatronIndexedDataset() throws {
        let (data, docs, dir) = try dataset(vocab: 1000)
        let r = try ShardExport.export(data, format: .megatron, to: dir + "/m")
        #expect(r.files == [dir + "/m.bin", dir + "/m.idx"])
        let idx = [UInt8](FileManager.default.contents(atPath: dir + "/m.idx")!)
        let bin = [UInt8](FileManager.default.contents(atPath: dir + "/m.bin")!)
        #expect(Array(idx[0..<9]) == Array("MMIDIDX\0\0".utf8))
        #expect(le(idx, 9, 8) == 1 && idx[17] == 8)  // version 1, dtype code 8 = uint16
        let n = Int(le(idx, 18, 8))
        #expect(n == docs.count && le(idx, 26, 8) == UInt64(docs.count + 1))
        var at = 34
        var pointer: UInt64 = 0
        for (d, doc) in docs.enumerated() {
            #expect(le(idx, at + 4 * d, 4) == UInt64(doc.count))
            #expect(le(idx, at + 4 * n + 8 * d, 8) == pointer)
            let tokens = (0..<doc.count).map { UInt32(le(bin, Int(pointer) + 2 * $0, 2)) }
            #expect(tokens == doc)
            pointer += UInt64(2 * doc.count)
        }
        at += 12 * n
        #expect((0...n).allSatisfy { le(idx, at + 8 * $0, 8) == UInt64($0) })
        #expect(idx.count == at + 8 * (n + 1))
    }

    @Test(arguments: [1000, 70_000])
    func nanogptHeaderAndTokens(vocab: Int) throws {
        let (data, docs, dir) = try dataset(vocab: vocab)
        _ = try ShardExport.export(data, format: .nanogpt, to: dir + "/n.bin")
        let b = [UInt8](FileManager.default.contents(atPath: dir + "/n.bin")!)
        let wide = vocab > 65_536
        #expect(le(b, 0, 4) == (wide ? 20_240_801 : 20_240_520) && le(b, 4, 4) == (wide ? 7 : 1))
        let all = docs.flatMap { $0 }
        #expect(le(b, 8, 4) == UInt64(all.count))
        let w = wide ? 4 : 2
        #expect(b.count == 1024 + w * all.count)
        #expect((0..<all.count).map { UInt32(le(b, 1024 + w * $0, w)) } == all)
    }
}
