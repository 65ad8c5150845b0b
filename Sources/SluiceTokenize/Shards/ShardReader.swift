// Reads one packed token shard (docs/shards.md): checks header and index on open, then decodes
// only the zstd frames a token range touches. Every frame's zstd checksum is verified on read,
// so a reader never returns damaged tokens. Not thread-safe: open one reader per thread.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import SluiceCore

/// Random access to the tokens of one shard file.
///
/// Opening reads the 64-byte header and the index (frame offsets, document ends) and checks
/// both CRCs, the file size (a truncated shard fails here) and the index's consistency.
/// Reads decompress the frames they touch; the last decoded frame is cached, so sequential
/// reads decode each frame once.
public final class ShardReader {
    public let path: String
    public let header: ShardHeader
    /// Byte offset of each frame, plus the index offset as the end of the last frame.
    public let frameOffsets: [UInt64]
    /// Cumulative token ends of the documents, starting with 0 (documents + 1 entries).
    public let documentEnds: [UInt64]

    private var fd: Int32
    private let decompressor = ZstdFrameDecompressor()
    private var cachedFrame = -1
    private var frameTokens: [UInt32] = []
    /// Decoded frames kept for reuse (first in, first out), at most `cacheBytes` of ids.
    private let cacheBytes: Int
    private var cache: [Int: [UInt32]] = [:]
    private var cacheOrder: [Int] = []
    private var cacheHead = 0
    private var cachedBytes = 0
    private var compressed: [UInt8] = []
    private var raw: [UInt8] = []

    /// Opens `path` and checks its header and index.
    /// - Throws: `SluiceError(.io)` when the file cannot be opened; `.corruptInput` naming the file
    ///   for a wrong magic, a truncated file, a checksum mismatch or an inconsistent index.
    /// - Parameters:
    ///   - cacheBytes: memory for decoded frames kept for later reads (0: only the last frame).
    public init(path: String, cacheBytes: Int = 0) throws {
        self.path = path
        self.cacheBytes = cacheBytes
        fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw SluiceError(.io, "cannot open shard: \(String(cString: strerror(errno)))", file: path)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw SluiceError(.io, "cannot stat shard: \(String(cString: strerror(errno)))", file: path)
        }
        let fileSize = UInt64(st.st_size)
        do {
            var h = [UInt8](repeating: 0, count: ShardHeader.size)
            let n = try Self.readAt(fd, &h, 0, path)
            let header = try h.withUnsafeBytes {
                try ShardHeader(decoding: UnsafeRawBufferPointer(rebasing: $0[0..<n]), file: path)
            }
            guard header.indexOffset >= UInt64(ShardHeader.size), fileSize == header.fileSize else {
                throw SluiceError(
                    .corruptInput,
                    fileSize < header.fileSize
                        ? "truncated shard: \(fileSize) bytes, the header promises \(header.fileSize)"
                        : "shard is \(fileSize) bytes, the header says \(header.fileSize) (trailing bytes)",
                    file: path, offset: Int(fileSize))
            }
            var index = [UInt8](repeating: 0, count: header.indexSize)
            let got = try Self.readAt(fd, &index, Int(header.indexOffset), path)
            guard got == index.count else {
                throw SluiceError(
                    .corruptInput, "truncated shard index", file: path, offset: Int(header.indexOffset) + got)
            }
            let crc = index.withUnsafeBytes { CRC32.checksum($0) }
            guard crc == header.indexCRC else {
                throw SluiceError(.corruptInput, "index checksum mismatch", file: path, offset: Int(header.indexOffset))
            }
            let frames = header.frameCount
            var offsets = [UInt64](repeating: 0, count: frames + 1)
            var ends = [UInt64](repeating: 0, count: Int(header.documentCount) + 1)
            index.withUnsafeBytes { b in
                for i in 0...frames { offsets[i] = readLE(b, 8 * i, 8) }
                for i in 0..<ends.count { ends[i] = readLE(b, 8 * (frames + 1 + i), 8) }
            }
            // Index consistency: frames ascend from the header to the index; documents ascend
            // from 0 to the token count.
            guard offsets.first == UInt64(ShardHeader.size) || frames == 0, offsets.last == header.indexOffset else {
                throw SluiceError(
                    .corruptInput, "frame index does not span the file", file: path, offset: Int(header.indexOffset))
            }
            for i in 0..<frames where offsets[i] >= offsets[i + 1] {
                throw SluiceError(
                    .corruptInput, "frame \(i) has a non-positive size in the index", file: path,
                    offset: Int(header.indexOffset) + 8 * i)
            }
            guard ends.first == 0, ends.last == header.tokenCount else {
                throw SluiceError(
                    .corruptInput, "document index does not end at the token count", file: path,
                    offset: Int(header.indexOffset))
            }
            for i in 0..<(ends.count - 1) where ends[i] >= ends[i + 1] {
                throw SluiceError(
                    .corruptInput, "document \(i) is empty in the index (every document ends with EOS)", file: path)
            }
            self.header = header
            self.frameOffsets = offsets
            self.documentEnds = ends
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Tokens in the shard (every document plus its EOS).
    public var tokenCount: Int { Int(header.tokenCount) }
    /// Documents in the shard.
    public var documentCount: Int { Int(header.documentCount) }
    /// Bytes of the file.
    public var fileSize: Int { Int(header.fileSize) }

    /// The token range of document `i`, its EOS included.
    public func documentRange(_ i: Int) -> Range<Int> {
        precondition(i >= 0 && i < documentCount, "document \(i) out of 0..<\(documentCount)")
        return Int(documentEnds[i])..<Int(documentEnds[i + 1])
    }

    /// Reads tokens `range` into `buffer` (which must hold `range.count` ids).
    /// - Throws: `SluiceError(.usage)` for a range outside the shard; `.corruptInput` naming the
    ///   file and frame offset when a frame fails its zstd checksum or does not decode.
    public func read(_ range: Range<Int>, into buffer: UnsafeMutableBufferPointer<UInt32>) throws {
        guard range.lowerBound >= 0, range.upperBound <= tokenCount else {
            throw SluiceError(.usage, "token range \(range) outside 0..<\(tokenCount)", file: path)
        }
        precondition(buffer.count >= range.count, "buffer of \(buffer.count) for \(range.count) tokens")
        let f = Int(header.frameTokens)
        var position = range.lowerBound
        var out = 0
        while position < range.upperBound {
            let frameIndex = position / f
            try loadFrame(frameIndex)
            let start = position - frameIndex * f
            let n = min(frameTokens.count - start, range.upperBound - position)
            frameTokens.withUnsafeBufferPointer { src in
                // start + n ≤ frameTokens.count by the min above.
                (buffer.baseAddress! + out).update(from: src.baseAddress! + start, count: n)
            }
            out += n
            position += n
        }
    }

    /// Tokens `range` as an array.
    public func read(_ range: Range<Int>) throws -> [UInt32] {
        try [UInt32](unsafeUninitializedCapacity: range.count) { buf, n in
            try read(range, into: buf)
            n = range.count
        }
    }

    /// The tokens of document `i`, its EOS included.
    public func document(_ i: Int) throws -> [UInt32] { try read(documentRange(i)) }

    /// Decodes every frame (checking zstd checksums, sizes and that ids are below the vocab
    /// size) and the EOS at each document end.
    /// - Throws: the first problem, as `SluiceError(.corruptInput)` naming the file and offset.
    public func verify() throws {
        for i in 0..<header.frameCount {
            try loadFrame(i)
            let limit = header.vocabSize
            if let bad = frameTokens.firstIndex(where: { $0 >= limit }) {
                throw SluiceError(
                    .corruptInput,
                    "token \(frameTokens[bad]) at \(i * Int(header.frameTokens) + bad) is not below the vocab size \(limit)",
                    file: path, offset: Int(frameOffsets[i]))
            }
        }
        for d in 0..<documentCount {
            let end = Int(documentEnds[d + 1]) - 1
            let t = try read(end..<(end + 1))[0]
            if t != header.eosID {
                throw SluiceError(
                    .corruptInput, "document \(d) does not end with the EOS id \(header.eosID) (found \(t))", file: path
                )
            }
        }
    }

    private func loadFrame(_ i: Int) throws {
        if i == cachedFrame { return }
        if let hit = cache[i] {
            frameTokens = hit
            cachedFrame = i
            return
        }
        cachedFrame = -1
        let f = Int(header.frameTokens)
        let tokens = min(f, tokenCount - i * f)
        let start = Int(frameOffsets[i])
        let size = Int(frameOffsets[i + 1]) - start
        if compressed.count < size { compressed = [UInt8](repeating: 0, count: size) }
        let got = try Self.readAt(fd, &compressed, start, path, count: size)
        guard got == size else {
            throw SluiceError(.corruptInput, "truncated frame \(i)", file: path, offset: start + got)
        }
        let width = header.dtype.width
        if raw.count != tokens * width { raw = [UInt8](repeating: 0, count: tokens * width) }
        let problem = compressed.withUnsafeBytes { c in
            raw.withUnsafeMutableBytes { r in
                decompressor.decompress(UnsafeRawBufferPointer(rebasing: c[0..<size]), into: r)
            }
        }
        if let problem {
            throw SluiceError(.corruptInput, "frame \(i) does not decode: \(problem)", file: path, offset: start)
        }
        if frameTokens.count != tokens { frameTokens = [UInt32](repeating: 0, count: tokens) }
        raw.withUnsafeBytes { r in
            frameTokens.withUnsafeMutableBufferPointer { t in
                if width == 2 {
                    for k in 0..<tokens { t[k] = UInt32(r[2 * k]) | UInt32(r[2 * k + 1]) << 8 }
                } else {
                    for k in 0..<tokens {
                        t[k] =
                            UInt32(r[4 * k]) | UInt32(r[4 * k + 1]) << 8 | UInt32(r[4 * k + 2]) << 16 | UInt32(
                                r[4 * k + 3]) << 24
                    }
                }
            }
        }
        cachedFrame = i
        if cacheBytes > 0 {
            // Keep this frame; drop the oldest ones past the budget.
            cache[i] = frameTokens
            cacheOrder.append(i)
            cachedBytes += 4 * tokens
            while cachedBytes > cacheBytes && cacheHead < cacheOrder.count {
                let old = cacheOrder[cacheHead]
                cacheHead += 1
                if let f = cache.removeValue(forKey: old) { cachedBytes -= 4 * f.count }
            }
            if cacheHead > 4096 {
                cacheOrder.removeFirst(cacheHead)
                cacheHead = 0
            }
        }
    }

    private static func readAt(_ fd: Int32, _ buffer: inout [UInt8], _ offset: Int, _ path: String, count: Int? = nil)
        throws -> Int
    {
        let want = count ?? buffer.count
        return try buffer.withUnsafeMutableBytes { b in
            var done = 0
            while done < want {
                let n = pread(fd, b.baseAddress! + done, want - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SluiceError(
                        .io, "cannot read shard: \(String(cString: strerror(errno)))", file: path, offset: offset + done
                    )
                }
                if n == 0 { break }
                done += n
            }
            return done
        }
    }
}
