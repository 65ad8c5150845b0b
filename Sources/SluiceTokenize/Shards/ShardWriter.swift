// Writes one packed token shard (docs/shards.md): documents appended one at a time, each
// followed by the end-of-text id, cut into zstd frames of a fixed token count. Writes go to the
// path given; the caller makes it final by rename (TaskContext.outputPath does).
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import SluiceCore

/// Writes one token shard file: header placeholder, frames as they fill, then index and header.
///
/// ```swift
/// let w = try ShardWriter(path: tmp, vocabSize: 8192, eosID: 0, tokenizerFingerprint: tok.fingerprint)
/// try w.appendDocument(tok.encode(text))   // the writer appends the EOS id
/// try w.finish()
/// ```
/// Not thread-safe: one writer per task.
public final class ShardWriter {
    /// Default tokens per zstd frame: 64 KiB of uint16 ids, small enough for cheap random reads.
    public static let defaultFrameTokens = 32_768

    public let path: String
    public let dtype: ShardDType
    public let vocabSize: Int
    public let eosID: UInt32
    public let frameTokens: Int
    public let tokenizerFingerprint: UInt64
    /// Tokens written so far (including the EOS after each document).
    public private(set) var tokenCount: Int = 0
    /// Documents written so far.
    public private(set) var documentCount: Int = 0
    /// Compressed bytes written to the file so far (header included).
    public private(set) var bytesWritten: Int = 0

    private var fd: Int32
    private let compressor: ZstdFrameCompressor
    private var frame: [UInt8] = []  // tokens of the open frame, little-endian dtype
    private var framesInFrame = 0
    private var frameOffsets: [UInt64] = []
    private var documentEnds: [UInt64] = [0]
    private var scratch: [UInt8] = []
    private var finished = false

    /// Creates (truncates) `path` and writes a placeholder header.
    /// - Parameters:
    ///   - dtype: token width; nil picks uint16 when `vocabSize` ≤ 65 536.
    ///   - frameTokens: tokens per zstd frame.
    ///   - compressionLevel: zstd level (3 is zstd's default: fast, ratio ≈ 1.9 on uint16 ids).
    /// - Throws: `SluiceError(.io)` when the file cannot be created; `.config` for a bad size.
    public init(
        path: String, dtype: ShardDType? = nil, vocabSize: Int, eosID: UInt32, tokenizerFingerprint: UInt64,
        frameTokens: Int = ShardWriter.defaultFrameTokens, compressionLevel: Int = 3
    ) throws {
        guard vocabSize > 0, vocabSize <= Int(UInt32.max) else {
            throw SluiceError(.config, "vocab size \(vocabSize) out of range", file: path)
        }
        guard frameTokens > 0, frameTokens <= 1 << 24 else {
            throw SluiceError(.config, "frame size \(frameTokens) tokens out of range 1…16777216", file: path)
        }
        let dt = dtype ?? .fitting(vocabSize: vocabSize)
        guard dt == .uint32 || vocabSize <= 65_536 else {
            throw SluiceError(.config, "vocab size \(vocabSize) does not fit uint16 ids", file: path)
        }
        guard Int(eosID) < vocabSize else {
            throw SluiceError(.config, "end-of-text id \(eosID) is not below the vocab size \(vocabSize)", file: path)
        }
        self.path = path
        self.dtype = dt
        self.vocabSize = vocabSize
        self.eosID = eosID
        self.frameTokens = frameTokens
        self.tokenizerFingerprint = tokenizerFingerprint
        self.compressor = ZstdFrameCompressor(level: Int32(compressionLevel))
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw SluiceError(.io, "cannot create shard: \(String(cString: strerror(errno)))", file: path)
        }
        frame.reserveCapacity(frameTokens * dt.width)
        try writeAll(Array(repeating: 0, count: ShardHeader.size))
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Appends one document's tokens followed by the end-of-text id.
    /// - Throws: `SluiceError(.usage)` for an id ≥ the vocab size; `.io` on a failed write.
    public func appendDocument(_ tokens: UnsafeBufferPointer<UInt32>) throws {
        precondition(!finished, "ShardWriter.appendDocument after finish")
        let limit = UInt32(truncatingIfNeeded: vocabSize)
        for t in tokens {
            if t >= limit {
                throw SluiceError(.usage, "token id \(t) is not below the vocab size \(vocabSize)", file: path)
            }
            try appendToken(t)
        }
        try appendToken(eosID)
        documentCount += 1
        documentEnds.append(UInt64(tokenCount))
    }

    /// Appends one document's tokens followed by the end-of-text id.
    public func appendDocument(_ tokens: [UInt32]) throws {
        try tokens.withUnsafeBufferPointer { try appendDocument($0) }
    }

    @inline(__always)
    private func appendToken(_ t: UInt32) throws {
        frame.append(UInt8(truncatingIfNeeded: t))
        frame.append(UInt8(truncatingIfNeeded: t >> 8))
        if dtype == .uint32 {
            frame.append(UInt8(truncatingIfNeeded: t >> 16))
            frame.append(UInt8(truncatingIfNeeded: t >> 24))
        }
        tokenCount += 1
        framesInFrame += 1
        if framesInFrame == frameTokens { try flushFrame() }
    }

    private func flushFrame() throws {
        guard framesInFrame > 0 else { return }
        frameOffsets.append(UInt64(bytesWritten))
        scratch.removeAll(keepingCapacity: true)
        try frame.withUnsafeBytes { try compressor.compress($0, appendingTo: &scratch) }
        try writeAll(scratch)
        frame.removeAll(keepingCapacity: true)
        framesInFrame = 0
    }

    /// Writes the last frame, the index and the final header, and closes the file.
    /// - Returns: the header written.
    @discardableResult
    public func finish() throws -> ShardHeader {
        precondition(!finished, "ShardWriter.finish twice")
        try flushFrame()
        finished = true
        let indexOffset = UInt64(bytesWritten)
        frameOffsets.append(indexOffset)
        var index: [UInt8] = []
        index.reserveCapacity(8 * (frameOffsets.count + documentEnds.count))
        for o in frameOffsets { appendLE(&index, o, 8) }
        for e in documentEnds { appendLE(&index, e, 8) }
        let indexCRC = index.withUnsafeBytes { CRC32.checksum($0) }
        try writeAll(index)
        let header = ShardHeader(
            dtype: dtype, vocabSize: UInt32(vocabSize), eosID: eosID, frameTokens: UInt32(frameTokens),
            tokenCount: UInt64(tokenCount), documentCount: UInt64(documentCount),
            tokenizerFingerprint: tokenizerFingerprint, indexOffset: indexOffset, indexCRC: indexCRC)
        let h = header.encoded()
        let n = h.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard n == h.count else {
            throw SluiceError(.io, "cannot write shard header: \(String(cString: strerror(errno)))", file: path)
        }
        guard close(fd) == 0 else {
            fd = -1
            throw SluiceError(.io, "cannot close shard: \(String(cString: strerror(errno)))", file: path)
        }
        fd = -1
        return header
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buf in
            var done = 0
            while done < buf.count {
                let n = write(fd, buf.baseAddress! + done, buf.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SluiceError(
                        .io, "cannot write shard: \(String(cString: strerror(errno)))", file: path,
                        offset: bytesWritten + done)
                }
                done += n
            }
        }
        bytesWritten += bytes.count
    }
}
