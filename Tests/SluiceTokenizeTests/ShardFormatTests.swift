// The shard format (ShardFormat, ShardWriter, ShardReader, ZstdFrames), tested by writing and reading
// back: round trips, empty shards, damaged files (truncated, wrong magic, header/frame/index checksums,
// fingerprint, out-of-range header fields) named by file, out-of-range ids refused.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

@Suite struct ShardFormatTests {
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

@Suite struct ShardHeaderRangeTests {
    /// A 64-byte header with valid magic, version, dtype and header CRC, and the given counts.
    func header(frameTokens: UInt32, tokens: UInt64, documents: UInt64, indexOffset: UInt64 = 64) -> [UInt8] {
        var b = Array("SLUICETK".utf8)
        func le(_ v: UInt64, _ n: Int) { for k in 0..<n { b.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) } }
        le(1, 2)  // version
        b += [2, 0]  // uint16, flags
        le(1000, 4)  // vocab size
        le(0, 4)  // EOS
        le(UInt64(frameTokens), 4)
        le(tokens, 8)
        le(documents, 8)
        le(42, 8)  // fingerprint
        le(indexOffset, 8)
        le(UInt64(b.withUnsafeBytes { CRC32.checksum($0) }), 4)
        le(0, 4)  // index CRC
        return b
    }

    @Test(arguments: [
        (UInt32(1), UInt64(1) << 62, UInt64(1)),  // the fuzzer's input: the index size overflowed Int
        (UInt32(1 << 24 + 1), UInt64(1 << 25), UInt64(1)),  // one frame of 2^24 + 1 tokens
        (UInt32(16), UInt64(10), UInt64(11)),  // more documents than tokens
        (UInt32(16), UInt64.max, UInt64.max),
    ])
    func outOfRangeHeaderIsCorruptInput(frame: UInt32, tokens: UInt64, documents: UInt64) throws {
        let dir = try TestSupport.temporaryDirectory("shard-range")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bad.shard"
        try Data(header(frameTokens: frame, tokens: tokens, documents: documents)).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try ShardReader(path: path)
        } throws: { e in
            (e as? SluiceError)?.code == .corruptInput && "\(e)".contains("out of range")
                && "\(e)".contains("bad.shard")
        }
    }
}
