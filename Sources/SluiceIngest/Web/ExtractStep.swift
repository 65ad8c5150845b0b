// The `extract` step: an HTML payload (Document.raw from the warc reader, or HTML in `text`) →
// main text in `text`, with title, lang, description and charset in metadata. Bad pages (binary,
// too large, unparsable, empty) are named drops. It does not detect language or filter quality.
import SluiceCore

/// Decodes and extracts HTML pages; see `HTMLExtractor` for what is kept.
public struct ExtractStep: Step {
    public static let name = "extract"
    public static let summary = "HTML → main text (libxml2 + readability-style boilerplate removal), NFC"

    public static let tooLarge = DropReason("extract:too_large")
    public static let binary = DropReason("extract:binary")
    public static let parseFailed = DropReason("extract:parse_failed")
    public static let empty = DropReason("extract:empty")
    /// The page used more than `timeout` seconds of CPU (datatrove's extractors have the same budget).
    public static let timeout = DropReason("extract:timeout")
    /// Counters (kept pages): attributes dropped past the per-tag cap, block elements flattened
    /// past `HTMLExtractor.maxBlockDepth`, pages whose parse libxml2 stopped early.
    public static let attributesDroppedCounter = "extract:attributes_dropped"
    public static let deepNestingCounter = "extract:deep_blocks_flattened"
    public static let parseStoppedCounter = "extract:parse_stopped"

    public var options = ExtractionOptions()
    /// Pages larger than this (bytes, before decoding) are dropped as `extract:too_large`.
    public var maxBytes: Int
    /// Results shorter than this many bytes are dropped as `extract:empty`.
    public var minBytes: Int
    /// Seconds of CPU one page may take; past it the page is dropped as `extract:timeout`. nil: none.
    public var timeout: Double?
    private var extractor: HTMLExtractor?

    public init(options o: inout StageOptions) throws {
        options.mainContent = try o.bool(
            "main_content", default: true,
            "keep only the main content (false: every visible block, no boilerplate removal)")
        options.keepHeadings = try o.bool("keep_headings", default: true, "keep h1–h6")
        options.keepLists = try o.bool("keep_lists", default: true, "keep ul/ol/dl items, one per line")
        options.keepTables = try o.bool(
            "keep_tables", default: true, "keep tables, a row per line, cells tab-separated")
        options.keepCode = try o.bool("keep_code", default: true, "keep pre/code with their line breaks")
        options.keepBlockquotes = try o.bool("keep_blockquotes", default: true, "keep blockquote text")
        options.keepCaptions = try o.bool("keep_captions", default: false, "keep figcaption and table captions")
        maxBytes = try o.bytes("max_bytes", default: 10_000_000, "larger pages are dropped as extract:too_large")
        minBytes = try o.int(
            "min_bytes", default: 1, range: 0...1_000_000, "shorter results are dropped as extract:empty")
        let t = try o.double(
            "timeout", default: 10, range: 0...86_400,
            "CPU seconds per page before it is dropped as extract:timeout (0: no limit)")
        timeout = t > 0 ? t : nil
    }

    public mutating func prepare(context: TaskContext) throws {
        extractor = HTMLExtractor(options: options)
    }

    public mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
        if extractor == nil { extractor = HTMLExtractor(options: options) }
        // Text that a reader already decoded (text/plain, WET conversions) passes through.
        if document.raw == nil, let type = document.metadata["content_type"]?.stringValue, !type.isEmpty,
            type != "text/html", type != "application/xhtml+xml"
        {
            return document.text.isEmpty ? .drop(Self.empty) : .keep
        }
        let raw = document.raw ?? Array(document.text.utf8)
        if raw.count > maxBytes { return .drop(Self.tooLarge) }
        if raw.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { return .drop(Self.empty) }
        let declared = document.metadata["charset"]?.stringValue
        let url = document.metadata["url"]?.stringValue
        let result = raw.withUnsafeBytes {
            HTMLPage.extract($0, declaredCharset: declared, url: url, extractor: extractor!, budget: timeout)
        }
        // A binary page never reached the extractor: its report is the previous page's.
        if case .binary = result { return .drop(Self.binary) }
        let report = extractor!.report
        if report.attributesDropped > 0 { context.count(Self.attributesDroppedCounter, by: report.attributesDropped) }
        if report.flattenedElements > 0 { context.count(Self.deepNestingCounter, by: report.flattenedElements) }
        if report.parseStopped { context.count(Self.parseStoppedCounter) }
        switch result {
        case .binary: return .drop(Self.binary)
        case .unparsable: return .drop(Self.parseFailed)
        case .timeout: return .drop(Self.timeout)
        case .page(let page, let charset):
            if page.text.utf8.count < max(minBytes, 1) { return .drop(Self.empty) }
            document.text = page.text
            document.raw = nil
            if let t = page.title { document.metadata["title"] = .string(t) }
            if let l = page.lang { document.metadata["lang"] = .string(l) }
            if let d = page.description { document.metadata["description"] = .string(d) }
            document.metadata["charset"] = .string(charset)
            return .keep
        }
    }
}

/// One page from bytes to text: binary check, charset, extraction.
public enum HTMLPage {
    public enum Outcome {
        case page(ExtractedPage, charset: String)
        case binary
        case unparsable
        /// The page ran past its CPU budget.
        case timeout
    }

    /// Decodes `bytes` (charset from `declaredCharset`, else `<meta>`, else detection) and extracts.
    /// - Parameter budget: CPU seconds the parse, walk and selection may take; nil: no limit.
    public static func extract(
        _ bytes: UnsafeRawBufferPointer, declaredCharset: String?, url: String?, extractor: HTMLExtractor,
        budget: Double? = nil
    ) -> Outcome {
        if looksBinary(bytes) { return .binary }
        let declared = declaredCharset ?? metaCharset(bytes)
        let decoded = CharsetDecoder.decode(bytes, declared: declared)
        let page = decoded.utf8.withUnsafeBytes { extractor.extract(utf8: $0, url: url, budget: budget) }
        if extractor.report.timedOut { return .timeout }
        guard let page else { return .unparsable }
        return .page(page, charset: decoded.charset)
    }

    /// NUL bytes or a known binary signature near the start (images, PDFs, archives), unless a
    /// UTF-16 BOM explains the NULs.
    public static func looksBinary(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let n = min(bytes.count, 1024)
        if n >= 2 && ((bytes[0] == 0xff && bytes[1] == 0xfe) || (bytes[0] == 0xfe && bytes[1] == 0xff)) { return false }
        if n >= 4 {
            let sig = (bytes[0], bytes[1], bytes[2], bytes[3])
            if sig == (0x89, 0x50, 0x4e, 0x47) || sig == (0x25, 0x50, 0x44, 0x46) || sig == (0x50, 0x4b, 0x03, 0x04)
                || sig == (0x47, 0x49, 0x46, 0x38) || (sig.0 == 0xff && sig.1 == 0xd8)
                || (sig.0 == 0x1f && sig.1 == 0x8b)
            {
                return true
            }
        }
        var control = 0
        for i in 0..<n {
            let b = bytes[i]
            if b == 0 { return true }
            if b < 0x09 || (b > 0x0d && b < 0x20) { control += 1 }
        }
        return n > 0 && control * 10 > n
    }

    /// The charset a `<meta charset>` or `<meta http-equiv content="…charset=…">` declares in
    /// the first 4 KiB (the HTML prescan, simplified).
    public static func metaCharset(_ bytes: UnsafeRawBufferPointer) -> String? {
        let n = min(bytes.count, 4096)
        var i = 0
        func lower(_ k: Int) -> UInt8 { bytes[k] | (bytes[k] >= 0x41 && bytes[k] <= 0x5a ? 0x20 : 0) }
        while i + 5 < n {
            if bytes[i] == 0x3c, lower(i + 1) == 0x6d, lower(i + 2) == 0x65, lower(i + 3) == 0x74, lower(i + 4) == 0x61
            {
                // Inside <meta …>: find "charset".
                var j = i + 5
                while j + 7 < n && bytes[j] != 0x3e {
                    if lower(j) == 0x63, lower(j + 1) == 0x68, lower(j + 2) == 0x61, lower(j + 3) == 0x72,
                        lower(j + 4) == 0x73, lower(j + 5) == 0x65, lower(j + 6) == 0x74
                    {
                        var k = j + 7
                        while k < n && (bytes[k] == 0x20 || bytes[k] == 0x09) { k += 1 }
                        guard k < n, bytes[k] == 0x3d else {
                            j += 7
                            continue
                        }
                        k += 1
                        while k < n && (bytes[k] == 0x20 || bytes[k] == 0x22 || bytes[k] == 0x27) { k += 1 }
                        var e = k
                        while e < n {
                            let c = bytes[e]
                            let ok =
                                (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7a) || c == 0x2d
                                || c == 0x5f
                                || c == 0x2e || c == 0x3a
                            if !ok { break }
                            e += 1
                        }
                        if e > k {
                            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[k..<e]), as: UTF8.self)
                        }
                        j = e
                        continue
                    }
                    j += 1
                }
                i = j
            }
            i += 1
        }
        return nil
    }

    /// Reads an HTML file (`.gz` decoded) for `sluice extract`.
    /// - Throws: `SluiceError(.io)` or `.corruptInput`.
    public static func readFile(_ path: String) throws -> [UInt8] {
        let f = try MappedFile(path: path)
        if f.container == .gzip {
            let decoder = DeflateDecoder()
            var room = max(f.bytes.count * 4, 1 << 16)
            while room < (1 << 31) {
                var outcome = InflateOutcome.bad
                let out = [UInt8](unsafeUninitializedCapacity: room) { buf, n in
                    outcome = decoder.gunzipMember(f.bytes, into: UnsafeMutableRawBufferPointer(buf))
                    if case .done(_, let p) = outcome { n = p } else { n = 0 }
                }
                switch outcome {
                case .done: return out
                case .needsSpace: room *= 4
                case .bad: throw SluiceError(.corruptInput, "gzip data does not decode", file: path)
                }
            }
            throw SluiceError(.corruptInput, "gzip data does not decode", file: path)
        }
        return Array(f.bytes)
    }
}
