// One-shot zstd frame compression and decompression for token shards: one context per writer or
// reader, frames with content size and checksum. Streaming zstd for documents lives in SluiceCore.
internal import CZstd
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
        let n = ZSTD_decompressDCtx(
            context, destination.baseAddress, destination.count, source.baseAddress, source.count)
        if ZSTD_isError(n) != 0 { return String(cString: ZSTD_getErrorName(n)) }
        if n != destination.count { return "frame decompressed to \(n) bytes, expected \(destination.count)" }
        return nil
    }
}

/// The libzstd version string, for `shards inspect`.
func zstdVersionString() -> String { String(cString: ZSTD_versionString()) }
