// Gzip streams over zlib: a decoder for multi-member files (members simply follow each other, as
// in Common Crawl's WARC files) and an encoder writing one member. The only file that sees CZlib's
// stream types. WARC record-by-record reading with libdeflate lives in SluiceIngest.
internal import CZlib

/// Checks a zlib return code; every zlib call in this file goes through it.
/// - Returns: `result` when it is one of `accepted` (Z_OK by default).
/// - Throws: `SluiceError(code)` with zlib's message, the call and the place.
@discardableResult
func zlibCheck(
    _ result: Int32, _ call: String, stream: UnsafeMutablePointer<z_stream>?, file: String?, offset: Int? = nil,
    accepted: [Int32] = [Z_OK], code: SluiceError.Code = .library
) throws -> Int32 {
    guard !accepted.contains(result) else { return result }
    var message = "zlib \(call) failed (\(result))"
    if let msg = stream?.pointee.msg { message += ": " + String(cString: msg) }
    throw SluiceError(code, message, file: file, offset: offset)
}

/// A heap-allocated `z_stream` (zlib keeps a pointer back to it, so it must not move).
final class ZlibStream {
    let pointer: UnsafeMutablePointer<z_stream>
    private let inflating: Bool
    private var initialized = false

    init(inflating: Bool) {
        self.inflating = inflating
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: z_stream())
    }

    /// inflateInit2 (gzip only: windowBits 15 + 16).
    func initInflate(file: String) throws {
        try zlibCheck(
            inflateInit2_(pointer, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)), "inflateInit",
            stream: pointer, file: file)
        initialized = true
    }

    /// deflateInit2 writing a gzip wrapper (windowBits 15 + 16), memLevel 8.
    func initDeflate(level: Int32, file: String) throws {
        try zlibCheck(
            deflateInit2_(
                pointer, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                Int32(MemoryLayout<z_stream>.size)), "deflateInit", stream: pointer, file: file)
        initialized = true
    }

    deinit {
        if initialized {
            if inflating { inflateEnd(pointer) } else { deflateEnd(pointer) }
        }
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}

/// A `.gz` file as a `ByteSource`: any number of gzip members, decoded as one stream.
public final class GzipSource: ByteSource {
    private let input: FileInput
    private let stream = ZlibStream(inflating: true)
    /// True between the first byte of a member and its end.
    private var inMember = false
    private var failure: SluiceError?

    public var path: String { input.path }
    public var compressedOffset: Int { input.consumedOffset }

    /// - Throws: `SluiceError(.io)` when the file cannot be opened.
    public init(path: String) throws {
        input = try FileInput(path: path)
        try stream.initInflate(file: path)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let z = stream.pointer
        var produced = 0
        do {
            while produced < buffer.count {
                if input.available == 0 {
                    try input.refill()
                    if input.available == 0 {
                        if inMember {
                            throw SluiceError(
                                .corruptInput, "truncated gzip member", file: path, offset: input.consumedOffset)
                        }
                        break
                    }
                }
                let chunk = min(input.available, Int(UInt32.max))
                let room = min(buffer.count - produced, Int(UInt32.max))
                z.pointee.next_in = input.current.assumingMemoryBound(to: UInt8.self)
                z.pointee.avail_in = UInt32(chunk)
                z.pointee.next_out = (base + produced).assumingMemoryBound(to: UInt8.self)
                z.pointee.avail_out = UInt32(room)
                inMember = true
                // inflate: decodes as much as fits; Z_STREAM_END at the end of a member.
                let r = inflate(z, Z_NO_FLUSH)
                input.consume(chunk - Int(z.pointee.avail_in))
                produced += room - Int(z.pointee.avail_out)
                try zlibCheck(
                    r, "inflate", stream: z, file: path, offset: input.consumedOffset,
                    accepted: [Z_OK, Z_STREAM_END, Z_BUF_ERROR], code: .corruptInput)
                if r == Z_STREAM_END {
                    inMember = false
                    try zlibCheck(inflateReset(z), "inflateReset", stream: z, file: path)
                }
            }
        } catch let e as SluiceError {
            failure = e
            if produced > 0 { return produced }
            throw e
        }
        return produced
    }
}

/// A `.gz` file as a `ByteSink`: one gzip member.
public final class GzipSink: ByteSink, CheckpointingSink {
    private let output: FileOutput
    private let stream = ZlibStream(inflating: false)
    private let scratch: UnsafeMutableRawPointer
    private let scratchSize = 1 << 18
    private var closed = false

    /// - Parameters:
    ///   - level: deflate level 1…9 (default 6, gzip's own default).
    /// - Throws: `SluiceError(.io)` when the file cannot be created.
    public init(path: String, level: Int = 6, resumeAt: Int? = nil) throws {
        output = try FileOutput(path: path, resumeAt: resumeAt)
        scratch = .allocate(byteCount: scratchSize, alignment: 64)
        try stream.initDeflate(level: Int32(level), file: path)
    }

    deinit { scratch.deallocate() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!closed, "write after close")
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, 1 << 30)
            try run(UnsafeRawPointer(base + offset), chunk, flush: Z_NO_FLUSH)
            offset += chunk
        }
    }

    /// Ends the gzip member (the next write starts another, as from a fresh deflateInit2) and syncs.
    public func checkpoint() throws -> Int {
        precondition(!closed, "checkpoint after close")
        try run(nil, 0, flush: Z_FINISH)
        try zlibCheck(deflateReset(stream.pointer), "deflateReset", stream: stream.pointer, file: output.path)
        return try output.sync()
    }

    public func close() throws {
        guard !closed else { return }
        closed = true
        try run(nil, 0, flush: Z_FINISH)
        try output.close()
    }

    /// deflate until the input is consumed (or, with Z_FINISH, until Z_STREAM_END).
    private func run(_ p: UnsafeRawPointer?, _ n: Int, flush: Int32) throws {
        let z = stream.pointer
        z.pointee.next_in = UnsafeMutablePointer(mutating: p?.assumingMemoryBound(to: UInt8.self))
        z.pointee.avail_in = UInt32(n)
        while true {
            z.pointee.next_out = scratch.assumingMemoryBound(to: UInt8.self)
            z.pointee.avail_out = UInt32(scratchSize)
            let r = try zlibCheck(
                deflate(z, flush), "deflate", stream: z, file: output.path, accepted: [Z_OK, Z_STREAM_END, Z_BUF_ERROR])
            let produced = scratchSize - Int(z.pointee.avail_out)
            if produced > 0 { try output.write(scratch, produced) }
            if flush == Z_FINISH {
                if r == Z_STREAM_END { return }
            } else if z.pointee.avail_in == 0 && z.pointee.avail_out > 0 {
                return
            }
        }
    }
}
