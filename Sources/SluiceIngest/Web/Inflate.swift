// The one file that sees libdeflate and zlib: whole-member gzip decoding (libdeflate, fast, needs
// the whole member in memory) and a streaming zlib fallback that also salvages the bytes decoded
// before a corrupt or truncated spot. Nothing here knows about WARC.
internal import CDeflate
internal import CZlib

/// How one attempt to decode a gzip member ended.
enum InflateOutcome: Equatable {
    /// The member decoded; `consumed` compressed bytes, `produced` output bytes.
    case done(consumed: Int, produced: Int)
    /// The output needs more room than was given.
    case needsSpace
    /// The member is corrupt or truncated.
    case bad
}

/// A libdeflate decompressor, owned and freed once.
struct DeflateDecoder: ~Copyable {
    private let handle: OpaquePointer

    init() {
        guard let h = libdeflate_alloc_decompressor() else {
            preconditionFailure("libdeflate_alloc_decompressor failed")
        }
        handle = h
    }

    deinit { libdeflate_free_decompressor(handle) }

    /// Decodes the gzip member at the start of `input` into `output` (libdeflate_gzip_decompress_ex).
    func gunzipMember(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> InflateOutcome {
        var consumed = 0
        var produced = 0
        let r = libdeflate_gzip_decompress_ex(
            handle, input.baseAddress, input.count, output.baseAddress, output.count, &consumed, &produced)
        switch r {
        case LIBDEFLATE_SUCCESS: return .done(consumed: consumed, produced: produced)
        case LIBDEFLATE_INSUFFICIENT_SPACE: return .needsSpace
        default: return .bad
        }
    }

    /// Decodes a zlib-wrapped (`deflate` Content-Encoding) or raw deflate stream.
    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, zlibWrapped: Bool)
        -> InflateOutcome
    {
        var consumed = 0
        var produced = 0
        let r =
            zlibWrapped
            ? libdeflate_zlib_decompress_ex(
                handle, input.baseAddress, input.count, output.baseAddress, output.count, &consumed, &produced)
            : libdeflate_deflate_decompress_ex(
                handle, input.baseAddress, input.count, output.baseAddress, output.count, &consumed, &produced)
        switch r {
        case LIBDEFLATE_SUCCESS: return .done(consumed: consumed, produced: produced)
        case LIBDEFLATE_INSUFFICIENT_SPACE: return .needsSpace
        default: return .bad
        }
    }
}

/// A zlib inflater for one gzip member, fed the member's bytes from its start on every call
/// (it remembers how far it got). The `z_stream` lives at a fixed heap address, as zlib requires.
final class ZlibInflater {
    private let z: UnsafeMutablePointer<z_stream>
    private var consumed = 0
    private var ready: Bool

    init() {
        z = .allocate(capacity: 1)
        z.initialize(to: z_stream())
        // 16 + MAX_WBITS: a gzip header and trailer, one member.
        ready = inflateInit2_(z, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
    }

    deinit {
        if ready { inflateEnd(z) }
        z.deinitialize(count: 1)
        z.deallocate()
    }

    /// Decodes into `out` from `member` (the whole rest of the file from the member's start).
    func step(_ member: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer)
        -> (produced: Int, state: ZlibMemberStream.State)
    {
        guard ready else { return (0, .failed(truncated: false)) }
        var produced = 0
        while produced < out.count {
            let n = min(member.count - consumed, 1 << 30)  // avail_in is 32-bit
            z.pointee.next_in = UnsafeMutablePointer(
                mutating: member.baseAddress!.advanced(by: consumed).assumingMemoryBound(to: Bytef.self))
            z.pointee.avail_in = UInt32(n)
            let room = min(out.count - produced, 1 << 30)
            z.pointee.next_out = out.baseAddress!.advanced(by: produced).assumingMemoryBound(to: Bytef.self)
            z.pointee.avail_out = UInt32(room)
            let r = inflate(z, Z_NO_FLUSH)
            produced += room - Int(z.pointee.avail_out)
            consumed += n - Int(z.pointee.avail_in)
            if r == Z_STREAM_END { return (produced, .ended(consumed: consumed)) }
            if r == Z_BUF_ERROR || (r == Z_OK && consumed >= member.count && z.pointee.avail_out > 0) {
                return (produced, .failed(truncated: consumed >= member.count))
            }
            if r != Z_OK { return (produced, .failed(truncated: false)) }
        }
        return (produced, .more)
    }
}

/// The bytes a gzip stream yields before it ends or breaks (zlib, streaming), at most `maxBytes`:
/// what can be kept of a body cut short with its record. nil when nothing decodes.
func salvageGzip(_ input: UnsafeRawBufferPointer, maxBytes: Int) -> [UInt8]? {
    guard input.count > 0 else { return nil }
    let inflater = ZlibInflater()
    var out = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while out.count < maxBytes {
        let (produced, state) = chunk.withUnsafeMutableBytes { inflater.step(input, into: $0) }
        out.append(contentsOf: chunk[0..<min(produced, maxBytes - out.count)])
        guard case .more = state else { break }
    }
    return out.isEmpty ? nil : out
}
