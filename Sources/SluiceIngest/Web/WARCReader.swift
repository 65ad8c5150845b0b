// The `warc` reader stage: WARC 1.0/1.1 files (.warc, .warc.gz, .warc.zst) → documents, one per
// wanted record. HTML payloads go out undecoded in `Document.raw` for the `extract` step; text/plain
// payloads are charset-decoded into `text`. It does not extract or clean text.
import SluiceCore

/// Reads WARC files: selects records by type, HTTP status and MIME type, removes transfer and
/// content coding, and optionally verifies SHA-1 digests. Broken records are counted under
/// `warc:*` reasons with file and offset, and reading resumes at the next record.
public struct WARCReader: DocumentReader {
    public static let name = "warc"
    public static let summary = "WARC 1.0/1.1 (.warc, .warc.gz, .warc.zst) → one document per wanted record"
    public static let fileExtensions = [".warc", ".warc.gz", ".warc.zst", ".warc.wet", ".warc.wet.gz", ".warc.wat.gz"]

    /// WARC-Type values to read.
    public var recordTypes: [String]
    /// Payload MIME types to keep (lower-case); empty keeps every type.
    public var mimeTypes: [String]
    /// HTTP statuses to keep for `response` records; empty keeps every status.
    public var statuses: [Int]
    /// Payloads above this many bytes (after decoding) are skipped and counted.
    public var maxPayload: Int
    /// Whether to check WARC-Block-Digest and WARC-Payload-Digest (SHA-1).
    public var verifyDigests: Bool

    /// Counter: a body whose declared gzip/deflate Content-Encoding does not decode, kept as stored
    /// because it already looks like its declared type (ClueWeb-style archives).
    public static let contentEncodingFallback = "content_encoding_fallback"
    /// Counter: a record whose block is cut or whose Content-Length is wrong, kept and marked
    /// `warc_truncated` (its problem is also counted under its `warc:` reason).
    public static let keptTruncated = "kept_truncated"

    public init(options: inout StageOptions) throws {
        recordTypes = try options.stringList(
            "record_types", default: ["response"], "WARC-Type values to read (response, resource, conversion, …)")
        mimeTypes = try options.stringList(
            "mime_types", default: ["text/html", "application/xhtml+xml"],
            "payload MIME types to keep ([] keeps all); text/plain payloads go straight to text"
        ).map { $0.lowercased() }
        statuses = try options.intList(
            "status", default: [200], "HTTP statuses to keep for response records ([] keeps all)")
        maxPayload = try options.bytes(
            "max_payload", default: 10_000_000, "larger payloads are skipped (counter skipped_too_large)")
        verifyDigests = try options.bool(
            "verify_digests", default: false,
            "check WARC-Block-Digest / WARC-Payload-Digest (SHA-1); mismatches are bad records")
        if maxPayload <= 0 { throw options.error("max_payload", "must be positive") }
    }

    public func open(_ path: String, context: TaskContext) throws -> any DocumentIterator {
        do {
            return WARCDocumentIterator(reader: self, scanner: try WARCScanner(path: path), context: context)
        } catch let e as SluiceError where e.code == .corruptInput {
            // A container we cannot read (LZ4, xz): a bad file, not a failed run.
            context.reportBadRecord("warc:unsupported_format", file: path, offset: 0, e.message)
            return EmptyDocumentIterator()
        }
    }
}

/// No documents.
struct EmptyDocumentIterator: DocumentIterator {
    mutating func next() throws -> Document? { nil }
}

/// The documents of one WARC file.
struct WARCDocumentIterator: DocumentIterator {
    let reader: WARCReader
    let scanner: WARCScanner
    let context: TaskContext

    init(reader: WARCReader, scanner: WARCScanner, context: TaskContext) {
        self.reader = reader
        self.scanner = scanner
        self.context = context
    }

    private func flushProblems() {
        for p in scanner.takeProblems() {
            context.reportBadRecord(p.reason, file: p.file, offset: p.offset, p.message)
        }
    }

    mutating func next() throws -> Document? {
        while true {
            guard let head = try scanner.next() else {
                flushProblems()
                return nil
            }
            flushProblems()
            if let d = try document(for: head) { return d }
            flushProblems()
        }
    }

    private func bad(_ reason: String, _ head: WARCRecordHead, _ message: String) {
        context.reportBadRecord(reason, file: scanner.path, offset: head.offset, message)
    }

    /// The document for one record, or nil when it is not wanted or broken (counted either way).
    private func document(for head: WARCRecordHead) throws -> Document? {
        guard reader.recordTypes.contains(head.type) else {
            context.count("skipped_type")
            return nil
        }
        var mime = ""
        var charset: String?
        var status: Int?
        var language: String?
        var http: HTTPResponseHead?
        let isResponse = head.type == "response" && (scanner.isARC || isHTTPContentType(head.contentType))
        if isResponse {
            // The HTTP head sits at the start of the block: decide before loading the rest.
            let prefix = try scanner.peekContent(64 << 10)
            guard let h = HTTPResponseHead.parse(prefix) else {
                _ = try scanner.loadContent()  // checks the record; its problems are reported below
                flushProblems()
                context.count("skipped_bad_http")
                return nil
            }
            http = h
            mime = h.mimeType
            charset = h.charset
            status = h.status
            language = h.contentLanguage
            if !reader.statuses.isEmpty && !reader.statuses.contains(h.status) {
                context.count("skipped_status")
                return nil
            }
        } else {
            var ct = head.contentType
            (mime, charset) = ct.withUTF8 { parseContentType($0) }
        }
        if !reader.mimeTypes.isEmpty && !reader.mimeTypes.contains(mime) {
            context.count("skipped_mime")
            return nil
        }
        if head.contentLength > reader.maxPayload + 65536 {
            context.count("skipped_too_large")
            return nil
        }
        guard let block = try scanner.loadContent() else { return nil }  // broken: reported by the scanner

        var bodyStart = 0
        if let http {
            // The head was parsed from a peek; the block can end before it (a Content-Length
            // that lies, resynchronised at a record start inside the claimed block).
            bodyStart = min(http.bodyOffset, block.count)
        } else if isHTTPContentType(head.contentType) {
            bodyStart = httpBodyOffset(block)  // request and revisit records: payload after the head
        }
        let body = UnsafeRawBufferPointer(rebasing: block[bodyStart...])
        if reader.verifyDigests && !digestsMatch(head, block: block, body: body) { return nil }

        // Transfer coding, then content coding.
        var payload: [UInt8]
        var dechunked: [UInt8]?
        if let http, http.chunked { dechunked = dechunk(body) }
        let encoding = http?.contentEncoding ?? ""
        let maxBytes = reader.maxPayload
        func decode(_ r: UnsafeRawBufferPointer) -> Result<[UInt8]?, BodyProblem> {
            do throws(BodyProblem) {
                return .success(try decodeContentEncoding(r, encoding: encoding, maxBytes: maxBytes))
            } catch {
                return .failure(error)
            }
        }
        let result = dechunked.map { d in d.withUnsafeBytes { decode($0) } } ?? decode(body)
        switch result {
        case .success(let decoded): payload = decoded ?? dechunked ?? Array(body)
        case .failure(.unsupportedEncoding(let e)):
            context.count("skipped_encoding_\(e)")
            return nil
        case .failure(.badEncoding(let e)):
            // Archives such as ClueWeb09 store the body decoded but keep the server's
            // Content-Encoding header (warcio also falls back to the stored bytes). Use them when
            // they look like the declared type; otherwise the record is bad.
            let stored = dechunked ?? Array(body)
            if scanner.contentTruncation != nil, e != "deflate",
                let partial = stored.withUnsafeBytes({ salvageGzip($0, maxBytes: maxBytes) })
            {
                payload = partial  // the record is cut: its body decodes as far as it goes
                break
            }
            guard stored.withUnsafeBytes({ looksLikeDeclaredType($0, mime: mime) }) else {
                bad("warc:bad_content_encoding", head, "\(e) payload does not decode")
                return nil
            }
            context.count(WARCReader.contentEncodingFallback)
            payload = stored
        case .failure(.tooLarge):
            context.count("skipped_too_large")
            return nil
        }
        if payload.count > reader.maxPayload {
            context.count("skipped_too_large")
            return nil
        }

        var metadata = JSONObject()
        if let uri = head.targetURI { metadata.append("url", .string(stripAngles(uri))) }
        metadata.append("date", .string(head.date))
        metadata.append("warc_file", .string(scanner.path))
        metadata.append("warc_offset", .int(Int64(head.offset)))
        metadata.append("warc_type", .string(head.type))
        metadata.append("content_type", .string(mime))
        if let charset { metadata.append("charset", .string(charset)) }
        if let status { metadata.append("http_status", .int(Int64(status))) }
        var languages: [JSONValue] = []
        if let l = head.identifiedLanguage {
            for x in l.split(separator: ",") { languages.append(.string(x.trimmingASCIIWhitespace())) }
        }
        if let language {
            for x in language.split(separator: ",") where !languages.contains(.string(x.trimmingASCIIWhitespace())) {
                languages.append(.string(x.trimmingASCIIWhitespace()))
            }
        }
        if !languages.isEmpty { metadata.append("language_hints", .array(languages)) }
        if let cut = scanner.contentTruncation {
            // The file, not the crawler, cut the record (or its length lies): kept, marked.
            metadata.append("warc_truncated", .bool(true))
            metadata.append("warc_truncated_reason", .string(cut))
            context.count(WARCReader.keptTruncated)
        } else if let t = head.truncated {
            metadata.append("warc_truncated", .bool(true))
            metadata.append("warc_truncated_reason", .string(t))
        }

        let id = head.recordID.isEmpty ? "\(scanner.path):\(head.offset)" : stripAngles(head.recordID)
        if mime.hasPrefix("text/") && mime != "text/html" {
            // Plain text (text/plain, WET conversions): decoded here; nothing to extract.
            let (text, decoded) = payload.withUnsafeBytes { CharsetDecoder.string($0, declared: charset) }
            if charset == nil { metadata["charset"] = .string(decoded.charset) }
            return Document(id: id, text: text, source: "warc", metadata: metadata)
        }
        return Document(id: id, text: "", source: "warc", metadata: metadata, raw: payload)
    }

    /// Checks the SHA-1 digests the record declares; reports `warc:digest_mismatch` on failure.
    private func digestsMatch(_ head: WARCRecordHead, block: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer)
        -> Bool
    {
        if let v = head.headers.value("WARC-Block-Digest"), let expected = WARCDigest.expectedSHA1(v),
            SHA1.digest(block) != expected
        {
            bad("warc:digest_mismatch", head, "WARC-Block-Digest does not match the block")
            return false
        }
        if let v = head.headers.value("WARC-Payload-Digest"), let expected = WARCDigest.expectedSHA1(v) {
            let payload = head.type == "response" || head.type == "request" || head.type == "revisit" ? body : block
            if SHA1.digest(payload) != expected {
                bad("warc:digest_mismatch", head, "WARC-Payload-Digest does not match the payload")
                return false
            }
        }
        return true
    }
}

/// `<http://x/>` → `http://x/` (the Wget quirk and WARC 1.0's bracketed ids).
func stripAngles(_ s: String) -> String {
    var u = s
    return u.withUTF8 { b in
        b.count >= 2 && b[0] == 0x3c && b[b.count - 1] == 0x3e
            ? String(decoding: UnsafeBufferPointer(rebasing: b[1..<(b.count - 1)]), as: UTF8.self) : s
    }
}

/// The offset after the first empty line of an HTTP message (its head), or 0 when there is none.
func httpBodyOffset(_ block: UnsafeRawBufferPointer) -> Int {
    let b = block.bindMemory(to: UInt8.self)
    var i = 0
    while i + 1 < b.count {
        if b[i] == 0x0a {
            if b[i + 1] == 0x0a { return i + 2 }
            if b[i + 1] == 0x0d, i + 2 < b.count, b[i + 2] == 0x0a { return i + 3 }
        }
        i += 1
    }
    return 0
}

/// Whether a record's Content-Type is `application/http` (any parameters, any case).
func isHTTPContentType(_ s: String) -> Bool {
    var u = s
    return u.withUTF8 { b in
        b.count >= 16 && bytesEqualLower(UnsafeBufferPointer(rebasing: b[0..<16]), "application/http")
    }
}

/// Whether stored bytes look like `mime` (after a Content-Encoding that did not decode): for
/// HTML and XML, the first non-blank byte (after a BOM) is `<`; for other text types, no NUL and
/// no gzip magic in the first 1 KiB. Other types are never taken on trust.
func looksLikeDeclaredType(_ b: UnsafeRawBufferPointer, mime: String) -> Bool {
    let n = min(b.count, 1024)
    guard n > 0, !(n >= 2 && b[0] == 0x1f && b[1] == 0x8b) else { return false }
    for i in 0..<n where b[i] == 0 { return false }
    let markup = mime == "text/html" || mime == "application/xhtml+xml" || mime.hasSuffix("xml")
    if markup {
        var i = 0
        if n >= 3, b[0] == 0xef, b[1] == 0xbb, b[2] == 0xbf { i = 3 }
        while i < n, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0d || b[i] == 0x0a { i += 1 }
        return i < n && b[i] == 0x3c
    }
    return mime.hasPrefix("text/")
}
