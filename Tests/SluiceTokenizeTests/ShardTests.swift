// Token shards: round trips across dtypes and frame sizes, directory reads across files, and
// every kind of bad input (truncated, wrong magic, checksum mismatch, fingerprint mismatch).
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

/// A byte-level tokenizer with no merges: 256 byte tokens and `<|endoftext|>` = 256.
func byteTokenizer() throws -> Tokenizer {
    let vocab = (0..<256).map { ByteLevelTestHelper.string(UInt8($0)) } + ["<|endoftext|>"]
    return try Tokenizer(
        kind: .bpe, vocab: vocab, preTokenizer: .byteLevel(pattern: .gpt2, addPrefixSpace: false),
        addedTokens: [.init(id: 256, content: "<|endoftext|>")])
}

enum ByteLevelTestHelper {
    /// GPT-2's printable character for a byte.
    static func string(_ b: UInt8) -> String {
        var n: UInt32 = 0
        for x in 0..<256 {
            let printable = (33...126).contains(x) || (161...172).contains(x) || (174...255).contains(x)
            if x == Int(b) { return String(Unicode.Scalar(printable ? UInt32(x) : 256 + n)!) }
            if !printable { n += 1 }
        }
        fatalError()
    }
}

/// Deterministic documents of varied lengths with ids below `vocab`.
func sampleDocuments(count: Int, vocab: UInt32, seed: UInt64 = 7) -> [[UInt32]] {
    var state = seed
    func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }
    return (0..<count).map { _ in (0..<Int(next() % 300)).map { _ in UInt32(next() % UInt64(vocab - 1)) } }
}

func writeShard(_ path: String, _ docs: [[UInt32]], vocab: Int, eos: UInt32, fingerprint: UInt64 = 42, frame: Int)
    throws
{
    let w = try ShardWriter(
        path: path, vocabSize: vocab, eosID: eos, tokenizerFingerprint: fingerprint, frameTokens: frame)
    for d in docs { try w.appendDocument(d) }
    try w.finish()
}

@Suite struct ShardTests {
    @Test(arguments: [(1, 1000), (7, 1000), (4096, 1000), (1 << 20, 1000), (7, 70_000), (333, 100_000)])
    func roundTrip(frame: Int, vocab: Int) throws {
        let dir = try TestSupport.temporaryDirectory("shard")
        let path = dir + "/a.shard"
        let docs = sampleDocuments(count: 50, vocab: UInt32(vocab))
        try writeShard(path, docs, vocab: vocab, eos: UInt32(vocab - 1), frame: frame)
        let r = try ShardReader(path: path)
        #expect(r.header.dtype == (vocab <= 65_536 ? .uint16 : .uint32))
        #expect(r.documentCount == 50)
        let all = docs.flatMap { $0 + [UInt32(vocab - 1)] }
        #expect(r.tokenCount == all.count)
        #expect(try r.read(0..<all.count) == all)
        for i in [0, 13, 49] { #expect(try r.document(i) == docs[i] + [UInt32(vocab - 1)]) }
        // Random windows.
        var s: UInt64 = 1
        for _ in 0..<50 {
            s = s &* 2_862_933_555_777_941_757 &+ 3_037_000_493
            let a = Int(s >> 40) % all.count
            let b = min(all.count, a + Int(s >> 20) % 500)
            #expect(try r.read(a..<b) == Array(all[a..<b]))
        }
        try r.verify()
    }

    @Test func emptyShard() throws {
        let dir = try TestSupport.temporaryDirectory("shard")
        try writeShard(dir + "/e.shard", [], vocab: 10, eos: 9, frame: 16)
        let r = try ShardReader(path: dir + "/e.shard")
        #expect(r.tokenCount == 0 && r.documentCount == 0)
        try r.verify()
    }

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

    // MARK: - Bad input

    func damaged(_ edit: (inout [UInt8]) -> Void) throws -> String {
        let dir = try TestSupport.temporaryDirectory("bad")
        let path = dir + "/bad.shard"
        try writeShard(path, sampleDocuments(count: 20, vocab: 500), vocab: 500, eos: 499, frame: 256)
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        edit(&bytes)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func errorText(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }

    @Test func truncatedShardNamesFile() throws {
        let path = try damaged { $0.removeLast(100) }
        let e = errorText { _ = try ShardReader(path: path) }
        #expect(e.contains("truncated shard") && e.contains(path), "\(e)")
    }

    @Test func wrongMagicNamesFile() throws {
        let path = try damaged { $0[0] = UInt8(ascii: "X") }
        let e = errorText { _ = try ShardReader(path: path) }
        #expect(e.contains("wrong magic") && e.contains(path), "\(e)")
    }

    @Test func headerChecksumMismatch() throws {
        let path = try damaged { $0[24] ^= 1 }  // token count
        let e = errorText { _ = try ShardReader(path: path) }
        #expect(e.contains("header checksum mismatch") && e.contains(path), "\(e)")
    }

    @Test func frameChecksumMismatchNeverReturnsTokens() throws {
        // Flip a byte inside the first frame's compressed data (after the 64-byte header and the
        // zstd frame header): zstd's content checksum or the block decoder must reject it.
        let path = try damaged { $0[64 + 20] ^= 0x55 }
        let r = try ShardReader(path: path)
        let e = errorText { _ = try r.read(0..<10) }
        #expect(e.contains("frame 0 does not decode") && e.contains(path), "\(e)")
        #expect(throws: SluiceError.self) { try r.verify() }
    }

    @Test func indexChecksumMismatch() throws {
        let path = try damaged { $0[$0.count - 3] ^= 1 }
        let e = errorText { _ = try ShardReader(path: path) }
        #expect(e.contains("index checksum mismatch") && e.contains(path), "\(e)")
    }

    @Test func fingerprintMismatchNamesFile() throws {
        let tok = try byteTokenizer()
        let dir = try TestSupport.temporaryDirectory("fp")
        try FileManager.default.createDirectory(atPath: dir + "/train", withIntermediateDirectories: true)
        try writeShard(
            dir + "/train/x.shard", [[1, 2, 3]], vocab: 257, eos: 256, fingerprint: tok.fingerprint &+ 1, frame: 8)
        let e = errorText { _ = try ShardDataset(directory: dir, tokenizer: tok) }
        #expect(e.contains("fingerprint mismatch") && e.contains("x.shard"), "\(e)")
    }

    @Test func writerRejectsOutOfRangeIds() throws {
        let dir = try TestSupport.temporaryDirectory("oob")
        let w = try ShardWriter(path: dir + "/o.shard", vocabSize: 100, eosID: 99, tokenizerFingerprint: 0)
        #expect(throws: SluiceError.self) { try w.appendDocument([5, 100]) }
        #expect(throws: SluiceError.self) {
            try ShardWriter(
                path: dir + "/p.shard", dtype: .uint16, vocabSize: 70_000, eosID: 0, tokenizerFingerprint: 0)
        }
    }
}

@Suite struct ExportTests {
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
