// The `wikipedia` reader stage: MediaWiki XML exports (`.xml`, `.xml.bz2` including multistream,
// `.xml.gz`, `.xml.zst`) → one plain-text document per article. Streams the file; never holds
// more than the current page. It does not follow redirects or expand templates.
import SluiceCore

/// Reads a MediaWiki XML dump: namespace 0 by default, redirects skipped, latest revision only,
/// wikitext converted to plain text by `WikitextConverter`.
///
/// Counters: `pages_redirect`, `pages_other_namespace`, `pages_empty`, `pages_incomplete`,
/// `pages_too_large` (text over `max_page_bytes`, skipped without being held whole), and
/// `wikitext_*` for markup that did not balance (kept as text). Broken input is reported as
/// `wikipedia:truncated_stream`, `wikipedia:truncated_xml` or `wikipedia:xml_error` with file,
/// offset and the title of the page dropped; every complete page before and after it is kept.
public struct WikipediaReader: DocumentReader {
    public static let name = "wikipedia"
    public static let summary = "MediaWiki XML dumps (.xml, .bz2 multistream, .gz) → plain-text articles"
    public static let fileExtensions = [".xml", ".xml.bz2", ".xml.gz", ".xml.zst"]

    /// Namespaces kept (0 = articles).
    public var namespaces: Set<Int>
    public var converterOptions: WikitextConverter.Options
    /// Overrides the wiki name used in document ids (`enwiki`); by default the dump's `<dbname>`.
    public var wiki: String?
    /// Emit the raw wikitext instead of plain text.
    public var keepWikitext: Bool
    /// Threads decoding `.bz2` blocks in parallel (0: one per core; 1: Core's sequential decoder).
    public var decodeThreads: Int
    /// Pages whose text (or any other field) is longer than this, in XML bytes, are skipped as
    /// `pages_too_large` by streaming past them.
    public var maxPageBytes: Int
    /// `max_page_bytes`' default: 8× MediaWiki's own limit on a page (`$wgMaxArticleSize`,
    /// 2 MiB), with room for XML escaping.
    public static let defaultMaxPageBytes = 16 << 20

    public init(options: inout StageOptions) throws {
        namespaces = Set(try options.intList("namespaces", default: [0], "namespaces to keep (0 = articles)"))
        let keep = try options.stringList(
            "keep_templates", default: [],
            "templates whose text is kept: `name` keeps the last unnamed parameter, `name:N` the N-th")
        guard let parsed = WikitextConverter.Options.parseKeepTemplates(keep) else {
            throw options.error("keep_templates", "template names must not be empty")
        }
        let keepTables = try options.bool(
            "keep_tables", default: false, "keep table cell text instead of removing tables")
        let proseWords = try options.int(
            "prose_words", default: 3, range: 0...1000,
            "with tables removed, keep captions, and table cells and file captions of at least this many words (0: none)"
        )
        converterOptions = WikitextConverter.Options(
            keepTemplates: parsed, keepTables: keepTables, proseWords: proseWords)
        wiki = try options.optionalString("wiki", "wiki name for document ids (default: the dump's <dbname>)")
        keepWikitext = try options.bool("keep_wikitext", default: false, "emit raw wikitext instead of plain text")
        decodeThreads = try options.int(
            "decode_threads", default: 0, range: 0...256,
            "threads for a .bz2 dump, the reading thread included "
                + "(0: one per core; 1: decode on the reading thread; N: N − 1 decode while it parses)")
        maxPageBytes = try options.bytes(
            "max_page_bytes", default: WikipediaReader.defaultMaxPageBytes,
            "pages with a longer text (XML bytes) are skipped, counter pages_too_large")
        if maxPageBytes < 1024 { throw options.error("max_page_bytes", "must be at least 1KB") }
    }

    public init(
        namespaces: Set<Int> = [0], converterOptions: WikitextConverter.Options = .init(), wiki: String? = nil,
        keepWikitext: Bool = false, decodeThreads: Int = 0,
        maxPageBytes: Int = WikipediaReader.defaultMaxPageBytes
    ) {
        self.decodeThreads = decodeThreads
        self.maxPageBytes = maxPageBytes
        self.namespaces = namespaces
        self.converterOptions = converterOptions
        self.wiki = wiki
        self.keepWikitext = keepWikitext
    }

    public func open(_ path: String, context: TaskContext) throws -> any DocumentIterator {
        let source: any ByteSource =
            Compression(path: path) == .bzip2 && !RemoteLocation.isRemote(path)  // remote: streamed, one thread
            ? try ParallelBzip2Source(path: path, threads: decodeThreads == 0 ? nil : decodeThreads)
            : try openByteSource(path)
        return WikipediaPageIterator(
            parser: MediaWikiDumpParser(source: source, maxPageBytes: maxPageBytes), reader: self,
            converter: WikitextConverter(options: converterOptions),
            context: context)
    }
}

/// The pull loop of `WikipediaReader` over one dump.
struct WikipediaPageIterator: DocumentIterator {
    let parser: MediaWikiDumpParser
    let reader: WikipediaReader
    var converter: WikitextConverter
    let context: TaskContext
    private var wikiName: String?
    private var urlPrefix: String?

    init(parser: MediaWikiDumpParser, reader: WikipediaReader, converter: WikitextConverter, context: TaskContext) {
        self.parser = parser
        self.reader = reader
        self.converter = converter
        self.context = context
    }

    mutating func next() throws -> Document? {
        while true {
            switch parser.next() {
            case .end:
                return nil
            case .damage(let damage) where damage.tooLarge:
                countTooLarge(damage.pageInProgress ?? "(untitled page)", offset: damage.offset)
            case .damage(let damage):
                var message = damage.message
                if let page = damage.pageInProgress {
                    message += "; page '\(page)' is incomplete and dropped"
                    context.count("pages_incomplete")
                }
                context.reportBadRecord(damage.reason, file: parser.path, offset: damage.offset, message)
            case .page:
                if let document = makeDocument() { return document }
            }
        }
    }

    private func countTooLarge(_ title: String, offset: Int) {
        context.count("pages_too_large")
        let message =
            "wikipedia: page '\(title)' is longer than \(parser.maxPageBytes) bytes (max_page_bytes) and skipped "
            + "(\(parser.path):\(offset))"
        context.logger.warning("\(message)")
    }

    private mutating func makeDocument() -> Document? {
        if parser.isTooLarge {
            countTooLarge(parser.title, offset: parser.compressedOffset)
            return nil
        }
        if parser.isRedirect {
            context.count("pages_redirect")
            return nil
        }
        guard reader.namespaces.contains(parser.namespace) else {
            context.count("pages_other_namespace")
            return nil
        }
        let text: String
        if reader.keepWikitext {
            text = String(decoding: parser.text, as: UTF8.self)
        } else {
            text = parser.text.withUnsafeBufferPointer { converter.convert(bytes: $0) }
            let d = converter.damage
            if !d.isEmpty {
                if d.unbalancedBraces > 0 { context.count("wikitext_unbalanced_braces", by: d.unbalancedBraces) }
                if d.unbalancedBrackets > 0 { context.count("wikitext_unbalanced_brackets", by: d.unbalancedBrackets) }
                if d.unterminatedComments > 0 {
                    context.count("wikitext_unterminated_comments", by: d.unterminatedComments)
                }
                if d.unterminatedTables > 0 { context.count("wikitext_unterminated_tables", by: d.unterminatedTables) }
                if d.unclosedTags > 0 { context.count("wikitext_unclosed_tags", by: d.unclosedTags) }
            }
        }
        if text.isEmpty {
            context.count("pages_empty")
            return nil
        }
        if wikiName == nil { resolveSite() }
        let wiki = wikiName ?? "wiki"
        var metadata = JSONObject()
        metadata.append("title", .string(parser.title))
        metadata.append("url", .string((urlPrefix ?? "") + Self.urlTitle(parser.title)))
        metadata.append("page_id", .int(parser.pageID))
        metadata.append("revision_id", .int(parser.revisionID))
        metadata.append("timestamp", .string(parser.timestamp))
        metadata.append("namespace", .int(Int64(parser.namespace)))
        metadata.append("wiki", .string(wiki))
        if !reader.keepWikitext && !converter.categories.isEmpty {
            metadata.append("categories", .array(converter.categories.map { .string($0) }))
        }
        return Document(id: "wikipedia/\(wiki)/\(parser.pageID)", text: text, source: "wikipedia", metadata: metadata)
    }

    /// Wiki name and article URL prefix from `<dbname>` and `<base>`, else from the file name.
    private mutating func resolveSite() {
        var name = reader.wiki ?? parser.dbname
        if name == nil || name!.isEmpty {
            let file = parser.path.split(separator: "/").last.map(String.init) ?? ""
            if let dash = file.firstIndex(of: "-"), file[..<dash].hasSuffix("wiki") { name = String(file[..<dash]) }
        }
        if let base = parser.baseURL, let range = base.range(of: "/wiki/") {
            urlPrefix = String(base[..<range.upperBound])
            if name == nil || name!.isEmpty, let host = base.split(separator: "/").dropFirst().first {
                name = host.split(separator: ".").first.map { $0 + "wiki" }
            }
        } else if let n = name, n.hasSuffix("wiki"), n.count > 4 {
            urlPrefix = "https://\(n.dropLast(4)).wikipedia.org/wiki/"
        }
        wikiName = name ?? "wiki"
        if urlPrefix == nil { urlPrefix = "" }
    }

    /// `Albert Einstein` → `Albert_Einstein` (MediaWiki's URL form; other characters as they are).
    static func urlTitle(_ title: String) -> String {
        title.utf8.contains(32) ? title.replacingOccurrences(of: " ", with: "_") : title
    }
}
