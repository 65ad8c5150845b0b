// The HTTP response inside a WARC `response` record: status line, the headers Sluice uses, and
// the body with transfer coding (chunked) and content coding (gzip, deflate) removed. It reads
// bytes in place; it does not follow redirects or interpret caching headers.
import SluiceCore

/// The parsed head of an HTTP response block.
public struct HTTPResponseHead: Sendable {
    /// Status code (200, 404, …).
    public var status: Int
    /// Offset of the body within the block.
    public var bodyOffset: Int
    /// The MIME type, lower-cased, without parameters (`text/html`), or "" when absent.
    public var mimeType: String
    /// The `charset` parameter of Content-Type, as written, or nil.
    public var charset: String?
    /// `Content-Encoding`, lower-cased (`gzip`), or nil.
    public var contentEncoding: String?
    /// Whether `Transfer-Encoding` includes `chunked`.
    public var chunked: Bool
    /// `Content-Language`, or nil.
    public var contentLanguage: String?

    /// Parses `HTTP/x.y CODE [reason]` and the header lines up to the empty line.
    /// Returns nil when the block does not start with a status line or the head does not end.
    public static func parse(_ block: UnsafeRawBufferPointer) -> HTTPResponseHead? {
        let b = block.bindMemory(to: UInt8.self)
        let n = b.count
        guard n >= 12, b[0] == 0x48, b[1] == 0x54, b[2] == 0x54, b[3] == 0x50, b[4] == 0x2f else { return nil }
        var i = 5
        while i < n && b[i] != 0x20 && b[i] != 0x0a { i += 1 }
        while i < n && b[i] == 0x20 { i += 1 }
        var status = 0
        var digits = 0
        while i < n, b[i] >= 0x30, b[i] <= 0x39, digits < 3 {
            status = status * 10 + Int(b[i] - 0x30)
            digits += 1
            i += 1
        }
        guard digits == 3 else { return nil }
        var head = HTTPResponseHead(
            status: status, bodyOffset: 0, mimeType: "", charset: nil, contentEncoding: nil, chunked: false,
            contentLanguage: nil)
        // Skip the rest of the status line.
        while i < n && b[i] != 0x0a { i += 1 }
        i += 1
        while i < n {
            var e = i
            while e < n && b[e] != 0x0a { e += 1 }
            if e >= n { return nil }  // the head does not end inside the block
            var lineEnd = e
            if lineEnd > i && b[lineEnd - 1] == 0x0d { lineEnd -= 1 }
            if lineEnd == i {
                head.bodyOffset = e + 1
                return head
            }
            let line = UnsafeBufferPointer(rebasing: b[i..<lineEnd])
            i = e + 1
            guard let colon = line.firstIndex(of: 0x3a) else { continue }
            let name = UnsafeBufferPointer(rebasing: line[line.startIndex..<colon])
            let value = UnsafeBufferPointer(rebasing: line[(colon + 1)...])
            if nameIs(name, "content-type") {
                (head.mimeType, head.charset) = parseContentType(value)
            } else if nameIs(name, "content-encoding") {
                head.contentEncoding = trimmedString(value).lowercased()
            } else if nameIs(name, "transfer-encoding") {
                head.chunked = trimmedString(value).lowercased().contains("chunked")
            } else if nameIs(name, "content-language") {
                head.contentLanguage = trimmedString(value)
            }
        }
        return nil
    }
}

/// Whether the header name in `name` is `lower` (ASCII case-insensitive, surrounding spaces ignored).
@inline(__always)
private func nameIs(_ name: UnsafeBufferPointer<UInt8>, _ lower: StaticString) -> Bool {
    var s = 0
    var e = name.count
    while s < e && name[s] == 0x20 { s += 1 }
    while e > s && name[e - 1] == 0x20 { e -= 1 }
    guard e - s == lower.utf8CodeUnitCount else { return false }
    let l = lower.utf8Start
    for k in 0..<(e - s) where (name[s + k] | 0x20) != l[k] && name[s + k] != l[k] { return false }
    return true
}

// MARK: - Body decoding

/// Why a body could not be decoded.
enum BodyProblem: Error {
    /// `warc:unsupported_encoding` (br, zstd, compress, …).
    case unsupportedEncoding(String)
    /// `warc:bad_content_encoding`: the gzip or deflate data is corrupt.
    case badEncoding(String)
    /// The decoded body is larger than the allowed maximum.
    case tooLarge
}

/// Removes chunked transfer coding. Returns nil when the framing is broken (callers then use
/// the body as it is, as browsers and warcio do).
func dechunk(_ body: UnsafeRawBufferPointer) -> [UInt8]? {
    let b = body.bindMemory(to: UInt8.self)
    var out = [UInt8]()
    out.reserveCapacity(b.count)
    var i = 0
    while i < b.count {
        var size = 0
        var digits = 0
        while i < b.count, let h = hexValue(b[i]) {
            guard size < (1 << 40) else { return nil }
            size = size * 16 + h
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        // Chunk extensions and spaces up to the end of the line.
        while i < b.count && b[i] != 0x0a { i += 1 }
        i += 1
        if size == 0 { return out }
        guard i + size <= b.count else {
            // The last chunk is cut short: keep what is there.
            if i < b.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[i...])) }
            return out
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<(i + size)]))
        i += size
        if i < b.count && b[i] == 0x0d { i += 1 }
        if i < b.count && b[i] == 0x0a { i += 1 }
    }
    return out
}

@inline(__always)
private func hexValue(_ c: UInt8) -> Int? {
    switch c {
    case 0x30...0x39: Int(c - 0x30)
    case 0x61...0x66: Int(c - 0x61 + 10)
    case 0x41...0x46: Int(c - 0x41 + 10)
    default: nil
    }
}

/// Decodes a `Content-Encoding` (gzip, x-gzip, deflate; identity passes through).
/// - Throws: `BodyProblem`.
func decodeContentEncoding(_ body: UnsafeRawBufferPointer, encoding: String, maxBytes: Int) throws(BodyProblem)
    -> [UInt8]?
{
    switch encoding {
    case "", "identity", "none": return nil
    case "gzip", "x-gzip", "deflate":
        let decoder = DeflateDecoder()
        var room = max(body.count * 4, 1 << 16)
        while true {
            var produced = 0
            var outcome = InflateOutcome.bad
            let out = [UInt8](unsafeUninitializedCapacity: room) { buf, n in
                let o = UnsafeMutableRawBufferPointer(buf)
                if encoding == "deflate" {
                    outcome = decoder.inflate(body, into: o, zlibWrapped: true)
                    if outcome == .bad { outcome = decoder.inflate(body, into: o, zlibWrapped: false) }
                } else {
                    outcome = decoder.gunzipMember(body, into: o)
                }
                if case .done(_, let p) = outcome { produced = p }
                n = produced
            }
            switch outcome {
            case .done: return out
            case .needsSpace:
                if room >= maxBytes { throw .tooLarge }
                room = min(room * 4, maxBytes + 1)
            case .bad: throw .badEncoding(encoding)
            }
        }
    default:
        throw .unsupportedEncoding(encoding)
    }
}

/// `text/html; charset="UTF-8"` → (`text/html`, `UTF-8`): the MIME type lower-cased without
/// parameters, and the charset parameter as written (quotes removed), on bytes.
func parseContentType(_ v: UnsafeBufferPointer<UInt8>) -> (String, String?) {
    let n = v.count
    var i = 0
    while i < n && (v[i] == 0x20 || v[i] == 0x09) { i += 1 }
    var mime = [UInt8]()
    while i < n && v[i] != 0x3b {
        let c = v[i]
        mime.append(c >= 0x41 && c <= 0x5a ? c | 0x20 : c)
        i += 1
    }
    while let l = mime.last, l == 0x20 || l == 0x09 || l == 0x0d { mime.removeLast() }
    var charset: String?
    while i < n && charset == nil {
        i += 1  // past ';'
        while i < n && (v[i] == 0x20 || v[i] == 0x09) { i += 1 }
        let paramStart = i
        while i < n && v[i] != 0x3b { i += 1 }
        let p = UnsafeBufferPointer(rebasing: v[paramStart..<i])
        guard p.count > 8,
            bytesEqualLower(UnsafeBufferPointer(rebasing: p[p.startIndex..<(p.startIndex + 8)]), "charset=")
        else { continue }
        var s = p.startIndex + 8
        var e = p.endIndex
        while s < e && (p[s] == 0x22 || p[s] == 0x27 || p[s] == 0x20) { s += 1 }
        while e > s && (p[e - 1] == 0x22 || p[e - 1] == 0x27 || p[e - 1] == 0x20 || p[e - 1] == 0x0d) { e -= 1 }
        if e > s { charset = String(decoding: UnsafeBufferPointer(rebasing: p[s..<e]), as: UTF8.self) }
    }
    return (String(decoding: mime, as: UTF8.self), charset)
}
