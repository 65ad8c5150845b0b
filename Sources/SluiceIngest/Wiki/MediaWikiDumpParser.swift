// Pages out of a MediaWiki XML export (schemas 0.3 to 0.11), pulled through libxml2's streaming
// reader (`xmlReaderForIO`) from a ByteSource, in constant memory: never a whole-file DOM. It does
// not interpret wikitext. After malformed XML it resynchronises at the next `<page>`; after a
// truncated or damaged stream it reports where and stops, having returned every complete page.
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
    /// The title of the page that was cut off, if one was being read.
    var pageInProgress: String?
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
    /// Pages seen (complete or not), for stats.
    private(set) var pagesStarted = 0

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

    /// - Parameter source: the decompressed dump.
    init(source: any ByteSource) {
        feeder = DumpFeeder(source: source)
        text.reserveCapacity(1 << 16)
        revText.reserveCapacity(1 << 16)
    }

    deinit {
        if let reader { xmlFreeTextReader(reader) }
    }

    /// The path of the input, for messages.
    var path: String { feeder.source.path }

    /// Reads up to the next complete page.
    /// - Returns: `.page` (fields above hold it), `.damage` (then call again: the parser has
    ///   resynchronised or will return `.end`), or `.end`.
    func next() -> Step {
        if finished { return .end }
        if reader == nil { startReader() }
        guard let reader else { return .end }
        while true {
            let r = xmlTextReaderRead(reader)
            if r == 1 {
                if handleNode(reader) { return .page }
                continue
            }
            if r == 0 && feeder.sourceError == nil && feeder.lastError == nil {
                finished = true
                return .end
            }
            return damaged(consumed: Int(xmlTextReaderByteConsumed(reader)))
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
        reader = xmlReaderForIO(dumpRead, nil, context, feeder.source.path, nil, options)
        if let reader { xmlTextReaderSetStructuredErrorHandler(reader, dumpError, context) }
        inPage = false
        inRevision = false
        inContributor = false
        field = .none
    }

    private func damaged(consumed: Int) -> Step {
        let cut = inPage ? (title.isEmpty ? "(untitled page)" : title) : nil
        let offset = feeder.source.compressedOffset
        if let error = feeder.sourceError {
            finished = true
            let message = (error as? SluiceError)?.message ?? "\(error)"
            return .damage(
                DumpDamage(reason: "wikipedia:truncated_stream", message: message, offset: offset, pageInProgress: cut))
        }
        let xmlMessage = feeder.lastError ?? "malformed XML"
        if feeder.atEnd {
            finished = true
            return .damage(
                DumpDamage(
                    reason: "wikipedia:truncated_xml", message: "the XML ends before </mediawiki>: \(xmlMessage)",
                    offset: offset, pageInProgress: cut))
        }
        let damage = DumpDamage(
            reason: "wikipedia:xml_error", message: xmlMessage, offset: offset, pageInProgress: cut)
        // Start again at the next <page> after where libxml2 stopped.
        if let reader { xmlFreeTextReader(reader) }
        reader = nil
        if feeder.resynchronize(after: consumed) {
            startReader()
        } else {
            finished = true
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
        strcmp(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self),
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
            pagesStarted += 1
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
            namespace = Int(scratchString().trimmingSpaces()) ?? 0
            sawNS = true
        case .pageID: pageID = Int64(scratchString().trimmingSpaces()) ?? 0
        case .revisionID: revIDBytes = scratch
        case .timestamp: revTimestamp = scratch
        case .dbname: dbname = scratchString().trimmingSpaces()
        case .base: baseURL = scratchString().trimmingSpaces()
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
                        revisionID = Int64(String(decoding: revIDBytes, as: UTF8.self).trimmingSpaces()) ?? 0
                    }
                }
                return false
            }
            if Self.equals(name, "page") {
                inPage = false
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

/// Hands bytes from a ByteSource to libxml2, remembering the last ones so that the parser can
/// restart at the next `<page>` after malformed XML.
final class DumpFeeder {
    let source: any ByteSource
    /// The error the source threw (truncated or corrupt compressed stream).
    var sourceError: (any Error)?
    /// The last libxml2 error message.
    var lastError: String?
    /// True once the source has returned its last byte.
    var atEnd = false
    /// Bytes to hand out before reading the source again (after a resynchronisation).
    private var pending: [UInt8] = []
    private var pendingPosition = 0
    /// The last bytes handed to the current libxml2 reader: `recent[k]` is byte
    /// `handedOut - recent.count + k` of its input.
    private var recent: [UInt8] = []
    private var handedOut = 0
    private static let recentLimit = 1 << 20
    private var isUTF8Checked = false
    private var isUTF8 = true

    init(source: any ByteSource) { self.source = source }

    /// libxml2's read callback: up to `count` bytes, 0 at the end, -1 after an error.
    func read(into buffer: UnsafeMutablePointer<CChar>, count: Int) -> Int32 {
        var n = 0
        if pendingPosition < pending.count {
            n = min(count, pending.count - pendingPosition)
            pending.withUnsafeBytes { p in
                UnsafeMutableRawPointer(buffer).copyMemory(from: p.baseAddress! + pendingPosition, byteCount: n)
            }
            pendingPosition += n
            if pendingPosition == pending.count {
                pending.removeAll(keepingCapacity: true)
                pendingPosition = 0
            }
        } else if atEnd || sourceError != nil {
            return sourceError == nil ? 0 : -1
        } else {
            do {
                n = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: count))
            } catch {
                sourceError = error
                return -1
            }
            if n == 0 {
                atEnd = true
                return 0
            }
        }
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: n)
        if !isUTF8Checked && n >= 2 {
            isUTF8Checked = true
            // UTF-16 (with or without a BOM) cannot be resynchronised by byte search.
            isUTF8 = !(bytes[0] == 0 || bytes[1] == 0 || bytes[0] == 0xFE || bytes[0] == 0xFF)
        }
        if recent.count + n > Self.recentLimit { recent.removeFirst(recent.count + n - Self.recentLimit / 2) }
        recent.append(contentsOf: bytes)
        handedOut += n
        return Int32(n)
    }

    /// Positions the input at the first `<page` after byte `consumed` of the current reader's
    /// input, behind a synthetic `<mediawiki>` root. False when there is no further page.
    func resynchronize(after consumed: Int) -> Bool {
        lastError = nil
        guard isUTF8 else { return false }
        let windowStart = handedOut - recent.count
        var rest: [UInt8] = []
        let from = max(consumed + 1, windowStart) - windowStart
        if from < recent.count { rest.append(contentsOf: recent[from...]) }
        if pendingPosition < pending.count { rest.append(contentsOf: pending[pendingPosition...]) }
        recent.removeAll(keepingCapacity: true)
        handedOut = 0
        let marker = Array("<page".utf8)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            if let at = Self.find(marker, in: rest) {
                pending = Array("<mediawiki>\n".utf8) + rest[at...]
                pendingPosition = 0
                return true
            }
            // Keep a possible partial marker at the end, read on.
            if rest.count > marker.count { rest.removeFirst(rest.count - marker.count) }
            if atEnd || sourceError != nil { return false }
            let n: Int
            do {
                n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            } catch {
                sourceError = error
                return false
            }
            if n == 0 {
                atEnd = true
                return false
            }
            rest.append(contentsOf: chunk[0..<n])
        }
    }

    private static func find(_ marker: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= marker.count else { return nil }
        var i = 0
        while i + marker.count <= bytes.count {
            if bytes[i] == marker[0] {
                var k = 1
                while k < marker.count && bytes[i + k] == marker[k] { k += 1 }
                if k == marker.count {
                    let after = i + marker.count < bytes.count ? bytes[i + marker.count] : 32
                    if after == UInt8(ascii: ">") || after == 32 || after == 10 || after == 9 { return i }
                }
            }
            i += 1
        }
        return nil
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
