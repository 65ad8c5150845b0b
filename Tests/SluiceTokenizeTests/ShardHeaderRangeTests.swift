// Shard headers with counts no writer produces (found by `make fuzz`, fuzz-shard): a clear
// corrupt-input error naming the file, never an arithmetic trap or a frame of gigabytes.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

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
