// The packed token shard format (spec: docs/shards.md): a 64-byte header, independent zstd
// frames of a fixed token count, then an index of frame offsets and document boundaries.
// This file holds the layout and its checks; reading and writing are ShardReader / ShardWriter.
import SluiceCore

/// Token id width in a shard: 2 bytes when the vocabulary fits in 65 536 ids, else 4.
public enum ShardDType: UInt8, Sendable, CustomStringConvertible {
    case uint16 = 2
    case uint32 = 4

    /// The narrowest type that holds every id below `vocabSize`.
    public static func fitting(vocabSize: Int) -> ShardDType { vocabSize <= 65_536 ? .uint16 : .uint32 }

    /// Bytes per token.
    public var width: Int { Int(rawValue) }
    public var description: String { self == .uint16 ? "uint16" : "uint32" }
}

/// The fixed 64-byte header at the start of every shard file (little-endian).
///
/// ```
/// offset size field
///      0    8 magic "SLUICETK"
///      8    2 version (1)
///     10    1 dtype: 2 = uint16, 4 = uint32
///     11    1 flags (0; reserved)
///     12    4 vocab size
///     16    4 end-of-text id appended after every document
///     20    4 tokens per frame (the last frame may be shorter)
///     24    8 token count
///     32    8 document count
///     40    8 tokenizer fingerprint (Tokenizer.fingerprint)
///     48    8 index offset (byte offset of the frame index)
///     56    4 CRC-32 of bytes 0..<56
///     60    4 CRC-32 of the whole index (frame offsets + document ends)
/// ```
public struct ShardHeader: Sendable, Equatable {
    /// `SLUICETK` in ASCII.
    public static let magic: [UInt8] = Array("SLUICETK".utf8)
    public static let currentVersion: UInt16 = 1
    public static let size = 64

    public var version: UInt16 = ShardHeader.currentVersion
    public var dtype: ShardDType
    public var vocabSize: UInt32
    public var eosID: UInt32
    public var frameTokens: UInt32
    public var tokenCount: UInt64
    public var documentCount: UInt64
    public var tokenizerFingerprint: UInt64
    public var indexOffset: UInt64
    public var indexCRC: UInt32

    /// The number of zstd frames: ⌈tokenCount / frameTokens⌉.
    public var frameCount: Int {
        frameTokens == 0 ? 0 : Int((tokenCount + UInt64(frameTokens) - 1) / UInt64(frameTokens))
    }

    /// Bytes of the index: (frames + 1) frame offsets and (documents + 1) document ends, each u64.
    public var indexSize: Int { 8 * (frameCount + 1) + 8 * (Int(documentCount) + 1) }

    /// The exact size a complete shard file has.
    public var fileSize: UInt64 { indexOffset + UInt64(indexSize) }

    /// The 64 header bytes.
    public func encoded() -> [UInt8] {
        var b = ShardHeader.magic
        b.reserveCapacity(ShardHeader.size)
        appendLE(&b, UInt64(version), 2)
        b.append(dtype.rawValue)
        b.append(0)
        appendLE(&b, UInt64(vocabSize), 4)
        appendLE(&b, UInt64(eosID), 4)
        appendLE(&b, UInt64(frameTokens), 4)
        appendLE(&b, tokenCount, 8)
        appendLE(&b, documentCount, 8)
        appendLE(&b, tokenizerFingerprint, 8)
        appendLE(&b, indexOffset, 8)
        let crc = b.withUnsafeBytes { CRC32.checksum($0) }
        appendLE(&b, UInt64(crc), 4)
        appendLE(&b, UInt64(indexCRC), 4)
        return b
    }

    /// Parses and checks the 64 header bytes of `file`.
    /// - Throws: `SluiceError(.corruptInput)` naming `file` for a wrong magic, an unknown version
    ///   or dtype, or a header checksum mismatch.
    public init(decoding bytes: UnsafeRawBufferPointer, file: String) throws {
        guard bytes.count >= ShardHeader.size else {
            throw SluiceError(
                .corruptInput, "truncated shard: \(bytes.count) bytes, shorter than the 64-byte header", file: file)
        }
        guard bytes.prefix(8).elementsEqual(ShardHeader.magic) else {
            throw SluiceError(
                .corruptInput, "not a Sluice token shard (wrong magic, expected SLUICETK)", file: file, offset: 0)
        }
        let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<56]))
        guard crc == UInt32(readLE(bytes, 56, 4)) else {
            throw SluiceError(.corruptInput, "header checksum mismatch", file: file, offset: 56)
        }
        version = UInt16(readLE(bytes, 8, 2))
        guard version == ShardHeader.currentVersion else {
            throw SluiceError(
                .corruptInput, "unsupported shard version \(version) (this build reads 1)", file: file, offset: 8)
        }
        guard let dt = ShardDType(rawValue: bytes[10]) else {
            throw SluiceError(.corruptInput, "unknown dtype code \(bytes[10])", file: file, offset: 10)
        }
        dtype = dt
        vocabSize = UInt32(readLE(bytes, 12, 4))
        eosID = UInt32(readLE(bytes, 16, 4))
        frameTokens = UInt32(readLE(bytes, 20, 4))
        tokenCount = readLE(bytes, 24, 8)
        documentCount = readLE(bytes, 32, 8)
        tokenizerFingerprint = readLE(bytes, 40, 8)
        indexOffset = readLE(bytes, 48, 8)
        indexCRC = UInt32(readLE(bytes, 60, 4))
        guard frameTokens > 0 || tokenCount == 0 else {
            throw SluiceError(.corruptInput, "frame size 0 with \(tokenCount) tokens", file: file, offset: 20)
        }
        // Counts no writer produces (frames above 2^24 tokens, more documents than tokens, sizes
        // beyond 2^48) would overflow the size arithmetic below or allocate a frame of gigabytes.
        guard frameTokens <= 1 << 24, documentCount <= tokenCount, tokenCount < 1 << 48, indexOffset < 1 << 48 else {
            throw SluiceError(
                .corruptInput,
                "header values out of range (frame size \(frameTokens), \(tokenCount) tokens, "
                    + "\(documentCount) documents, index offset \(indexOffset))", file: file, offset: 20)
        }
    }

    public init(
        dtype: ShardDType, vocabSize: UInt32, eosID: UInt32, frameTokens: UInt32, tokenCount: UInt64,
        documentCount: UInt64, tokenizerFingerprint: UInt64, indexOffset: UInt64, indexCRC: UInt32
    ) {
        self.dtype = dtype
        self.vocabSize = vocabSize
        self.eosID = eosID
        self.frameTokens = frameTokens
        self.tokenCount = tokenCount
        self.documentCount = documentCount
        self.tokenizerFingerprint = tokenizerFingerprint
        self.indexOffset = indexOffset
        self.indexCRC = indexCRC
    }
}

@inline(__always)
func appendLE(_ b: inout [UInt8], _ v: UInt64, _ n: Int) {
    for i in 0..<n { b.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
}

@inline(__always)
func readLE(_ b: UnsafeRawBufferPointer, _ at: Int, _ n: Int) -> UInt64 {
    var v: UInt64 = 0
    for i in 0..<n { v |= UInt64(b[at + i]) << (8 * UInt64(i)) }
    return v
}

/// CRC-32 (IEEE 802.3, the polynomial of zlib's `crc32` and Python's `zlib.crc32`), slicing-by-8.
public enum CRC32 {
    /// Eight 256-entry tables, flat: table k at k·256.
    static let table: [UInt32] = {
        var t = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (0xEDB8_8320 ^ (c >> 1)) : (c >> 1) }
            t[0][i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k][i] = (t[k - 1][i] >> 8) ^ t[0][Int(t[k - 1][i] & 0xFF)] }
        }
        return t.flatMap { $0 }
    }()

    /// The CRC-32 of `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        return table.withUnsafeBufferPointer { t in
            var c = ~crc
            var i = 0
            let n = bytes.count
            while i + 8 <= n {
                let lo =
                    c
                    ^ (UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3])
                        << 24)
                let hi =
                    UInt32(bytes[i + 4]) | UInt32(bytes[i + 5]) << 8 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7])
                    << 24
                c =
                    t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[0 * 256 + Int(hi >> 24)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt32(bytes[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
            return ~c
        }
    }
}
