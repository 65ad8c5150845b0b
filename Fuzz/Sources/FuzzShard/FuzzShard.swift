// fuzz-shard: the input is a packed token shard (docs/shards.md): header, index, zstd frames. It is
// read twice: as it is, and with both CRCs recomputed, so that mutations reach the checks and the
// frame decoding behind them instead of stopping at "checksum mismatch". A shard that opens is
// verified and its documents read (at most 1 Mi tokens).
import FuzzSupport
import SluiceCore
import SluiceTokenize

func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
    (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * $1) }
}

func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
    for k in 0..<4 { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
}

/// `bytes` with the index CRC (when the index lies inside the file) and the header CRC recomputed.
func withChecksums(_ bytes: [UInt8]) -> [UInt8]? {
    guard bytes.count >= 64 else { return nil }
    var b = bytes
    let frameTokens = UInt64(b[20]) | UInt64(b[21]) << 8 | UInt64(b[22]) << 16 | UInt64(b[23]) << 24
    let tokens = u64(b, 24)
    let documents = u64(b, 32)
    let indexOffset = u64(b, 48)
    if frameTokens > 0, documents < 1 << 32, indexOffset < UInt64(b.count) {
        let frames = tokens / frameTokens + (tokens % frameTokens == 0 ? 0 : 1)
        if frames < 1 << 32 {
            let end = indexOffset + 8 * (frames + 1) + 8 * (documents + 1)
            if end <= UInt64(b.count) {
                let crc = b.withUnsafeBytes {
                    CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[Int(indexOffset)..<Int(end)]))
                }
                put32(&b, 60, crc)
            }
        }
    }
    put32(&b, 56, b.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<56])) })
    return b == bytes ? nil : b
}

func read(_ bytes: [UInt8]) {
    let path = bytes.withUnsafeBytes { Fuzz.write($0, name: "input.shard") }
    guard let reader = try? ShardReader(path: path) else { return }
    try? reader.verify()
    var budget = 1 << 20
    for d in 0..<reader.documentCount {
        let range = reader.documentRange(d)
        budget -= range.count
        if budget < 0 { break }
        _ = try? reader.document(d)
    }
}

@main
enum FuzzShard {
    static func main() { Fuzz.main(fuzzShard) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzShard(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = [UInt8](Fuzz.bytes(data, size))
    read(bytes)
    if let fixed = withChecksums(bytes) { read(fixed) }
    return 0
}
