// Bzip2 streams over libbz2: a decoder for multistream files (streams follow each other, as in
// Wikipedia's pages-articles-multistream.xml.bz2) and an encoder writing one stream. The only
// file that sees CBzip2's types. Random access into multistream dumps by index is not done here.
internal import CBzip2

/// Checks a libbz2 return code; every libbz2 call in this file goes through it.
/// - Returns: `result` when it is one of `accepted` (BZ_OK by default).
/// - Throws: `SluiceError(code)` naming the call, the code and the place.
@discardableResult
func bzip2Check(
    _ result: Int32, _ call: String, file: String?, offset: Int? = nil, accepted: [Int32] = [BZ_OK],
    code: SluiceError.Code = .library
) throws -> Int32 {
    guard !accepted.contains(result) else { return result }
    let name =
        switch result {
        case BZ_DATA_ERROR: "data error (CRC or structure)"
        case BZ_DATA_ERROR_MAGIC: "not bzip2 data (bad magic)"
        case BZ_MEM_ERROR: "out of memory"
        case BZ_PARAM_ERROR: "bad parameter"
        case BZ_SEQUENCE_ERROR: "sequence error"
        default: "error \(result)"
        }
    throw SluiceError(code, "bzip2 \(call): \(name)", file: file, offset: offset)
}

/// A heap-allocated `bz_stream` (libbz2 keeps a pointer back to it, so it must not move).
final class Bzip2Stream {
    let pointer: UnsafeMutablePointer<bz_stream>
    private let decompressing: Bool
    private(set) var initialized = false

    init(decompressing: Bool) {
        self.decompressing = decompressing
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: bz_stream())
    }

    /// BZ2_bzDecompressInit (re-run for each stream of a multistream file).
    func initDecompress(file: String) throws {
        end()
        pointer.pointee = bz_stream()
        try bzip2Check(BZ2_bzDecompressInit(pointer, 0, 0), "decompressInit", file: file)
        initialized = true
    }

    /// BZ2_bzCompressInit with 100k × `blockSize` blocks, default work factor.
    func initCompress(blockSize: Int32, file: String) throws {
        try bzip2Check(BZ2_bzCompressInit(pointer, blockSize, 0, 0), "compressInit", file: file)
        initialized = true
    }

    func end() {
        guard initialized else { return }
        if decompressing { BZ2_bzDecompressEnd(pointer) } else { BZ2_bzCompressEnd(pointer) }
        initialized = false
    }

    deinit {
        end()
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}

/// A `.bz2` file as a `ByteSource`: any number of bzip2 streams, decoded as one.
public final class Bzip2Source: ByteSource {
    private let input: FileInput
    private let stream = Bzip2Stream(decompressing: true)
    private var inStream = false
    private var failure: SluiceError?

    public var path: String { input.path }
    public var compressedOffset: Int { input.consumedOffset }

    /// - Throws: `SluiceError(.io)` when the file cannot be opened.
    public init(path: String) throws {
        input = try FileInput(path: path)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let s = stream.pointer
        var produced = 0
        do {
            while produced < buffer.count {
                if input.available == 0 {
                    try input.refill()
                    if input.available == 0 {
                        if inStream {
                            throw SluiceError(
                                .corruptInput, "truncated bzip2 stream", file: path, offset: input.consumedOffset)
                        }
                        break
                    }
                }
                if !inStream {
                    try stream.initDecompress(file: path)
                    inStream = true
                }
                let chunk = min(input.available, Int(UInt32.max))
                let room = min(buffer.count - produced, Int(UInt32.max))
                s.pointee.next_in = input.current.assumingMemoryBound(to: CChar.self)
                s.pointee.avail_in = UInt32(chunk)
                s.pointee.next_out = (base + produced).assumingMemoryBound(to: CChar.self)
                s.pointee.avail_out = UInt32(room)
                // BZ2_bzDecompress: BZ_OK while decoding, BZ_STREAM_END once a stream is done.
                let r = BZ2_bzDecompress(s)
                input.consume(chunk - Int(s.pointee.avail_in))
                produced += room - Int(s.pointee.avail_out)
                try bzip2Check(
                    r, "decompress", file: path, offset: input.consumedOffset, accepted: [BZ_OK, BZ_STREAM_END],
                    code: .corruptInput)
                if r == BZ_STREAM_END {
                    inStream = false
                    stream.end()
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

/// A `.bz2` file as a `ByteSink`: one bzip2 stream.
public final class Bzip2Sink: ByteSink {
    private let output: FileOutput
    private let stream = Bzip2Stream(decompressing: false)
    private let scratch: UnsafeMutableRawPointer
    private let scratchSize = 1 << 18
    private var closed = false

    /// - Parameters:
    ///   - level: block size in 100 kB units, 1…9 (default 9, bzip2's own default).
    /// - Throws: `SluiceError(.io)` when the file cannot be created.
    public init(path: String, level: Int = 9) throws {
        output = try FileOutput(path: path)
        scratch = .allocate(byteCount: scratchSize, alignment: 64)
        try stream.initCompress(blockSize: Int32(max(1, min(9, level))), file: path)
    }

    deinit { scratch.deallocate() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!closed, "write after close")
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, 1 << 30)
            try run(UnsafeRawPointer(base + offset), chunk, action: BZ_RUN)
            offset += chunk
        }
    }

    public func close() throws {
        guard !closed else { return }
        closed = true
        try run(nil, 0, action: BZ_FINISH)
        try output.close()
    }

    /// BZ2_bzCompress until the input is consumed (or, with BZ_FINISH, until BZ_STREAM_END).
    private func run(_ p: UnsafeRawPointer?, _ n: Int, action: Int32) throws {
        let s = stream.pointer
        s.pointee.next_in = UnsafeMutablePointer(mutating: p?.assumingMemoryBound(to: CChar.self))
        s.pointee.avail_in = UInt32(n)
        while true {
            s.pointee.next_out = scratch.assumingMemoryBound(to: CChar.self)
            s.pointee.avail_out = UInt32(scratchSize)
            let r = try bzip2Check(
                BZ2_bzCompress(s, action), "compress", file: output.path,
                accepted: [BZ_RUN_OK, BZ_FINISH_OK, BZ_STREAM_END])
            let produced = scratchSize - Int(s.pointee.avail_out)
            if produced > 0 { try output.write(scratch, produced) }
            if action == BZ_FINISH {
                if r == BZ_STREAM_END { return }
            } else if s.pointee.avail_in == 0 {
                return
            }
        }
    }
}
