// One-shot zstd frame compression and decompression for token shards: one context per writer or
// reader, frames with content size and checksum. Streaming zstd for documents lives in SluiceCore.
internal import CZstd
import Foundation
import SluiceCore

/// Compresses independent zstd frames (content size and XXH64 checksum on) with one reused context.
struct ZstdFrameCompressor: ~Copyable {
    private let context: OpaquePointer
    let level: Int32

    init(level: Int32) {
        context = ZSTD_createCCtx()
        self.level = level
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1)
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `source` into one frame appended to `output`.
    func compress(_ source: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws {
        let bound = ZSTD_compressBound(source.count)
        let start = output.count
        output.reserveCapacity(start + bound)
        output.append(contentsOf: repeatElement(0, count: bound))
        let written = output.withUnsafeMutableBytes { out in
            ZSTD_compress2(context, out.baseAddress! + start, bound, source.baseAddress, source.count)
        }
        if ZSTD_isError(written) != 0 {
            output.removeSubrange(start...)
            throw SluiceError(.library, "zstd compress: \(String(cString: ZSTD_getErrorName(written)))")
        }
        output.removeSubrange((start + written)...)
    }
}

/// Decompresses single zstd frames with one reused context; checks the frame's checksum.
struct ZstdFrameDecompressor: ~Copyable {
    private let context: OpaquePointer

    init() { context = ZSTD_createDCtx() }
    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses exactly one frame `source` into `destination`, which must be exactly the
    /// frame's content size. Returns nil on success, or zstd's error text (checksum mismatch,
    /// truncated frame, wrong size).
    func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> String? {
        let size = ZSTD_getFrameContentSize(source.baseAddress, source.count)
        if size == ZSTD_CONTENTSIZE_ERROR { return "not a zstd frame" }
        if size == ZSTD_CONTENTSIZE_UNKNOWN { return "zstd frame without content size" }
        if size != UInt64(destination.count) {
            return "frame holds \(size) bytes, the index says \(destination.count)"
        }
        let n = ZSTD_decompressDCtx(context, destination.baseAddress, destination.count, source.baseAddress, source.count)
        if ZSTD_isError(n) != 0 { return String(cString: ZSTD_getErrorName(n)) }
        if n != destination.count { return "frame decompressed to \(n) bytes, expected \(destination.count)" }
        return nil
    }
}

/// The libzstd version string, for `shards inspect`.
func zstdVersionString() -> String { String(cString: ZSTD_versionString()) }

/// Streaming zstd decompression of a whole file (any number of frames), for `.zst` inputs.
final class ZstdFileReader {
    private let stream: OpaquePointer
    private let handle: FileHandle
    let path: String
    private var input: [UInt8] = []
    private var inputPosition = 0
    private var finishedInput = false
    private var lastResult = 0
    /// Compressed bytes consumed, for error offsets.
    private(set) var compressedOffset = 0

    init(path: String) throws {
        guard let h = FileHandle(forReadingAtPath: path) else { throw SluiceError(.io, "cannot open input", file: path) }
        handle = h
        self.path = path
        stream = ZSTD_createDStream()
        ZSTD_initDStream(stream)
    }

    deinit {
        ZSTD_freeDStream(stream)
        try? handle.close()
    }

    /// Reads up to `capacity` decompressed bytes appended to `out`; returns 0 at the end.
    /// - Throws: `SluiceError(.corruptInput)` naming the file and offset for damaged or truncated data.
    func read(appendingTo out: inout [UInt8], capacity: Int) throws -> Int {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: capacity))
        var produced = 0
        while produced == 0 {
            if inputPosition == input.count && !finishedInput {
                let d = handle.readData(ofLength: 1 << 17)
                if d.isEmpty { finishedInput = true } else {
                    input = [UInt8](d)
                    inputPosition = 0
                }
            }
            if inputPosition == input.count && finishedInput {
                if lastResult != 0 {
                    out.removeSubrange((start + produced)...)
                    throw SluiceError(.corruptInput, "truncated zstd stream", file: path, offset: compressedOffset)
                }
                break
            }
            let r: Int = input.withUnsafeBytes { i in
                out.withUnsafeMutableBytes { o in
                    var inBuf = ZSTD_inBuffer(src: i.baseAddress, size: i.count, pos: inputPosition)
                    var outBuf = ZSTD_outBuffer(dst: o.baseAddress! + start, size: capacity, pos: produced)
                    let r = ZSTD_decompressStream(stream, &outBuf, &inBuf)
                    compressedOffset += inBuf.pos - inputPosition
                    inputPosition = inBuf.pos
                    produced = outBuf.pos
                    return r
                }
            }
            if ZSTD_isError(r) != 0 {
                out.removeSubrange((start + produced)...)
                throw SluiceError(.corruptInput, "zstd: \(String(cString: ZSTD_getErrorName(r)))", file: path, offset: compressedOffset)
            }
            lastResult = r
        }
        out.removeSubrange((start + produced)...)
        return produced
    }
}
