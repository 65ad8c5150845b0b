// HTML → main text. libxml2's recovering HTML parser builds the tree; one iterative walk (no
// recursion, so nesting depth cannot overflow the stack) turns it into text blocks; a
// readability-style scorer (HTMLExtractor+MainContent.swift) picks the blocks of the main
// content. Input is UTF-8 (CharsetDecoder chose the charset); output is NFC. No network, no CSS.
@preconcurrency internal import CXML2
internal import CICUShim
import SluiceCore

/// Extracts text from HTML pages. One per task: it keeps scratch buffers between pages.
public final class HTMLExtractor {
    /// Block elements nested deeper than this are read as inline: their text joins the block of
    /// their ancestor at this depth (keeps every selection pass linear on pathological nesting).
    public static let maxBlockDepth = 512
    /// The text of `<script type="application/ld+json">` elements, for the schema.org fallback.
    var jsonLD: [UnsafePointer<xmlChar>] = []
    public var options: ExtractionOptions
    /// Text of all blocks, back to back.
    var buffer: [UInt8] = []
    var blocks: [TextBlock] = []
    /// Scratch for attribute values.
    var scratch: [UInt8] = []
    /// What the last `extract` call dropped, flattened or ran out of.
    public private(set) var report = ExtractionReport()
    /// Characters per block (main-content selection).
    var chars: [Int] = []
    /// The current page's CPU budget.
    var budget = ExtractionBudget(seconds: nil)

    public init(options: ExtractionOptions = ExtractionOptions()) {
        self.options = options
        buffer.reserveCapacity(1 << 16)
    }

    /// Extracts the text of a UTF-8 HTML page.
    /// - Parameters:
    ///   - html: the page as UTF-8 bytes.
    ///   - url: the page's URL, for libxml2's base (never fetched).
    ///   - budget: seconds of this thread's CPU time the page may take (nil: no limit); past it,
    ///     the result is nil and `report.timedOut` is set.
    /// - Returns: nil when libxml2 cannot build a tree at all, or when the budget ran out.
    /// - Complexity: linear in the page's bytes (attributes past `maxAttributesPerTag` per tag are
    ///   dropped before parsing, as libxml2 is quadratic in them).
    public func extract(utf8 html: UnsafeRawBufferPointer, url: String? = nil, budget: Double? = nil)
        -> ExtractedPage?
    {
        report = ExtractionReport()
        var watch = ParseWatch(budget: ExtractionBudget(seconds: budget))
        // The freed tree of a large page goes back to the system at once (see Heap).
        defer { if html.count >= Self.trimHeapAfterBytes { Heap.releaseFreePages() } }
        if let capped = capAttributes(html) {
            report.attributesDropped = capped.dropped
            return capped.bytes.withUnsafeBytes { parseAndExtract($0, url: url, watch: &watch) }
        }
        return parseAndExtract(html, url: url, watch: &watch)
    }

    /// Pages of at least this many bytes are rare (8 of the 7,482 records of a 21 MB crawl file)
    /// and leave a tree of about 15 times their size behind.
    static let trimHeapAfterBytes = 1 << 20

    private func parseAndExtract(_ html: UnsafeRawBufferPointer, url: String?, watch: inout ParseWatch)
        -> ExtractedPage?
    {
        // HTML_PARSE_HUGE lifts libxml2's nesting limit of 256 elements (past it, 2.9 stops the
        // parse and drops the rest of the page); the walk flattens deep blocks instead.
        let opts = Int32(
            HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
                | HTML_PARSE_NONET.rawValue | HTML_PARSE_COMPACT.rawValue | HTML_PARSE_IGNORE_ENC.rawValue
                | XML_PARSE_HUGE.rawValue)
        LibXML2.ready
        guard html.count < Int(Int32.max), let ctxt = htmlNewParserCtxt() else { return nil }
        defer { htmlFreeParserCtxt(ctxt) }
        // The tree builder's startElement, wrapped to check the budget every 256 elements.
        watch.startElement = ctxt.pointee.sax.pointee.startElement
        ctxt.pointee.sax.pointee.startElement = budgetedStartElement
        let parsed = withUnsafeMutablePointer(to: &watch) { w -> htmlDocPtr? in
            ctxt.pointee._private = UnsafeMutableRawPointer(w)
            defer { ctxt.pointee._private = nil }
            return htmlCtxtReadMemory(
                ctxt, html.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(html.count), url, "UTF-8", opts)
        }
        guard let doc = parsed else {
            report.timedOut = watch.budget.exceeded
            return nil
        }
        defer { xmlFreeDoc(doc) }
        if watch.budget.check() {
            report.timedOut = true
            return nil
        }
        // A parse that stopped early (a fatal error libxml2 does not recover from) loses the rest.
        if ctxt.pointee.disableSAX != 0 { report.parseStopped = true }
        budget = watch.budget
        guard let root = xmlDocGetRootElement(doc) else {
            return ExtractedPage(text: "", title: nil, lang: nil, description: nil)
        }
        buffer.removeAll(keepingCapacity: true)
        blocks.removeAll(keepingCapacity: true)
        var meta = PageMeta()
        walk(root, meta: &meta)
        if budget.exceeded {
            report.timedOut = true
            return nil
        }
        let text = options.mainContent ? mainText() : assemble(wholePage())
        if budget.check() {
            report.timedOut = true
            return nil
        }
        return ExtractedPage(
            text: text, title: meta.title.map(collapse), lang: meta.lang, description: meta.description.map(collapse))
    }

    struct PageMeta {
        var title: String?
        var ogTitle: String?
        var lang: String?
        var description: String?
    }

    // MARK: - Walk

    /// Visits the tree in document order without recursion and fills `blocks`.
    private func walk(_ root: UnsafeMutablePointer<xmlNode>, meta: inout PageMeta) {
        var state = WalkState()
        jsonLD.removeAll(keepingCapacity: true)
        if let l = attribute(root, "lang"), !l.isEmpty { meta.lang = l }
        var node = root
        outer: while true {
            let n = node
            var descend = false
            state.visited &+= 1
            if state.visited & 4095 == 0 && budget.check() { break outer }
            if n.pointee.type == XML_ELEMENT_NODE {
                descend = enter(n, &state, &meta)
            } else if n.pointee.type == XML_TEXT_NODE || n.pointee.type == XML_CDATA_SECTION_NODE {
                if let c = n.pointee.content { appendText(c, &state) }
            }
            if descend, let c = n.pointee.children {
                node = c
                continue
            }
            if descend { leave(n, &state) }
            // Climb until a node has a next sibling, leaving each element on the way.
            var cur = n
            while true {
                if cur == root { break outer }
                if let next = cur.pointee.next {
                    node = next
                    continue outer
                }
                guard let p = cur.pointee.parent else { break outer }
                cur = p
                leave(cur, &state)
            }
        }
        flush(&state)
    }

    struct WalkState {
        /// Elements entered (descended into), with their kinds: the open-element stack.
        var open: [(node: UnsafeMutablePointer<xmlNode>, kind: TagKind, boilerplate: UInt8)] = []
        var pre = 0
        var link = 0
        /// Open class- and tag-boilerplate containers.
        var classBoiler = 0
        var tagBoiler = 0
        var hiddenBoiler = 0
        /// Nodes visited, for the budget check.
        var visited = 0
        /// Start of the pending block in `buffer`.
        var blockStart = 0
        var linkBytes = 0
        var commas = 0
        /// Whether the last byte written is a space (collapsing whitespace).
        var space = true
        /// Open table rows and list items (so a block knows it sits in one without a scan).
        var rows = 0
        var items = 0
    }

    /// Handles an element start; returns whether to descend into it.
    private func enter(_ n: UnsafeMutablePointer<xmlNode>, _ s: inout WalkState, _ meta: inout PageMeta) -> Bool {
        var kind = tagKind(n.pointee.name)
        var noscript = false
        switch kind {
        case .skip:
            if let name = n.pointee.name, nameEquals(name, "script"), let t = attributeValue(n, "type"),
                asciiEqualsLowercased(t, "application/ld+json"), let c = n.pointee.children,
                let text = c.pointee.content
            {
                jsonLD.append(UnsafePointer(text))
            }
            // A widget left unclosed (`<button>Share` with no `</button>`) swallows what follows,
            // as libxml2 nests it: paragraphs inside one are page text, so it is read as a block.
            if swallowsBlocks(n) {
                kind = .block
                break
            }
            // <noscript> is what a reader without scripts sees: text of the last resort (below).
            guard options.mainContent, let name = n.pointee.name, nameEquals(name, "noscript") else { return false }
            kind = .block
            noscript = true
        case .title:
            if meta.title == nil, let t = textContent(n) { meta.title = t }
            return false
        case .br:
            newline(&s)
            return false
        case .image:
            return false
        default: break
        }
        if kind == .inline, n.pointee.name.map({ nameEquals($0, "meta") }) == true {
            readMeta(n, &meta)
            return false
        }
        // Hidden things are never text; nor are heading permalinks (Sphinx's ¶, anchor.js).
        // In main-content mode hidden and <noscript> text is marked, for the last relaxation only.
        let hidden = noscript || isHidden(n)
        if hidden && !options.mainContent { return false }
        if kind == .anchor, let c = attributeValue(n, "class") {
            scratch.removeAll(keepingCapacity: true)
            appendLowercased(c, to: &scratch)
            if scratch.withUnsafeBufferPointer({ HTMLWords.permalinkMatcher.matches($0) }) { return false }
        }
        // Boilerplate is marked, never pruned here: selection relaxes the marks when they leave little.
        var boiler: UInt8 = hidden ? hiddenBoilerplate : 0
        if options.mainContent {
            if kind == .boilerplate { boiler |= tagBoilerplate }
            if looksLikeBoilerplate(n, kind: kind) { boiler |= classBoilerplate }
        }
        if !keeps(kind) { return false }
        if s.open.count >= Self.maxBlockDepth && kind != .inline && kind != .anchor && kind != .code {
            kind = .inline
            report.flattenedElements += 1
        }
        if isBlockLevel(kind) { flush(&s) }
        if kind == .tableCell, s.open.last?.kind != .tableRow || lastByteIsCellSeparator(s) == false {
            separateCell(&s)
        }
        if kind == .pre { s.pre += 1 }
        if kind == .anchor { s.link += 1 }
        if kind == .tableRow { s.rows += 1 }
        if kind == .listItem { s.items += 1 }
        if boiler & classBoilerplate != 0 { s.classBoiler += 1 }
        if boiler & tagBoilerplate != 0 { s.tagBoiler += 1 }
        if boiler & hiddenBoilerplate != 0 { s.hiddenBoiler += 1 }
        s.open.append((n, kind, boiler))
        return true
    }

    /// Whether `n` is a widget (button, select, option, datalist, menu, map, object, embed, canvas,
    /// svg, math, audio, video, picture, applet) with a paragraph, heading, list, table or text container
    /// within three levels below it: invalid HTML, so the sign of an unclosed tag that took in the page.
    /// Scripts, styles, templates, iframes, dialogs and form fields stay skipped.
    /// - Complexity: O(elements up to three levels below `n`); linear over the page.
    private func swallowsBlocks(_ n: UnsafeMutablePointer<xmlNode>) -> Bool {
        guard let name = n.pointee.name else { return false }
        let widget =
            nameEquals(name, "button") || nameEquals(name, "select") || nameEquals(name, "menu")
            || nameEquals(name, "map") || nameEquals(name, "object") || nameEquals(name, "embed")
            || nameEquals(name, "canvas") || nameEquals(name, "svg") || nameEquals(name, "math")
            || nameEquals(name, "audio") || nameEquals(name, "video") || nameEquals(name, "picture")
            || nameEquals(name, "applet") || nameEquals(name, "option") || nameEquals(name, "datalist")
        guard widget else { return false }
        // Children, grandchildren and their children (`<select><option>x<div>`, `<svg><g><path><p>`):
        // each element is looked at by at most three ancestors.
        var level: [UnsafeMutablePointer<xmlNode>] = [n]
        var next: [UnsafeMutablePointer<xmlNode>] = []
        for _ in 0..<3 {
            for p in level {
                var c = p.pointee.children
                while let x = c {
                    if x.pointee.type == XML_ELEMENT_NODE {
                        switch tagKind(x.pointee.name) {
                        case .paragraph, .heading, .list, .listItem, .table, .block, .blockquote, .pre, .body:
                            return true
                        default: next.append(x)
                        }
                    }
                    c = x.pointee.next
                }
            }
            swap(&level, &next)
            next.removeAll(keepingCapacity: true)
        }
        return false
    }

    private func leave(_ n: UnsafeMutablePointer<xmlNode>, _ s: inout WalkState) {
        guard let top = s.open.last, top.node == n else { return }
        s.open.removeLast()
        if isBlockLevel(top.kind) { flush(&s, closing: top) }
        if top.kind == .pre { s.pre -= 1 }
        if top.kind == .anchor { s.link -= 1 }
        if top.kind == .tableRow { s.rows -= 1 }
        if top.kind == .listItem { s.items -= 1 }
        if top.boilerplate & classBoilerplate != 0 { s.classBoiler -= 1 }
        if top.boilerplate & tagBoilerplate != 0 { s.tagBoiler -= 1 }
        if top.boilerplate & hiddenBoilerplate != 0 { s.hiddenBoiler -= 1 }
    }

    private func keeps(_ kind: TagKind) -> Bool {
        switch kind {
        case .heading: options.keepHeadings
        case .list, .listItem: options.keepLists
        case .table, .tableRow, .tableCell: options.keepTables
        case .pre, .code: options.keepCode
        case .blockquote: options.keepBlockquotes
        case .caption: options.keepCaptions
        default: true
        }
    }

    private func isBlockLevel(_ k: TagKind) -> Bool {
        switch k {
        case .block, .heading, .paragraph, .listItem, .list, .tableRow, .table, .pre, .blockquote, .caption, .body,
            .boilerplate:
            true
        default: false
        }
    }

    private func lastByteIsCellSeparator(_ s: WalkState) -> Bool {
        buffer.count == s.blockStart || buffer.last == 0x09
    }

    private func separateCell(_ s: inout WalkState) {
        if buffer.count > s.blockStart && buffer.last != 0x09 {
            while buffer.count > s.blockStart && buffer.last == 0x20 { buffer.removeLast() }
            buffer.append(0x09)
            s.space = true
        }
    }

    private func newline(_ s: inout WalkState) {
        while buffer.count > s.blockStart && buffer.last == 0x20 { buffer.removeLast() }
        if buffer.count > s.blockStart && buffer.last != 0x0a { buffer.append(0x0a) }
        s.space = true
    }

    /// Appends a text node: whitespace collapsed (kept inside `pre`), counting link bytes and commas.
    private func appendText(_ c: UnsafePointer<xmlChar>, _ s: inout WalkState) {
        // The buffer leaves the class for the loop and goes back after it: appending to a class
        // property costs a run-time exclusivity check per byte in an -O build.
        var buffer = self.buffer
        self.buffer = []
        defer { self.buffer = buffer }
        var p = c
        let before = buffer.count
        if s.pre > 0 {
            while p.pointee != 0 {
                let b = p.pointee
                if b == 0x0d {
                    p += 1
                    continue
                }
                buffer.append(b == 0x09 ? 0x20 : b)
                if b == 0x2c { s.commas += 1 }
                p += 1
            }
            s.space = buffer.last == 0x20 || buffer.last == 0x0a
        } else {
            while p.pointee != 0 {
                let b = p.pointee
                if b == 0x20 || b == 0x0a || b == 0x09 || b == 0x0d || b == 0x0c {
                    if !s.space {
                        buffer.append(0x20)
                        s.space = true
                    }
                } else if b == 0xc2 && p[1] == 0xa0 {
                    // U+00A0 NO-BREAK SPACE collapses like a space.
                    if !s.space {
                        buffer.append(0x20)
                        s.space = true
                    }
                    p += 1
                } else {
                    if s.space && buffer.count == s.blockStart { s.space = false }
                    buffer.append(b)
                    s.space = false
                    if b == 0x2c { s.commas += 1 }
                    // U+3001 IDEOGRAPHIC COMMA, U+FF0C FULLWIDTH COMMA
                    if b == 0xe3 && p[1] == 0x80 && p[2] == 0x81 { s.commas += 1 }
                    if b == 0xef && p[1] == 0xbc && p[2] == 0x8c { s.commas += 1 }
                }
                p += 1
            }
        }
        // A block never starts with a space.
        if buffer.count > s.blockStart && buffer[s.blockStart] == 0x20 && before == s.blockStart {
            buffer.remove(at: s.blockStart)
        }
        if s.link > 0 { s.linkBytes += buffer.count - before }
    }

    /// Ends the pending block.
    private func flush(
        _ s: inout WalkState, closing: (node: UnsafeMutablePointer<xmlNode>, kind: TagKind, boilerplate: UInt8)? = nil
    ) {
        while buffer.count > s.blockStart && (buffer.last == 0x20 || buffer.last == 0x0a || buffer.last == 0x09) {
            buffer.removeLast()
        }
        if buffer.count > s.blockStart {
            // The owner: the innermost open block-level element (or the one closing now).
            var owner: UnsafeMutablePointer<xmlNode>?
            var kind = TagKind.block
            if let c = closing {
                owner = c.node
                kind = c.kind
            } else if let o = s.open.last(where: { isBlockLevel($0.kind) }) {
                owner = o.node
                kind = o.kind
            }
            // Cells are blocks of their row.
            if kind == .tableRow || s.rows > 0 && kind != .table { kind = .tableRow }
            if s.items > 0 && kind == .block { kind = .listItem }
            blocks.append(
                TextBlock(
                    start: s.blockStart, end: buffer.count, linkBytes: min(s.linkBytes, buffer.count - s.blockStart),
                    kind: kind, owner: owner, commas: s.commas,
                    boilerplate: (s.classBoiler > 0 ? classBoilerplate : 0) | (s.tagBoiler > 0 ? tagBoilerplate : 0)
                        | (s.hiddenBoiler > 0 ? hiddenBoilerplate : 0)
                        | (closing?.boilerplate ?? 0)))
        } else {
            buffer.removeSubrange(s.blockStart...)
        }
        s.blockStart = buffer.count
        s.linkBytes = 0
        s.commas = 0
        s.space = true
    }

    // MARK: - Metadata

    private func readMeta(_ n: UnsafeMutablePointer<xmlNode>, _ meta: inout PageMeta) {
        let name = (attribute(n, "name") ?? attribute(n, "property") ?? "").lowercased()
        guard let content = attribute(n, "content") else { return }
        switch name {
        case "description", "og:description":
            if meta.description == nil || name == "description" { meta.description = content }
        case "og:title":
            meta.ogTitle = content
        default:
            if meta.lang == nil, attribute(n, "http-equiv")?.lowercased() == "content-language" { meta.lang = content }
        }
    }

    /// The concatenated text of `n`'s descendants.
    private func textContent(_ n: UnsafeMutablePointer<xmlNode>) -> String? {
        guard let c = xmlNodeGetContent(n) else { return nil }
        defer { xmlFree(c) }
        let s = String(cString: c)
        return s.isEmpty ? nil : s
    }

    /// The value of attribute `name` (lower-case) of element `n`, or nil.
    func attribute(_ n: UnsafeMutablePointer<xmlNode>, _ name: StaticString) -> String? {
        var a = n.pointee.properties
        while let attr = a {
            if let an = attr.pointee.name, nameEquals(an, name) {
                guard let v = attr.pointee.children?.pointee.content else { return "" }
                return String(cString: v)
            }
            a = attr.pointee.next
        }
        return nil
    }

    private func isHidden(_ n: UnsafeMutablePointer<xmlNode>) -> Bool {
        var a = n.pointee.properties
        while let attr = a {
            if let an = attr.pointee.name {
                if nameEquals(an, "hidden") { return true }
                if nameEquals(an, "aria-hidden"), let v = attr.pointee.children?.pointee.content, nameEquals(v, "true")
                {
                    return true
                }
                if nameEquals(an, "style"), let v = attr.pointee.children?.pointee.content {
                    // Lower-cased without spaces, then searched for display:none / visibility:hidden.
                    scratch.removeAll(keepingCapacity: true)
                    var p = UnsafePointer(v)
                    while p.pointee != 0 {
                        let c = p.pointee
                        if c != 0x20 && c != 0x09 { scratch.append(c >= 0x41 && c <= 0x5a ? c | 0x20 : c) }
                        p += 1
                    }
                    if scratch.withUnsafeBufferPointer({ HTMLWords.hiddenStyleMatcher.matches($0) }) { return true }
                }
            }
            a = attr.pointee.next
        }
        return false
    }

    // MARK: - Output

    /// Joins the chosen blocks: list items and table rows of one list or table on single lines,
    /// other blocks separated by a blank line; then NFC.
    func assemble(_ chosen: [Int]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(buffer.count)
        var previous: TextBlock?
        for i in chosen {
            let b = blocks[i]
            if let p = previous {
                let tight =
                    (p.kind == .listItem && b.kind == .listItem) || (p.kind == .tableRow && b.kind == .tableRow)
                    || (p.kind == .pre && b.kind == .pre)
                out.append(0x0a)
                if !tight { out.append(0x0a) }
            }
            out.append(contentsOf: buffer[b.start..<b.end])
            previous = b
        }
        return normalizeNFC(out)
    }

    /// The NFC form of UTF-8 `bytes` (ICU; a quick check first, so most pages are not copied twice).
    func normalizeNFC(_ bytes: [UInt8]) -> String {
        var status: Int32 = 0
        let ok = bytes.withUnsafeBufferPointer {
            sluice_icu_is_normalized(Int32(SLUICE_NFC), $0.baseAddress, Int32($0.count), &status)
        }
        if ok == 1 { return String(decoding: bytes, as: UTF8.self) }
        var cap = bytes.count + bytes.count / 2 + 16
        for _ in 0..<2 {
            var needed: Int32 = 0
            let out = [UInt8](unsafeUninitializedCapacity: cap) { buf, n in
                needed = bytes.withUnsafeBufferPointer {
                    sluice_icu_normalize(
                        Int32(SLUICE_NFC), $0.baseAddress, Int32($0.count), buf.baseAddress, Int32(cap), &status)
                }
                n = needed >= 0 && Int(needed) <= cap ? Int(needed) : 0
            }
            if needed < 0 { break }
            if Int(needed) <= cap { return String(decoding: out, as: UTF8.self) }
            cap = Int(needed) + 16
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whitespace collapsed and trimmed (titles, descriptions).
    func collapse(_ s: String) -> String {
        var out = [UInt8]()
        var space = true
        for b in s.utf8 {
            if b == 0x20 || b == 0x0a || b == 0x09 || b == 0x0d {
                if !space { out.append(0x20) }
                space = true
            } else {
                out.append(b)
                space = false
            }
        }
        if out.last == 0x20 { out.removeLast() }
        return String(decoding: out, as: UTF8.self)
    }
}
