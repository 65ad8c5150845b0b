// Zstandard streams over libzstd: a decoder for multi-frame files (frames simply follow each
// other) and an encoder writing one frame with content checksums. The only file that sees CZstd's
// stream types; token shards use their own frame code in SluiceTokenize.
internal import CZstd

/// Checks a libzstd return code; every libzstd call in this file goes through it.
/// - Returns: `result` when it is not an error code.
/// - Throws: `SluiceError(code)` with libzstd's message, the call and the place.
@discardableResult
func zstdCheck(
    _ result: Int, _ call: String, file: String?, offset: Int? = nil, code: SluiceError.Code = .library
) throws -> Int {
    guard ZSTD_isError(result) != 0 else { return result }
    let name = String(cString: ZSTD_getErrorName(result))
    throw SluiceError(code, "zstd \(call): \(name)", file: file, offset: offset)
}

/// Owns a decompression context; frees it once.
struct ZstdDecoder: ~Copyable {
    let context: OpaquePointer
    init() { context = ZSTD_createDCtx() }
    deinit { ZSTD_freeDCtx(context) }
}

/// Owns a compression context; frees it once.
struct ZstdEncoder: ~Copyable {
    let context: OpaquePointer
    init() { context = ZSTD_createCCtx() }
    deinit { ZSTD_freeCCtx(context) }
}

/// A `.zst` file as a `ByteSource`: any number of frames, decoded as one stream.
public final class ZstdSource: ByteSource {
    private let input: FileInput
    private let decoder = ZstdDecoder()
    /// True while a frame has started but not been completely decoded and flushed.
    private var frameOpen = false
    private var failure: SluiceError?
    /// Input bytes libzstd asked for next (at least 1).
    private var inputHint = 1
    /// The last call filled the output: flush the rest before feeding more input.
    private var draining = false

    public var path: String { input.path }
    public var compressedOffset: Int { input.consumedOffset }

    /// - Throws: `SluiceError(.io)` when the file cannot be opened.
    public init(path: String) throws {
        input = try FileInput(path: path, capacity: ZSTD_DStreamInSize() * 2)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var out = ZSTD_outBuffer(dst: base, size: buffer.count, pos: 0)
        do {
            while out.pos < out.size {
                // ZSTD_decompressStream does not advance `out.pos` when it fails, so bytes it
                // flushed in the failing call would be lost. Feed it at most the input it asks
                // for (one block), and drain a full output before feeding more: a call then
                // never both flushes good data and meets the damaged block.
                var feed = 0
                if !draining {
                    if input.available == 0 { try input.refill() }
                    feed = min(input.available, inputHint)
                }
                let before = out.pos
                var inb = ZSTD_inBuffer(src: input.current, size: feed, pos: 0)
                // ZSTD_decompressStream: consumes input, fills output; returns 0 once a frame is
                // completely decoded and flushed, else the input size it needs next.
                let r = ZSTD_decompressStream(decoder.context, &out, &inb)
                input.consume(inb.pos)
                try zstdCheck(r, "decompress", file: path, offset: input.consumedOffset, code: .corruptInput)
                if inb.pos > 0 { frameOpen = true }
                if r == 0 { frameOpen = false }
                inputHint = r == 0 ? 1 : r
                draining = out.pos == out.size
                if !draining && feed == 0 && out.pos == before && input.atEOF && input.available == 0 {
                    if frameOpen {
                        throw SluiceError(
                            .corruptInput, "truncated zstd frame", file: path, offset: input.consumedOffset)
                    }
                    break
                }
            }
        } catch let e as SluiceError {
            failure = e
            if out.pos > 0 { return out.pos }
            throw e
        }
        return out.pos
    }
}

/// A `.zst` file as a `ByteSink`: one frame, content checksum on (`ZSTD_c_checksumFlag`).
public final class ZstdSink: ByteSink, CheckpointingSink {
    private let output: FileOutput
    private let encoder = ZstdEncoder()
    private let scratch: UnsafeMutableRawPointer
    private let scratchSize = ZSTD_CStreamOutSize() * 4
    private var closed = false

    /// - Parameters:
    ///   - level: zstd level (1…19; default 3, zstd's own default).
    /// - Throws: `SluiceError(.io)` when the file cannot be created.
    public init(path: String, level: Int = 3, resumeAt: Int? = nil) throws {
        output = try FileOutput(path: path, resumeAt: resumeAt)
        scratch = .allocate(byteCount: scratchSize, alignment: 64)
        try zstdCheck(
            ZSTD_CCtx_setParameter(encoder.context, ZSTD_c_compressionLevel, Int32(level)), "set level", file: path)
        try zstdCheck(ZSTD_CCtx_setParameter(encoder.context, ZSTD_c_checksumFlag, 1), "set checksum", file: path)
    }

    deinit { scratch.deallocate() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!closed, "write after close")
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var inb = ZSTD_inBuffer(src: base, size: bytes.count, pos: 0)
        while inb.pos < inb.size {
            var out = ZSTD_outBuffer(dst: scratch, size: scratchSize, pos: 0)
            try zstdCheck(
                ZSTD_compressStream2(encoder.context, &out, &inb, ZSTD_e_continue), "compress", file: output.path)
            if out.pos > 0 { try output.write(scratch, out.pos) }
        }
    }

    /// Ends the frame (the next write starts another, independent of this one) and syncs.
    public func checkpoint() throws -> Int {
        precondition(!closed, "checkpoint after close")
        try endFrame()
        return try output.sync()
    }

    public func close() throws {
        guard !closed else { return }
        closed = true
        try endFrame()
        try output.close()
    }

    private func endFrame() throws {
        var inb = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        var remaining = 1
        while remaining != 0 {
            var out = ZSTD_outBuffer(dst: scratch, size: scratchSize, pos: 0)
            remaining = try zstdCheck(
                ZSTD_compressStream2(encoder.context, &out, &inb, ZSTD_e_end), "end frame", file: output.path)
            if out.pos > 0 { try output.write(scratch, out.pos) }
        }
    }
}
