// Pages out of a MediaWiki XML export (schemas 0.3 to 0.11), pulled through libxml2's streaming
// reader (`xmlReaderForIO`) from a ByteSource, in bounded memory: never a whole-file DOM, never a
// page past the size cap. It does not interpret wikitext. After malformed XML it replays the oldest
// unfinished page alone, keeps it if it parses, else drops it by name, and goes on after it; after
// a truncated or damaged stream it reports where and stops, having returned every complete page.
@preconcurrency internal import CXML2
import SluiceCore
#if canImport(Glibc)
    import Glibc
#endif

/// What went wrong in a dump, with a named reason for the stats.
struct DumpDamage {
    /// `wikipedia:truncated_stream`, `wikipedia:truncated_xml` or `wikipedia:xml_error`.
    var reason: String
    var message: String
    /// Offset in the (compressed) input file.
    var offset: Int
    /// The title of the page that was cut off or malformed, if the damage is in a page.
    var pageInProgress: String?
    /// The page was dropped for its size (the cap cut it), not for bad XML.
    var tooLarge = false
}

/// Pulls pages out of a MediaWiki export. One per input file; not thread-safe.
final class MediaWikiDumpParser {
    // Site information, filled from `<siteinfo>` as it goes past.
    private(set) var dbname: String?
    private(set) var baseURL: String?
    /// Namespace names → keys, for old schemas whose pages have no `<ns>`.
    private var namespaceKeys: [String: Int] = [:]

    // The current page. `text` is the wikitext of its latest revision.
    private(set) var title = ""
    private(set) var namespace = 0
    private(set) var pageID: Int64 = 0
    private(set) var isRedirect = false
    private(set) var revisionID: Int64 = 0
    private(set) var timestamp = ""
    private(set) var text: [UInt8] = []
    /// The page just returned had character data longer than the size cap (its text is cut).
    private(set) var isTooLarge = false
    /// The size cap: the longest run of character data (a page's text) kept, in XML bytes.
    let maxPageBytes: Int

    private let feeder: DumpFeeder
    private var reader: xmlTextReaderPtr?
    private var finished = false

    // Parse state.
    private enum Field { case none, title, ns, pageID, revisionID, timestamp, text, dbname, base, namespace }
    private var field = Field.none
    private var inPage = false
    private var inRevision = false
    private var inContributor = false
    private var inSiteinfo = false
    private var sawNS = false
    private var scratch: [UInt8] = []
    private var revText: [UInt8] = []
    private var revTimestamp: [UInt8] = []
    private var revIDBytes: [UInt8] = []
    private var haveRevision = false
    private var namespaceKey = 0

    /// - Parameters:
    ///   - source: the decompressed dump.
    ///   - maxPageBytes: pages with a longer text (or other field), in XML bytes, are skipped
    ///     without being held whole.
    init(source: any ByteSource, maxPageBytes: Int = WikipediaReader.defaultMaxPageBytes) {
        self.maxPageBytes = maxPageBytes
        feeder = DumpFeeder(source: source, maxRunBytes: maxPageBytes)
        text.reserveCapacity(1 << 16)
        revText.reserveCapacity(1 << 16)
    }

    deinit {
        if let reader { xmlFreeTextReader(reader) }
    }

    /// The path of the input, for messages.
    var path: String { feeder.source.path }
    /// The most input bytes held at once for recovery (tests check the size cap bounds it).
    var heldBytesPeak: Int { feeder.heldBytesPeak }
    /// How far the input has been read (compressed bytes), for messages.
    var compressedOffset: Int { feeder.source.compressedOffset }

    /// Reads up to the next complete page.
    /// - Returns: `.page` (fields above hold it), `.damage` (then call again: the parser has
    ///   resynchronised or will return `.end`), or `.end`.
    func next() -> Step {
        if finished { return .end }
        if reader == nil { startReader() }
        while true {
            guard let reader else { return .end }
            let r = xmlTextReaderRead(reader)
            if r == 1 {
                if handleNode(reader) { return .page }
                continue
            }
            if r == 0 && feeder.sourceError == nil && feeder.lastError == nil {
                guard feeder.isolating else {
                    finished = true
                    return .end
                }
                // The replayed page parsed: it was good. Go on after it.
                let page = feeder.isolatedPage
                if !feeder.isolatedPageFinished { feeder.dropFrontPage() }
                restartReader(at: page.end ?? feeder.cursor)
                continue
            }
            if let step = recover() { return step }
        }
    }

    enum Step {
        case page
        case damage(DumpDamage)
        case end
    }

    // MARK: - Reader lifecycle

    private func startReader() {
        let options = Int32(
            XML_PARSE_NONET.rawValue | XML_PARSE_HUGE.rawValue | XML_PARSE_COMPACT.rawValue
                | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        let context = Unmanaged.passUnretained(feeder).toOpaque()
        LibXML2.ready
        reader = xmlReaderForIO(dumpRead, nil, context, feeder.source.path, nil, options)
        if let reader { xmlTextReaderSetStructuredErrorHandler(reader, dumpError, context) }
        inPage = false
        inRevision = false
        inContributor = false
        field = .none
    }

    private func freeReader() {
        if let reader { xmlFreeTextReader(reader) }
        reader = nil
    }

    private func restartReader(at position: Int) {
        freeReader()
        feeder.restart(at: position)
        startReader()
    }

    /// After libxml2 failed: replays the oldest unfinished page alone, or reports the damage and
    /// goes on after it. Nil when the parser simply goes on (a replay that may still succeed).
    private func recover() -> Step? {
        let parsedTitle = inPage && !title.isEmpty ? title : nil
        let xmlMessage = feeder.lastError ?? "malformed XML"
        let sourceMessage = feeder.sourceError.map { ($0 as? SluiceError)?.message ?? "\($0)" }
        let offset = feeder.source.compressedOffset
        freeReader()
        guard feeder.isUTF8 else {
            // UTF-16 cannot be scanned for pages: report and stop.
            finished = true
            let reason =
                sourceMessage != nil
                ? "wikipedia:truncated_stream" : feeder.atEnd ? "wikipedia:truncated_xml" : "wikipedia:xml_error"
            return .damage(
                DumpDamage(
                    reason: reason, message: sourceMessage ?? xmlMessage, offset: offset,
                    pageInProgress: inPage ? (parsedTitle ?? "(untitled page)") : nil))
        }
        if feeder.isolating && !feeder.isolatedPageFinished {
            // The page failed on its own: it is the broken one.
            let page = feeder.isolatedPage
            feeder.dropFrontPage()
            return dropped(
                page, title: parsedTitle, xmlMessage: xmlMessage, sourceMessage: sourceMessage, offset: offset)
        }
        if feeder.canReplayFront, let page = feeder.frontPage {
            feeder.startIsolation()
            startReader()
            if page.junkBefore && sourceMessage == nil {
                return .damage(
                    DumpDamage(
                        reason: "wikipedia:xml_error", message: xmlMessage + " (between pages)", offset: offset,
                        pageInProgress: nil))
            }
            return nil
        }
        if let page = feeder.frontPage {
            // Not replayable (its start is no longer held): drop it.
            feeder.dropFrontPage()
            return dropped(
                page, title: parsedTitle, xmlMessage: xmlMessage, sourceMessage: sourceMessage, offset: offset)
        }
        // No page pending: the damage is outside pages.
        if let sourceMessage {
            finished = true
            return .damage(
                DumpDamage(
                    reason: "wikipedia:truncated_stream", message: sourceMessage, offset: offset, pageInProgress: nil))
        }
        if feeder.atEnd && feeder.cursor >= feeder.heldEnd && !xmlMessage.contains("Extra content") {
            finished = true
            return .damage(
                DumpDamage(
                    reason: "wikipedia:truncated_xml", message: "the XML ends before </mediawiki>: \(xmlMessage)",
                    offset: offset, pageInProgress: nil))
        }
        restartAtNextPage()
        return .damage(
            DumpDamage(reason: "wikipedia:xml_error", message: xmlMessage, offset: offset, pageInProgress: nil))
    }

    /// Starts the next reader at the next `<page` the scan finds, or finishes when there is none.
    private func restartAtNextPage() {
        if let position = feeder.skipToNextPage() {
            restartReader(at: position)
        } else {
            finished = true
        }
    }

    /// Reports `page` as dropped and positions the parser after it.
    private func dropped(
        _ page: DumpPageRecord, title parsedTitle: String?, xmlMessage: String, sourceMessage: String?, offset: Int
    ) -> Step {
        let name = parsedTitle ?? feeder.title(of: page) ?? "(untitled page)"
        let at = " (page at byte \(page.inputOffset) of the XML)"
        let damage: DumpDamage
        if let end = page.end {
            restartReader(at: end)
            if page.tooLarge {
                damage = DumpDamage(
                    reason: "wikipedia:page_too_large", message: "longer than \(maxPageBytes) bytes" + at,
                    offset: offset,
                    pageInProgress: name, tooLarge: true)
            } else {
                damage = DumpDamage(
                    reason: "wikipedia:xml_error", message: xmlMessage + at, offset: offset, pageInProgress: name)
            }
        } else if sourceMessage == nil && !feeder.atEnd {
            // The page's start is no longer held and its end not yet read: skip to the next one.
            restartAtNextPage()
            damage = DumpDamage(
                reason: page.tooLarge ? "wikipedia:page_too_large" : "wikipedia:xml_error",
                message: (page.tooLarge ? "longer than \(maxPageBytes) bytes" : xmlMessage) + at, offset: offset,
                pageInProgress: name, tooLarge: page.tooLarge)
        } else {
            finished = true  // the page never ends: the input stops inside it
            if let sourceMessage {
                damage = DumpDamage(
                    reason: "wikipedia:truncated_stream", message: sourceMessage + at, offset: offset,
                    pageInProgress: name)
            } else {
                damage = DumpDamage(
                    reason: "wikipedia:truncated_xml", message: "the XML ends before </mediawiki>: \(xmlMessage)" + at,
                    offset: offset, pageInProgress: name)
            }
        }
        return .damage(damage)
    }

    // MARK: - Nodes

    /// Handles one reader node; true when a page has just been completed.
    private func handleNode(_ reader: xmlTextReaderPtr) -> Bool {
        let type = xmlTextReaderNodeType(reader)
        switch type {
        case 1:  // element start
            guard let namePtr = xmlTextReaderConstLocalName(reader) else { return false }
            let empty = xmlTextReaderIsEmptyElement(reader) == 1
            startElement(name: namePtr, reader: reader, empty: empty)
        case 3, 4, 14:  // text, CDATA, significant whitespace
            guard field != .none, let value = xmlTextReaderConstValue(reader) else { return false }
            let n = strlen(UnsafeRawPointer(value).assumingMemoryBound(to: CChar.self))
            let bytes = UnsafeBufferPointer(start: value, count: n)
            if field == .text { revText.append(contentsOf: bytes) } else { scratch.append(contentsOf: bytes) }
        case 15:  // element end
            guard let namePtr = xmlTextReaderConstLocalName(reader) else { return false }
            return endElement(name: namePtr)
        default:
            break
        }
        return false
    }

    @inline(__always)
    private static func equals(_ p: UnsafePointer<xmlChar>, _ s: StaticString) -> Bool {
        strcmp(
            UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self),
            UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)) == 0
    }

    private func startElement(name: UnsafePointer<xmlChar>, reader: xmlTextReaderPtr, empty: Bool) {
        field = .none
        scratch.removeAll(keepingCapacity: true)
        if inPage {
            if inRevision {
                if inContributor { return }
                if Self.equals(name, "text") {
                    revText.removeAll(keepingCapacity: true)
                    field = empty ? .none : .text
                } else if Self.equals(name, "timestamp") {
                    field = .timestamp
                } else if Self.equals(name, "id") {
                    field = .revisionID
                } else if Self.equals(name, "contributor") {
                    inContributor = !empty
                }
                return
            }
            if Self.equals(name, "revision") {
                inRevision = true
                revText.removeAll(keepingCapacity: true)
                revTimestamp.removeAll(keepingCapacity: true)
                revIDBytes.removeAll(keepingCapacity: true)
            } else if Self.equals(name, "title") {
                field = .title
            } else if Self.equals(name, "ns") {
                field = .ns
            } else if Self.equals(name, "id") {
                field = .pageID
            } else if Self.equals(name, "redirect") {
                isRedirect = true
            }
            return
        }
        if Self.equals(name, "page") {
            inPage = true
            title = ""
            namespace = 0
            sawNS = false
            pageID = 0
            isRedirect = false
            revisionID = 0
            timestamp = ""
            haveRevision = false
            text.removeAll(keepingCapacity: true)
        } else if Self.equals(name, "siteinfo") {
            inSiteinfo = true
        } else if inSiteinfo {
            if Self.equals(name, "dbname") {
                field = .dbname
            } else if Self.equals(name, "base") {
                field = .base
            } else if Self.equals(name, "namespace") {
                namespaceKey = 0
                if let key = xmlTextReaderGetAttribute(reader, "key") {
                    namespaceKey = Int(String(cString: key)) ?? 0
                    xmlFree(key)
                }
                if empty { namespaceKeys[""] = namespaceKey } else { field = .namespace }
            }
        }
    }

    private func scratchString() -> String { String(decoding: scratch, as: UTF8.self) }

    private func endElement(name: UnsafePointer<xmlChar>) -> Bool {
        let f = field
        field = .none
        switch f {
        case .title: title = scratchString()
        case .ns:
            namespace = Int(scratchString().trimmingASCIIWhitespace()) ?? 0
            sawNS = true
        case .pageID: pageID = Int64(scratchString().trimmingASCIIWhitespace()) ?? 0
        case .revisionID: revIDBytes = scratch
        case .timestamp: revTimestamp = scratch
        case .dbname: dbname = scratchString().trimmingASCIIWhitespace()
        case .base: baseURL = scratchString().trimmingASCIIWhitespace()
        case .namespace: namespaceKeys[scratchString()] = namespaceKey
        case .text, .none: break
        }
        if inPage {
            if inContributor {
                if Self.equals(name, "contributor") { inContributor = false }
                return false
            }
            if inRevision {
                if Self.equals(name, "revision") {
                    inRevision = false
                    // The latest revision wins; ISO 8601 timestamps compare as bytes. Ties go
                    // to the later one in the file, which is how exports order revisions.
                    if !haveRevision || !revTimestamp.lexicographicallyPrecedes(Array(timestamp.utf8)) {
                        haveRevision = true
                        swap(&text, &revText)
                        timestamp = String(decoding: revTimestamp, as: UTF8.self)
                        revisionID = Int64(String(decoding: revIDBytes, as: UTF8.self).trimmingASCIIWhitespace()) ?? 0
                    }
                }
                return false
            }
            if Self.equals(name, "page") {
                inPage = false
                isTooLarge = feeder.finishPage()?.tooLarge ?? false
                if !sawNS { namespace = namespaceOf(title: title) }
                if !isRedirect { isRedirect = Self.startsWithRedirect(text) }
                return true
            }
            return false
        }
        if Self.equals(name, "siteinfo") { inSiteinfo = false }
        return false
    }

    /// The namespace of `title` from its prefix, for schemas before 0.4 that have no `<ns>`.
    private func namespaceOf(title: String) -> Int {
        guard let colon = title.firstIndex(of: ":") else { return 0 }
        return namespaceKeys[String(title[..<colon])] ?? 0
    }

    /// `#REDIRECT [[…]]` and its translations in the languages we read (old schemas have no
    /// `<redirect>` element).
    private static let redirectWords: [[UInt8]] = [
        "#redirect", "#перенаправление", "#перенаправлення", "#пренасочване", "#ανακατευθυνση", "#転送",
        "#đổi", "#weiterleitung", "#redirection", "#redirección", "#ՎԵՐԱՀՂՈՒՄ", "#পুনর্নির্দেশ", "#पुनर्निर्देशन",
        "#ПЕРЕНАПРАВЛЕНИЕ", "#ПЕРЕНАПРАВЛЕННЯ", "#ПРЕНАСОЧВАНЕ", "#ΑΝΑΚΑΤΕΥΘΥΝΣΗ", "#ĐỔI",
    ].map { Array($0.utf8) }

    static func startsWithRedirect(_ text: [UInt8]) -> Bool {
        var i = 0
        while i < text.count && (text[i] == 32 || text[i] == 10 || text[i] == 9) { i += 1 }
        guard i < text.count, text[i] == UInt8(ascii: "#") else { return false }
        outer: for word in redirectWords where i + word.count <= text.count {
            for k in 0..<word.count where ByteKeyTable<Int>.fold(text[i + k]) != word[k] { continue outer }
            return true
        }
        return false
    }
}

// MARK: - Feeding libxml2

/// One `<page>` the feeder has seen, in offsets of the logical stream (the decompressed dump as
/// handed to libxml2, minus the character data the size cap removed).
struct DumpPageRecord {
    /// Where `<page` starts.
    var start: Int
    /// Just past `</page` (before its `>`), once seen.
    var end: Int?
    /// Byte offset of `<page` in the decompressed input, for messages.
    var inputOffset: Int
    /// A run of character data longer than the cap was cut out of this page.
    var tooLarge = false
    /// Already replayed on its own after an error.
    var isolated = false
    /// Its number among the pages the scan found.
    var ordinal = 0
    /// Something other than white space and closing tags lies between the previous page and this one.
    var junkBefore = false
}

/// Hands bytes from a ByteSource to libxml2 and keeps what it needs to recover from damage: the
/// bytes from the start of the oldest page the parser has not finished, and where each page
/// starts and ends (found by a byte scan for `<page` and `</page`, which character data cannot
/// contain in well-formed XML). It also enforces the per-page size cap: a run of character data
/// longer than `maxRunBytes` inside a page is not handed on (nor kept), so libxml2 never buffers
/// it, and the page is marked too large.
///
/// libxml2's reader parses ahead of the node it returns, so an error in one page can surface
/// before the previous page's `</page>` has been returned. Recovery therefore replays the oldest
/// unfinished page on its own (`startIsolation`): if it parses, it was good and is kept; if not,
/// it is the broken one and is dropped by name. Either way the next start is past it, so
/// recovery always moves forward.
final class DumpFeeder {
    let source: any ByteSource
    /// The error the source threw (truncated or corrupt compressed stream).
    var sourceError: (any Error)?
    /// The last libxml2 error message.
    var lastError: String?
    /// True once the source has returned its last byte.
    private(set) var atEnd = false
    /// The longest run of character data kept inside a page (the size cap).
    let maxRunBytes: Int

    /// Logical bytes `[windowBase, windowBase + window.count)`.
    private var window: [UInt8] = []
    private var windowBase = 0
    /// The logical bytes before `scanned` have been scanned (page tags found, cap applied).
    private var scanned = 0
    /// The next logical byte to hand to libxml2.
    private(set) var cursor = 0
    /// Where the current libxml2 reader started, and the synthetic bytes it gets first / last.
    private(set) var readerStart = 0
    private var prefix: [UInt8] = []
    private var prefixPosition = 0
    private var suffixPosition = 0
    private static let resyncPrefix = Array("<mediawiki>\n".utf8)
    private static let isolationSuffix = Array(">\n</mediawiki>\n".utf8)
    /// While replaying one page on its own: `isolatedIndex` is its record's index in `pages`
    /// (which is not compacted meanwhile).
    private(set) var isolating = false
    private var isolatedIndex = 0

    // Scanner state.
    private var pageOpen = false
    private var pageOrdinal = 0
    /// Outside a page after the first: whether the gap so far holds more than white space.
    private var gapDirty = false
    /// In the gap, inside a tag (its body is not gap content).
    private var gapInTag = false
    private var lastTagStart = 0
    private var skipping = false
    /// Bytes the cap removed so far (logical offset + elided = input offset, before them).
    private var elided = 0
    /// Pages not yet finished by the parser, oldest first, from `pagesHead`.
    private var pages: [DumpPageRecord] = []
    private var pagesHead = 0
    private var chunk: [UInt8]
    private static let chunkSize = 1 << 16

    private var isUTF8Checked = false
    /// False for UTF-16 input, which the byte scan cannot follow: no replay, no cap.
    private(set) var isUTF8 = true

    init(source: any ByteSource, maxRunBytes: Int) {
        self.source = source
        self.maxRunBytes = max(64, maxRunBytes)
        chunk = [UInt8](repeating: 0, count: Self.chunkSize)
        window.reserveCapacity(Self.chunkSize * 4)
    }

    /// The largest the window has been.
    private(set) var heldBytesPeak = 0
    /// The end of the held bytes.
    var heldEnd: Int { windowBase + window.count }

    /// The oldest page the parser has not finished.
    var frontPage: DumpPageRecord? { pagesHead < pages.count ? pages[pagesHead] : nil }

    /// The parser finished a page: returns its record (nil if the scan saw no such page).
    func finishPage() -> DumpPageRecord? {
        guard pagesHead < pages.count else { return nil }
        let record = pages[pagesHead]
        pagesHead += 1
        if !isolating && pagesHead > 1024 && pagesHead * 2 > pages.count {
            pages.removeFirst(pagesHead)
            pagesHead = 0
        }
        return record
    }

    /// Drops the oldest unfinished page without it having been finished by the parser.
    func dropFrontPage() { _ = finishPage() }

    /// Whether the front page's bytes are still held (so it can be replayed).
    var canReplayFront: Bool { frontPage.map { $0.start >= windowBase && !$0.isolated } ?? false }

    /// The page being replayed on its own, and whether the parser has finished it.
    var isolatedPage: DumpPageRecord { pages[isolatedIndex] }
    var isolatedPageFinished: Bool { pagesHead > isolatedIndex }

    /// Discards the bytes up to the next page start not yet finished (reading on as needed)
    /// and returns its offset; nil when the input has no further page.
    func skipToNextPage() -> Int? {
        while true {
            if let f = frontPage, f.start >= windowBase { return f.start }
            while let f = frontPage, f.start < windowBase { dropFrontPage() }
            cursor = scanned
            trim()
            if sourceError != nil { return nil }
            if atEnd {
                if scanned < heldEnd {
                    scan(final: true)
                    continue
                }
                return nil
            }
            if !fill() { return nil }
        }
    }

    /// The next reader reads `<mediawiki>` and then the logical bytes from `position`.
    func restart(at position: Int) {
        lastError = nil
        isolating = false
        while let f = frontPage, f.start < position { dropFrontPage() }
        start(at: max(position, windowBase))
    }

    /// The next reader reads the front page alone, wrapped in `<mediawiki>`…`</mediawiki>`.
    func startIsolation() {
        lastError = nil
        pages[pagesHead].isolated = true
        isolating = true
        isolatedIndex = pagesHead
        start(at: pages[pagesHead].start)
    }

    private func start(at position: Int) {
        precondition(position >= windowBase, "restart before the held bytes")
        cursor = position
        readerStart = position
        prefix = Self.resyncPrefix
        prefixPosition = 0
        suffixPosition = 0
    }

    /// The title of `page` read from its held bytes, entities decoded; nil when not held.
    func title(of page: DumpPageRecord) -> String? {
        guard page.start >= windowBase else { return nil }
        let from = page.start - windowBase
        let to = min(window.count, (page.end ?? Int.max) - windowBase, from + (1 << 16))
        guard from < to else { return nil }
        let open = Array("<title>".utf8)
        let close = Array("</title>".utf8)
        guard let a = Self.find(open, in: window, from: from, to: to),
            let b = Self.find(close, in: window, from: a + open.count, to: to)
        else { return nil }
        return Self.decodeXMLText(window[(a + open.count)..<b])
    }

    // MARK: libxml2's read callback

    /// Up to `count` bytes for libxml2; 0 at the end (or the end of an isolated page), -1 after
    /// a source error.
    func read(into buffer: UnsafeMutablePointer<CChar>, count: Int) -> Int32 {
        let out = UnsafeMutableRawPointer(buffer)
        if prefixPosition < prefix.count {
            let n = min(count, prefix.count - prefixPosition)
            prefix.withUnsafeBytes { out.copyMemory(from: $0.baseAddress! + prefixPosition, byteCount: n) }
            prefixPosition += n
            return Int32(n)
        }
        while true {
            var limit = scanned
            if isolating, let end = pages[isolatedIndex].end { limit = min(limit, end) }
            if cursor < limit {
                let n = min(count, limit - cursor)
                window.withUnsafeBytes { out.copyMemory(from: $0.baseAddress! + (cursor - windowBase), byteCount: n) }
                cursor += n
                trim()
                return Int32(n)
            }
            if isolating, pages[isolatedIndex].end != nil {
                let suffix = Self.isolationSuffix
                let n = min(count, suffix.count - suffixPosition)
                suffix.withUnsafeBytes { out.copyMemory(from: $0.baseAddress! + suffixPosition, byteCount: n) }
                suffixPosition += n
                return Int32(n)
            }
            if sourceError != nil { return -1 }
            if atEnd {
                if scanned < windowBase + window.count {
                    scan(final: true)
                    continue
                }
                return 0
            }
            if !fill() { return sourceError == nil ? 0 : -1 }
        }
    }

    /// Reads one chunk from the source into the window and scans it; false at a source error.
    private func fill() -> Bool {
        let n: Int
        do {
            n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
        } catch {
            sourceError = error
            return false
        }
        if n == 0 {
            atEnd = true
            scan(final: true)
            return true
        }
        if !isUTF8Checked && n >= 2 {
            isUTF8Checked = true
            // UTF-16 (with or without a BOM) cannot be scanned byte by byte.
            isUTF8 = !(chunk[0] == 0 || chunk[1] == 0 || chunk[0] == 0xFE || chunk[0] == 0xFF)
        }
        window.append(contentsOf: chunk[0..<n])
        scan(final: false)
        heldBytesPeak = max(heldBytesPeak, window.count)
        return true
    }

    /// Forgets held bytes nobody can need again: before the oldest unfinished page and the cursor.
    private func trim() {
        var keep = cursor
        if let f = frontPage, f.start >= windowBase { keep = min(keep, f.start) }
        // A page whose text runs past the cap is elided, but one with very many tags or
        // revisions is not: past this much, its start is let go (it then cannot be replayed).
        keep = max(keep, cursor - maxRunBytes - (1 << 20))
        let dead = keep - windowBase
        guard dead >= 1 << 18 && dead * 2 >= window.count else { return }
        window.removeFirst(dead)
        windowBase = keep
    }

    // MARK: The scan

    /// Scans `window` from `scanned`: records `<page`/`</page` positions and cuts character data
    /// past the cap out of the window. Stops before a `<` whose next bytes have not arrived, unless
    /// `final`.
    private func scan(final: Bool) {
        guard isUTF8 else {
            scanned = windowBase + window.count
            return
        }
        let lt = UInt8(ascii: "<")
        let kept: Int = window.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            let n = buf.count
            var r = scanned - windowBase  // read index
            var w = r  // write index (w < r once something was cut)
            func move(_ count: Int) {
                if w != r && count > 0 { memmove(base + w, base + r, count) }
                w += count
                r += count
            }
            func nextLT(_ from: Int) -> Int {
                guard from < n, let p = memchr(base + from, Int32(lt), n - from) else { return n }
                return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
            }
            while r < n {
                if skipping {
                    let q = nextLT(r)
                    elided += q - r
                    r = q
                    if r == n { break }
                    skipping = false
                }
                let q = nextLT(r)
                if pageOpen && windowBase + w + (q - r) - lastTagStart > maxRunBytes {
                    let allowed = max(0, maxRunBytes - (windowBase + w - lastTagStart))
                    let cut = Self.safeCut(base, from: r, at: r + allowed)
                    move(cut - r)
                    if pages.last?.ordinal == pageOrdinal { pages[pages.count - 1].tooLarge = true }
                    skipping = true
                    continue
                }
                if !pageOpen && pageOrdinal > 0 && !gapDirty {
                    var k = r
                    if gapInTag {
                        while k < q && base[k] != UInt8(ascii: ">") { k += 1 }
                        if k < q {
                            gapInTag = false
                            k += 1
                        }
                    }
                    while k < q && base[k] <= 32 { k += 1 }
                    if k < q { gapDirty = true }
                }
                move(q - r)
                if r == n { break }
                // At a `<`: is it `<page` or `</page`? Needs up to 7 bytes.
                if r + 7 > n && !final { break }
                let at = windowBase + w
                switch Self.pageTag(base, r, n) {
                case 1:
                    if !pageOpen {
                        pageOpen = true
                        pageOrdinal += 1
                        pages.append(
                            DumpPageRecord(
                                start: at, inputOffset: at + elided, ordinal: pageOrdinal, junkBefore: gapDirty))
                        gapDirty = false
                    }
                case 2:
                    if pageOpen {
                        pageOpen = false
                        if pages.last?.ordinal == pageOrdinal { pages[pages.count - 1].end = at + 6 }
                        gapInTag = true
                    }
                default:
                    if !pageOpen && pageOrdinal > 0 {
                        gapInTag = true
                        if !(r + 1 < n && base[r + 1] == UInt8(ascii: "/")) { gapDirty = true }
                    }
                }
                lastTagStart = at
                move(1)
            }
            // What could not be scanned yet stays, moved down behind what was kept.
            let rest = n - r
            let scannedIndex = w
            if rest > 0 { memmove(base + w, base + r, rest) }
            scanned = windowBase + scannedIndex
            return w + rest
        }
        if kept < window.count { window.removeLast(window.count - kept) }
    }

    /// 1 for `<page` and 2 for `</page` (followed by `>`, `/` or white space) at `i`, else 0.
    @inline(__always)
    private static func pageTag(_ s: UnsafeMutablePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
        var j = i + 1
        var kind = 1
        if j < n && s[j] == UInt8(ascii: "/") {
            j += 1
            kind = 2
        }
        guard j + 4 < n, s[j] == 0x70, s[j + 1] == 0x61, s[j + 2] == 0x67, s[j + 3] == 0x65 else { return 0 }
        let d = s[j + 4]
        return d == UInt8(ascii: ">") || d == UInt8(ascii: "/") || d == 32 || d == 9 || d == 10 || d == 13 ? kind : 0
    }

    /// A cut at or before `at` that splits neither a UTF-8 sequence nor an entity reference.
    private static func safeCut(_ s: UnsafeMutablePointer<UInt8>, from: Int, at: Int) -> Int {
        var c = at
        while c > from && s[c] & 0xC0 == 0x80 { c -= 1 }
        var k = c - 1
        while k >= from && k >= c - 12 {
            if s[k] == UInt8(ascii: ";") { break }
            if s[k] == UInt8(ascii: "&") { return k }
            k -= 1
        }
        return c
    }

    private static func find(_ marker: [UInt8], in bytes: [UInt8], from: Int, to: Int) -> Int? {
        var i = from
        while i + marker.count <= to {
            if bytes[i] == marker[0] {
                var k = 1
                while k < marker.count && bytes[i + k] == marker[k] { k += 1 }
                if k == marker.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// XML character data with the five predefined and numeric references decoded.
    static func decodeXMLText(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == UInt8(ascii: "&"), let semi = bytes[i..<min(bytes.endIndex, i + 12)].firstIndex(of: 59) {
                let name = String(decoding: bytes[(i + 1)..<semi], as: UTF8.self)
                var scalar: Unicode.Scalar?
                switch name {
                case "amp": scalar = "&"
                case "lt": scalar = "<"
                case "gt": scalar = ">"
                case "quot": scalar = "\""
                case "apos": scalar = "'"
                default:
                    if name.hasPrefix("#x") || name.hasPrefix("#X") {
                        scalar = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                    } else if name.hasPrefix("#") {
                        scalar = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init)
                    }
                }
                if let scalar {
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    i = semi + 1
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// `xmlInputReadCallback`: pulls from the feeder behind `context`.
private func dumpRead(_ context: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ len: Int32)
    -> Int32
{
    guard let context, let buffer else { return -1 }
    return Unmanaged<DumpFeeder>.fromOpaque(context).takeUnretainedValue().read(into: buffer, count: Int(len))
}

/// `xmlStructuredErrorFunc`: keeps the last error message instead of printing it.
private func dumpError(_ context: UnsafeMutableRawPointer?, _ error: xmlErrorPtr?) {
    guard let context, let error, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
    let feeder = Unmanaged<DumpFeeder>.fromOpaque(context).takeUnretainedValue()
    var message = error.pointee.message.map { String(cString: $0) } ?? "XML error \(error.pointee.code)"
    while message.hasSuffix("\n") { message.removeLast() }
    feeder.lastError = "\(message) (XML line \(error.pointee.line))"
}
