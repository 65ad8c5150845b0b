// Wikitext → plain text in one byte-level pass, as WikiExtractor and mwparserfromhell's
// `strip_code()` do: templates, tables, references, comments, files and categories go; link labels,
// headings, list items and paragraphs stay. It does not expand templates or render HTML, and it
// never uses regular expressions. Unbalanced markup is kept as text and counted, never fatal.
import SluiceCore

/// Converts the wikitext of one page to plain text. Reuse one converter per task: its buffers
/// keep their capacity between pages.
public struct WikitextConverter {
    /// What to keep that is removed by default.
    public struct Options: Sendable {
        /// Templates whose text is kept: name (lower case, spaces for underscores) → the 1-based
        /// unnamed parameter to keep, 0 for the last one (`lang` → 0 keeps "bonjour" in
        /// `{{lang|fr|bonjour}}`).
        public var keepTemplates: [String: Int] = [:]
        /// Keep the text of table cells (one row per line, cells joined by " | ") instead of
        /// removing tables.
        public var keepTables = false
        /// With tables removed, still keep their captions and the cells (and file captions) that
        /// read as prose: at least this many words (a CJK character counts half a word). 0 keeps
        /// no table text at all.
        public var proseWords = 3

        public init(keepTemplates: [String: Int] = [:], keepTables: Bool = false, proseWords: Int = 3) {
            self.keepTemplates = keepTemplates
            self.keepTables = keepTables
            self.proseWords = proseWords
        }

        /// Parses `name` or `name:N` entries of the `keep_templates` option.
        public static func parseKeepTemplates(_ list: [String]) -> [String: Int]? {
            var result: [String: Int] = [:]
            for entry in list {
                var name = Substring(entry)
                var index = 0
                if let colon = entry.lastIndex(of: ":"), let n = Int(entry[entry.index(after: colon)...]), n >= 0 {
                    name = entry[..<colon]
                    index = n
                }
                let key = WikitextConverter.normalizeTemplateName(String(name))
                guard !key.isEmpty else { return nil }
                result[key] = index
            }
            return result
        }
    }

    /// Markup that did not balance, per page (reset by each `convert`).
    public struct Damage: Sendable, Equatable {
        public var unbalancedBraces = 0
        public var unbalancedBrackets = 0
        public var unterminatedComments = 0
        public var unterminatedTables = 0
        public var unclosedTags = 0
        public var isEmpty: Bool { self == Damage() }
        public init() {}
    }

    public var options: Options
    /// Category names met in the last converted page, in order, without duplicates.
    public private(set) var categories: [String] = []
    public private(set) var damage = Damage()

    private var out: [UInt8] = []
    /// The normalized text: the first `finalCount` bytes (the array only grows, so it is reused).
    private var final: [UInt8] = []
    private var finalCount = 0
    /// Forward searches for a closing `}}`/`]]` that failed on this page; past a limit, openers are
    /// taken as text without searching, so a page full of unbalanced braces stays linear.
    private var failedSearches = 0
    private static let maxFailedSearches = 64
    private static let maxDepth = 40

    public init(options: Options = Options()) {
        self.options = options
        out.reserveCapacity(1 << 16)
    }

    /// The plain text of `wikitext`.
    public mutating func convert(_ wikitext: String) -> String {
        var copy = wikitext
        return copy.withUTF8 { convert(bytes: $0) }
    }

    /// The plain text of the UTF-8 wikitext in `bytes`.
    /// - Complexity: O(n) in the input, plus bounded re-scans of unbalanced openers.
    public mutating func convert(bytes s: UnsafeBufferPointer<UInt8>) -> String {
        out.removeAll(keepingCapacity: true)
        categories.removeAll(keepingCapacity: true)
        damage = Damage()
        failedSearches = 0
        scan(s, 0, s.count, depth: 0, lineMode: true)
        normalize()
        return final.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[0..<finalCount]), as: UTF8.self)
        }
    }

    static func normalizeTemplateName(_ name: String) -> String {
        var n = name.trimmingASCIIWhitespace().lowercased().replacingOccurrences(of: "_", with: " ")
        if n.hasPrefix("template:") { n = String(n.dropFirst(9)).trimmingASCIIWhitespace() }
        return n
    }

    // MARK: - The scanner

    /// Whether `c` may start markup (one of `\n{}[]<'&_`); everything else is copied in runs.
    /// A bit mask, not a table: a static array costs a lazy-initialisation check on every byte.
    @inline(__always)
    private static func isSpecial(_ c: UInt8) -> Bool {
        // Bits 10 (\n), 38 (&), 39 ('), 60 (<) | 91 ([), 93 (]), 95 (_), 123 ({), 125 (}).
        let low: UInt64 = 1 << 10 | 1 << 38 | 1 << 39 | 1 << 60
        let high: UInt64 = 1 << (91 - 64) | 1 << (93 - 64) | 1 << (95 - 64) | 1 << (123 - 64) | 1 << (125 - 64)
        if c < 64 { return (low >> UInt64(c)) & 1 != 0 }
        if c < 128 { return (high >> UInt64(c - 64)) & 1 != 0 }
        return false
    }

    /// Converts `s[from..<to]` into `out`. `lineMode`: line-start markup (headings, lists, tables)
    /// is recognised; off inside link labels and template arguments.
    private mutating func scan(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, depth: Int, lineMode: Bool) {
        var i = from
        var atLineStart = lineMode && (from == 0 || s[from - 1] == 10)
        while i < to {
            if atLineStart {
                atLineStart = false
                if let next = lineStart(s, i, to, depth: depth) {
                    i = next
                    atLineStart = i < to && i > 0 && s[i - 1] == 10
                    continue
                }
            }
            // Copy the run of plain bytes up to the next one that may start markup.
            var j = i
            while j < to && !Self.isSpecial(s[j]) { j += 1 }
            if j > i {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: s[i..<j]))
                i = j
                if i >= to { break }
            }
            let c = s[i]
            switch c {
            case 10:
                out.append(10)
                i += 1
                atLineStart = lineMode
            case UInt8(ascii: "{"):
                i = openBrace(s, i, to, depth: depth)
            case UInt8(ascii: "}"):
                if i + 1 < to && s[i + 1] == UInt8(ascii: "}") {
                    damage.unbalancedBraces += 1  // a stray `}}` closes nothing: markup, not text
                    i += 2
                } else {
                    out.append(c)
                    i += 1
                }
            case UInt8(ascii: "["):
                i = openBracket(s, i, to, depth: depth)
            case UInt8(ascii: "]"):
                if i + 1 < to && s[i + 1] == UInt8(ascii: "]") {
                    damage.unbalancedBrackets += 1
                    i += 2
                } else {
                    out.append(c)
                    i += 1
                }
            case UInt8(ascii: "<"):
                i = openAngle(s, i, to, depth: depth)
            case UInt8(ascii: "'"):
                i = apostrophes(s, i, to)
            case UInt8(ascii: "&"):
                if let (scalar, next) = HTMLEntities.decode(s, at: i, end: to) {
                    HTMLEntities.appendUTF8(scalar, to: &out)
                    i = next
                } else {
                    out.append(c)
                    i += 1
                }
            default:  // "_"
                i = underscore(s, i, to)
            }
        }
    }

    // MARK: Line starts

    /// Handles markup that only counts at the start of a line. Returns where to go on, or nil
    /// when the line starts with ordinary text.
    private mutating func lineStart(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int, depth: Int) -> Int? {
        let c = s[i]
        switch c {
        case UInt8(ascii: "="):
            return heading(s, i, to, depth: depth)
        case UInt8(ascii: "*"), UInt8(ascii: "#"), UInt8(ascii: ":"), UInt8(ascii: ";"):
            var j = i
            while j < to,
                s[j] == UInt8(ascii: "*") || s[j] == UInt8(ascii: "#") || s[j] == UInt8(ascii: ":")
                    || s[j] == UInt8(ascii: ";")
            {
                j += 1
            }
            while j < to && (s[j] == 32 || s[j] == 9) { j += 1 }
            // `:{|` indents a table: still a table.
            if j + 1 < to && s[j] == UInt8(ascii: "{") && s[j + 1] == UInt8(ascii: "|") {
                return table(s, j, to, depth: depth)
            }
            return j
        case UInt8(ascii: "-"):
            var j = i
            while j < to && s[j] == UInt8(ascii: "-") { j += 1 }
            return j - i >= 4 ? j : nil
        case 32, 9, UInt8(ascii: "{"):
            var j = i
            while j < to && (s[j] == 32 || s[j] == 9) { j += 1 }
            if j + 1 < to && s[j] == UInt8(ascii: "{") && s[j + 1] == UInt8(ascii: "|") {
                return table(s, j, to, depth: depth)
            }
            return j > i ? j : nil
        default:
            return nil
        }
    }

    /// `== Title ==` → the title on a line of its own, set off by blank lines.
    private mutating func heading(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int, depth: Int) -> Int? {
        var eol = i
        while eol < to && s[eol] != 10 { eol += 1 }
        var end = eol
        while end > i && (s[end - 1] == 32 || s[end - 1] == 9 || s[end - 1] == 13) { end -= 1 }
        var lead = 0
        while i + lead < end && s[i + lead] == UInt8(ascii: "=") { lead += 1 }
        var trail = 0
        while end - trail > i + lead && s[end - 1 - trail] == UInt8(ascii: "=") { trail += 1 }
        let level = min(lead, trail, 6)
        guard level > 0, end - level > i + level else { return nil }
        out.append(10)
        out.append(10)
        out.append(UInt8(level))  // a heading marker for `normalize` (control bytes never occur in XML text)
        scan(s, i + level, end - level, depth: depth + 1, lineMode: false)
        out.append(10)
        out.append(10)
        return eol
    }

    // MARK: Templates

    private mutating func openBrace(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int, depth: Int) -> Int {
        guard i + 1 < to, s[i + 1] == UInt8(ascii: "{") else {
            out.append(s[i])
            return i + 1
        }
        guard let end = matchBraces(s, i, to) else {
            damage.unbalancedBraces += 1
            out.append(s[i])
            out.append(s[i + 1])
            return i + 2
        }
        if !options.keepTemplates.isEmpty && depth < Self.maxDepth { keptTemplate(s, i, end, depth: depth) }
        return end
    }

    /// The index just past the braces closing the run of `{` at `i`, skipping comments, or nil.
    /// Runs count whole (`{{{1}}}` is one parameter, `{{a|{{b}}}}` closes with a run of four);
    /// single braces are text.
    private mutating func matchBraces(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int) -> Int? {
        if failedSearches >= Self.maxFailedSearches { return nil }
        var level = 0
        var j = i
        while j < to {
            let c = s[j]
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "}") {
                var e = j + 1
                while e < to && s[e] == c { e += 1 }
                let run = e - j
                if run >= 2 {
                    if c == UInt8(ascii: "{") {
                        level += run
                    } else if run >= level {
                        return j + level
                    } else {
                        level -= run
                    }
                }
                j = e
            } else if c == UInt8(ascii: "<"), let e = commentEnd(s, j, to) {
                j = e
            } else {
                j += 1
            }
        }
        failedSearches += 1
        return nil
    }

    /// Emits the kept parameter of a template named in `options.keepTemplates`.
    private mutating func keptTemplate(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, depth: Int) {
        let inner = i + 2
        let innerEnd = end - 2
        // Split the inside at top-level pipes: name, then parameters.
        var parts: [(Int, Int)] = []
        var start = inner
        var level = 0
        var j = inner
        while j < innerEnd {
            let c = s[j]
            if (c == UInt8(ascii: "{") || c == UInt8(ascii: "[")) && j + 1 < innerEnd && s[j + 1] == c {
                level += 1
                j += 2
                continue
            }
            if (c == UInt8(ascii: "}") || c == UInt8(ascii: "]")) && j + 1 < innerEnd && s[j + 1] == c {
                level -= 1
                j += 2
                continue
            }
            if c == UInt8(ascii: "|") && level == 0 {
                parts.append((start, j))
                start = j + 1
            }
            j += 1
        }
        parts.append((start, innerEnd))
        let name = Self.normalizeTemplateName(
            String(decoding: UnsafeBufferPointer(rebasing: s[parts[0].0..<parts[0].1]), as: UTF8.self))
        guard let which = options.keepTemplates[name] else { return }
        var unnamed: [(Int, Int)] = []
        for p in parts.dropFirst() {
            var isNamed = false
            var k = p.0
            var lv = 0
            while k < p.1 {
                let c = s[k]
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { lv += 1 }
                if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") { lv -= 1 }
                if c == UInt8(ascii: "=") && lv == 0 {
                    isNamed = true
                    break
                }
                k += 1
            }
            if !isNamed { unnamed.append(p) }
        }
        guard !unnamed.isEmpty else { return }
        let pick = which == 0 ? unnamed.count - 1 : which - 1
        guard pick < unnamed.count else { return }
        scan(s, unnamed[pick].0, unnamed[pick].1, depth: depth + 1, lineMode: false)
    }

    // MARK: Links

    private mutating func openBracket(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int, depth: Int) -> Int {
        if i + 1 < to && s[i + 1] == UInt8(ascii: "[") {
            return wikilink(s, i, to, depth: depth)
        }
        if let e = externalLink(s, i, to, depth: depth) { return e }
        out.append(s[i])
        return i + 1
    }

    /// The index just past the `]]` closing the `[[` at `i`, or nil. Single brackets inside
    /// (external links in captions) are paired so that `]]]` closes both.
    private mutating func matchBrackets(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int) -> Int? {
        if failedSearches >= Self.maxFailedSearches { return nil }
        var level = 0
        var single = 0
        var j = i
        while j < to {
            let c = s[j]
            if c == UInt8(ascii: "[") {
                if j + 1 < to && s[j + 1] == UInt8(ascii: "[") {
                    level += 1
                    j += 2
                } else {
                    single += 1
                    j += 1
                }
            } else if c == UInt8(ascii: "]") {
                if single > 0 {
                    single -= 1
                    j += 1
                } else if j + 1 < to && s[j + 1] == UInt8(ascii: "]") {
                    level -= 1
                    j += 2
                    if level == 0 { return j }
                } else {
                    j += 1
                }
            } else if c == UInt8(ascii: "<"), let e = commentEnd(s, j, to) {
                j = e
            } else if c == 10 && level == 1 && single == 0 && !sawPipe(s, i, j) {
                break  // a link target never spans lines
            } else {
                j += 1
            }
        }
        failedSearches += 1
        return nil
    }

    /// Whether `s[from..<to]` holds a `|` (only called on the rare newline inside a link).
    private func sawPipe(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
        for k in from..<to where s[k] == UInt8(ascii: "|") { return true }
        return false
    }

    /// `[[target|label]]` → label, `[[target]]` → target; files, categories and interlanguage
    /// links vanish (category names are collected).
    private mutating func wikilink(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int, depth: Int) -> Int {
        guard let end = matchBrackets(s, i, to) else {
            damage.unbalancedBrackets += 1
            out.append(s[i])
            out.append(s[i + 1])
            return i + 2
        }
        let inner = i + 2
        let innerEnd = end - 2
        var pipe = -1
        var k = inner
        while k < innerEnd {
            let c = s[k]
            if c == UInt8(ascii: "|") {
                pipe = k
                break
            }
            if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") { break }  // no pipe in a plain target
            k += 1
        }
        let targetEnd = pipe >= 0 ? pipe : innerEnd
        var tStart = inner
        var tEnd = targetEnd
        while tStart < tEnd && (s[tStart] == 32 || s[tStart] == 9) { tStart += 1 }
        while tEnd > tStart && (s[tEnd - 1] == 32 || s[tEnd - 1] == 9) { tEnd -= 1 }
        var colonLink = false
        if tStart < tEnd && s[tStart] == UInt8(ascii: ":") {
            colonLink = true
            tStart += 1
            while tStart < tEnd && s[tStart] == 32 { tStart += 1 }
        }
        var nsEnd = -1  // index of the namespace colon
        if !colonLink {
            var c = tStart
            while c < tEnd && c - tStart < 48 && s[c] != UInt8(ascii: ":") { c += 1 }
            if c < tEnd && s[c] == UInt8(ascii: ":") {
                var pEnd = c
                while pEnd > tStart && s[pEnd - 1] == 32 { pEnd -= 1 }
                if let kind = WikiNames.linkNamespaces.lookup(s, tStart, pEnd) {
                    switch kind {
                    case .file:
                        if options.proseWords > 0 && depth < Self.maxDepth { fileCaption(s, c + 1, innerEnd, depth: depth) }
                        return end
                    case .interlanguage:
                        return end
                    case .category:
                        var nStart = c + 1
                        while nStart < tEnd && s[nStart] == 32 { nStart += 1 }
                        if nStart < tEnd { addCategory(s, nStart, tEnd) }
                        return end
                    }
                }
                nsEnd = c
            }
        }
        if depth >= Self.maxDepth { return end }
        if pipe >= 0 {
            var lStart = pipe + 1
            while lStart < innerEnd && s[lStart] == 32 { lStart += 1 }
            if lStart < innerEnd {
                scan(s, pipe + 1, innerEnd, depth: depth + 1, lineMode: false)
                return end
            }
            // The pipe trick: `[[Paris, Texas|]]` shows "Paris"; `[[Help:Contents|]]` "Contents".
            var pStart = nsEnd >= 0 ? nsEnd + 1 : tStart
            while pStart < tEnd && s[pStart] == 32 { pStart += 1 }
            var pEnd = tEnd
            for q in pStart..<tEnd
            where s[q] == UInt8(ascii: "(") || s[q] == UInt8(ascii: ",") {
                pEnd = q
                break
            }
            while pEnd > pStart && s[pEnd - 1] == 32 { pEnd -= 1 }
            scan(s, pStart, pEnd, depth: depth + 1, lineMode: false)
            return end
        }
        scan(s, tStart, tEnd, depth: depth + 1, lineMode: false)
        return end
    }

    /// The caption of a file link (its last parameter) on a line of its own, when it reads as
    /// prose; image options (`thumb`, `200px`, `alt=…`) never do.
    private mutating func fileCaption(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, depth: Int) {
        var level = 0
        var lastPipe = -1
        var k = from
        while k < to {
            let c = s[k]
            if (c == UInt8(ascii: "[") || c == UInt8(ascii: "{")) && k + 1 < to && s[k + 1] == c {
                level += 1
                k += 2
                continue
            }
            if (c == UInt8(ascii: "]") || c == UInt8(ascii: "}")) && k + 1 < to && s[k + 1] == c {
                level -= 1
                k += 2
                continue
            }
            if c == UInt8(ascii: "|") && level == 0 { lastPipe = k }
            k += 1
        }
        guard lastPipe >= 0 else { return }
        var q = lastPipe + 1
        while q < to && s[q] != 32 && s[q] != UInt8(ascii: "=") && s[q] != UInt8(ascii: "[") { q += 1 }
        if q < to && s[q] == UInt8(ascii: "=") { return }  // a named option: alt=, link=, upright=
        let mark = (out.count, damage, failedSearches)
        out.append(10)
        scan(s, lastPipe + 1, to, depth: depth + 1, lineMode: false)
        keepIfProse(from: mark)
    }

    private mutating func addCategory(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) {
        var e = to
        while e > from && (s[e - 1] == 32 || s[e - 1] == 9) { e -= 1 }
        guard e > from else { return }
        var name = String(decoding: UnsafeBufferPointer(rebasing: s[from..<e]), as: UTF8.self)
        if name.utf8.contains(UInt8(ascii: "_")) { name = name.replacingOccurrences(of: "_", with: " ") }
        if !categories.contains(name) { categories.append(name) }
    }

    /// `[http://example.org text]` → text; `[http://example.org]` → nothing. Nil when the bracket
    /// does not open an external link.
    private mutating func externalLink(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int, depth: Int) -> Int? {
        guard let schemeLength = Self.urlSchemeLength(s, i + 1, to) else { return nil }
        var close = i + 1 + schemeLength
        while close < to && s[close] != UInt8(ascii: "]") && s[close] != 10 { close += 1 }
        guard close < to && s[close] == UInt8(ascii: "]") else { return nil }
        var space = i + 1 + schemeLength
        while space < close && s[space] != 32 && s[space] != 9 { space += 1 }
        if space < close && depth < Self.maxDepth {
            scan(s, space + 1, close, depth: depth + 1, lineMode: false)
        }
        return close + 1
    }

    private static let schemes: [[UInt8]] = [
        "http://", "https://", "ftp://", "ftps://", "sftp://", "//", "mailto:", "news:", "irc://", "ircs://",
        "gopher://", "git://", "svn://", "telnet://", "nntp://", "worldwind://", "urn:", "tel:", "geo:", "magnet:",
    ].map { Array($0.utf8) }

    static func urlSchemeLength(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int) -> Int? {
        guard i < to else { return nil }
        let first = s[i] | 0x20
        guard first >= 97 && first <= 122 || s[i] == UInt8(ascii: "/") else { return nil }
        outer: for scheme in schemes where i + scheme.count < to {
            for k in 0..<scheme.count where ByteKeyTable<Int>.fold(s[i + k]) != scheme[k] { continue outer }
            return scheme.count
        }
        return nil
    }

    // MARK: Tags and comments

    /// The index just past the comment starting at `s[i]` (`<!--`), `to` when it never closes
    /// (MediaWiki hides the rest of the page), or nil when `s[i]` does not start a comment.
    private func commentEnd(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int) -> Int? {
        guard i + 3 < to, s[i + 1] == UInt8(ascii: "!"), s[i + 2] == UInt8(ascii: "-"), s[i + 3] == UInt8(ascii: "-")
        else { return nil }
        var j = i + 4
        while j + 2 < to {
            if s[j] == UInt8(ascii: "-") && s[j + 1] == UInt8(ascii: "-") && s[j + 2] == UInt8(ascii: ">") {
                return j + 3
            }
            j += 1
        }
        return to
    }

    private mutating func openAngle(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int, depth: Int) -> Int {
        if let e = commentEnd(s, i, to) {
            if e == to && !(to >= 3 && s[to - 1] == UInt8(ascii: ">") && s[to - 2] == UInt8(ascii: "-")) {
                damage.unterminatedComments += 1
            }
            return e
        }
        var j = i + 1
        let closing = j < to && s[j] == UInt8(ascii: "/")
        if closing { j += 1 }
        let nameStart = j
        while j < to && Self.isTagNameByte(s[j]) { j += 1 }
        guard j > nameStart, let kind = WikiNames.tags.lookup(s, nameStart, j),
            j == to || s[j] == 32 || s[j] == UInt8(ascii: ">") || s[j] == UInt8(ascii: "/") || s[j] == 10 || s[j] == 9
        else {
            out.append(s[i])
            return i + 1
        }
        // Find the end of the tag, skipping quoted attribute values.
        var quote: UInt8 = 0
        var k = j
        while k < to {
            let c = s[k]
            if quote != 0 {
                if c == quote { quote = 0 }
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                quote = c
            } else if c == UInt8(ascii: ">") {
                break
            } else if c == UInt8(ascii: "<") {
                break  // a new tag before this one closed: not a tag
            }
            k += 1
        }
        guard k < to && s[k] == UInt8(ascii: ">") else {
            out.append(s[i])
            return i + 1
        }
        let tagEnd = k + 1
        let selfClosing = s[k - 1] == UInt8(ascii: "/")
        if closing {
            if kind == .block { out.append(10) }
            return tagEnd
        }
        switch kind {
        case .inline:
            return tagEnd
        case .block:
            out.append(10)
            return tagEnd
        case .removeWithContent, .literal:
            if selfClosing { return tagEnd }
            guard let (contentEnd, after) = closingTag(s, tagEnd, to, name: nameStart, nameEnd: j) else {
                damage.unclosedTags += 1
                return tagEnd  // drop only the opening tag; what follows stays text
            }
            if kind == .literal {
                literal(s, tagEnd, contentEnd, decodeEntities: s[nameStart] | 0x20 != UInt8(ascii: "s"))
            }
            return after
        }
    }

    @inline(__always)
    private static func isTagNameByte(_ c: UInt8) -> Bool {
        (c | 0x20 >= 97 && c | 0x20 <= 122) || (c >= 48 && c <= 57)
    }

    /// Finds `</name>` (any case, optional spaces) after `from`; returns where the content ends
    /// and where the closing tag ends.
    private func closingTag(
        _ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, name: Int, nameEnd: Int
    ) -> (Int, Int)? {
        let n = nameEnd - name
        var j = from
        while j + 2 + n < to {
            if s[j] == UInt8(ascii: "<") && s[j + 1] == UInt8(ascii: "/") {
                var same = true
                for q in 0..<n where s[j + 2 + q] | 0x20 != s[name + q] | 0x20 {
                    same = false
                    break
                }
                if same {
                    var e = j + 2 + n
                    while e < to && (s[e] == 32 || s[e] == 9) { e += 1 }
                    if e < to && s[e] == UInt8(ascii: ">") { return (j, e + 1) }
                }
            }
            j += 1
        }
        return nil
    }

    private mutating func literal(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, decodeEntities: Bool) {
        var i = from
        while i < to {
            if decodeEntities && s[i] == UInt8(ascii: "&"), let (scalar, next) = HTMLEntities.decode(s, at: i, end: to) {
                HTMLEntities.appendUTF8(scalar, to: &out)
                i = next
            } else {
                out.append(s[i])
                i += 1
            }
        }
    }

    // MARK: Quotes and magic words

    /// `''italic''`, `'''bold'''`, `'''''both'''''` → the text; a run of four shows one apostrophe.
    private mutating func apostrophes(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int) -> Int {
        var j = i
        while j < to && s[j] == UInt8(ascii: "'") { j += 1 }
        let n = j - i
        let shown = n == 1 ? 1 : n == 4 ? 1 : n > 5 ? n - 5 : 0
        for _ in 0..<shown { out.append(UInt8(ascii: "'")) }
        return j
    }

    /// `__NOTOC__`, `__TOC__` and other behaviour switches vanish (upper-case or non-ASCII names).
    private mutating func underscore(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int) -> Int {
        if i + 1 < to && s[i + 1] == UInt8(ascii: "_") {
            var j = i + 2
            var letters = 0
            while j < to && j - i < 64 {
                let c = s[j]
                if (c >= 65 && c <= 90) || c >= 0x80 {
                    letters += 1
                    j += 1
                } else if c == UInt8(ascii: "_") {
                    if j + 1 < to && s[j + 1] == UInt8(ascii: "_") && letters > 0 { return j + 2 }
                    j += 1
                } else {
                    break
                }
            }
        }
        out.append(s[i])
        return i + 1
    }

    // MARK: Tables

    /// A table `{| … |}` starting at `i`: removed, or its cell text when `keepTables`.
    private mutating func table(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int, depth: Int) -> Int {
        let end: Int
        if let e = tableEnd(s, i, to) {
            end = e
        } else {
            damage.unterminatedTables += 1
            end = to
        }
        if depth < Self.maxDepth {
            if options.keepTables {
                tableCells(s, i, end, depth: depth, proseOnly: false)
            } else if options.proseWords > 0 {
                tableCells(s, i, end, depth: depth, proseOnly: true)
            }
        }
        return end
    }

    /// The index just past the `|}` line closing the table opened at `i` (nested tables counted).
    private func tableEnd(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int) -> Int? {
        var level = 0
        var j = i
        while j < to {
            // j is at a line start (or at the opening `{|`).
            var k = j
            while k < to && (s[k] == 32 || s[k] == 9) { k += 1 }
            if k + 1 < to && s[k] == UInt8(ascii: "{") && s[k + 1] == UInt8(ascii: "|") {
                level += 1
            } else if k + 1 < to && s[k] == UInt8(ascii: "|") && s[k + 1] == UInt8(ascii: "}") {
                level -= 1
                if level == 0 { return k + 2 }
            }
            while k < to && s[k] != 10 {
                if s[k] == UInt8(ascii: "<"), let e = commentEnd(s, k, to) { k = e } else { k += 1 }
            }
            j = k + 1
        }
        return nil
    }

    /// Emits the caption and cells of a table, one row per line; with `proseOnly`, the caption and
    /// only the cells that read as prose (`isProse`), each on its own line, so that a layout table
    /// wrapping a page's text, or a table of sentences, keeps its text while a table of data goes.
    private mutating func tableCells(
        _ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, depth: Int, proseOnly: Bool
    ) {
        out.append(10)
        var cellsInRow = 0
        var j = i
        // Skip the `{|` line (table attributes).
        while j < end && s[j] != 10 { j += 1 }
        j += 1
        while j < end {
            var lineEnd = j
            while lineEnd < end && s[lineEnd] != 10 { lineEnd += 1 }
            var k = j
            while k < lineEnd && (s[k] == 32 || s[k] == 9) { k += 1 }
            if k + 1 < end && s[k] == UInt8(ascii: "{") && s[k + 1] == UInt8(ascii: "|") {
                let nested = tableEnd(s, k, end) ?? end
                tableCells(s, k, nested, depth: depth + 1, proseOnly: proseOnly)
                j = nested
                while j < end && s[j] != 10 { j += 1 }
                j += 1
                continue
            }
            if k + 1 < lineEnd && s[k] == UInt8(ascii: "|") && s[k + 1] == UInt8(ascii: "}") { break }
            if proseOnly, let spill = templateSpill(s, k, lineEnd, end) {
                // A template opened on this line runs over the next lines (`|name = value` lines,
                // not cells): the whole span goes, as the template would.
                j = spill
                while j < end && s[j] != 10 { j += 1 }
                j += 1
                continue
            }
            if k + 1 < lineEnd && s[k] == UInt8(ascii: "|") && s[k + 1] == UInt8(ascii: "-") {
                if cellsInRow > 0 { out.append(10) }
                cellsInRow = 0
            } else if k + 1 < lineEnd && s[k] == UInt8(ascii: "|") && s[k + 1] == UInt8(ascii: "+") {
                if proseOnly { out.append(10) }
                cell(s, k + 2, lineEnd, depth: depth)
                out.append(10)
            } else if proseOnly && k < lineEnd && (s[k] == UInt8(ascii: "|") || s[k] == UInt8(ascii: "!")) {
                proseCellsOfLine(s, k, lineEnd, depth: depth)
            } else if proseOnly && k < lineEnd {
                // Lines under a cell continue it, with their own headings and lists: one block up
                // to the next cell, row or table line.
                var blockEnd = lineEnd
                while blockEnd < end {
                    var q = blockEnd + 1
                    while q < end && (s[q] == 32 || s[q] == 9) { q += 1 }
                    if q < end && (s[q] == UInt8(ascii: "|") || s[q] == UInt8(ascii: "!")) { break }
                    if q + 1 < end && s[q] == UInt8(ascii: "{") && s[q + 1] == UInt8(ascii: "|") { break }
                    while q < end && s[q] != 10 { q += 1 }
                    blockEnd = q
                }
                let mark = (out.count, damage, failedSearches)
                out.append(10)
                scan(s, k, blockEnd, depth: depth + 1, lineMode: true)
                keepIfProse(from: mark)
                j = blockEnd + 1
                continue
            } else if k < lineEnd && (s[k] == UInt8(ascii: "|") || s[k] == UInt8(ascii: "!")) {
                let header = s[k] == UInt8(ascii: "!")
                var start = k + 1
                while true {
                    let q = cellEnd(s, start, lineEnd, header: header)
                    if cellsInRow > 0 { out.append(contentsOf: [32, UInt8(ascii: "|"), 32]) }
                    cell(s, start, q, depth: depth)
                    cellsInRow += 1
                    if q >= lineEnd { break }
                    start = q + 2
                }
            } else if k < lineEnd {
                out.append(32)  // a cell continued on the next line
                scan(s, k, lineEnd, depth: depth + 1, lineMode: false)
            }
            j = lineEnd + 1
        }
        out.append(10)
    }

    /// Where a `{{` opened in `s[from..<lineEnd]` closes, when that is past the line; nil when
    /// every template on the line closes on it (or never closes).
    private mutating func templateSpill(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ lineEnd: Int, _ end: Int) -> Int? {
        var k = from
        while k + 1 < lineEnd {
            if s[k] == UInt8(ascii: "{") && s[k + 1] == UInt8(ascii: "{") {
                guard let close = matchBraces(s, k, end) else { return nil }
                if close > lineEnd { return close }
                k = close
            } else {
                k += 1
            }
        }
        return nil
    }

    /// The cells of one `|`/`!` line (`||`/`!!` separate cells), each kept on its own line when
    /// it reads as prose.
    private mutating func proseCellsOfLine(_ s: UnsafeBufferPointer<UInt8>, _ k: Int, _ lineEnd: Int, depth: Int) {
        let header = s[k] == UInt8(ascii: "!")
        var start = k + 1
        while true {
            let q = cellEnd(s, start, lineEnd, header: header)
            if mayBeProse(s, start, q) {
                let mark = (out.count, damage, failedSearches)
                out.append(10)
                cell(s, start, q, depth: depth)
                keepIfProse(from: mark)
            }
            if q >= lineEnd { break }
            start = q + 2
        }
    }

    /// Where the table cell starting at `from` on a `|`/`!` line ends: at the next `||` (or `!!`
    /// on a header line) outside `[[…]]` and `{{…}}`, or at `lineEnd`.
    private func cellEnd(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ lineEnd: Int, header: Bool) -> Int {
        var q = from
        var level = 0
        while q < lineEnd {
            let c = s[q]
            if (c == UInt8(ascii: "[") || c == UInt8(ascii: "{")) && q + 1 < lineEnd && s[q + 1] == c {
                level += 1
                q += 2
                continue
            }
            if (c == UInt8(ascii: "]") || c == UInt8(ascii: "}")) && q + 1 < lineEnd && s[q + 1] == c {
                level -= 1
                q += 2
                continue
            }
            if level == 0 && q + 1 < lineEnd && s[q + 1] == c
                && (c == UInt8(ascii: "|") || (header && c == UInt8(ascii: "!")))
            {
                return q
            }
            q += 1
        }
        return lineEnd
    }

    /// False when the raw cell `s[from..<to]` cannot convert to `proseWords` words: fewer runs
    /// of non-blank bytes, plus tags and entities (which may split words), and no CJK. Skips
    /// converting the many short data cells.
    @inline(__always)
    private func mayBeProse(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
        var runs = 0
        var inRun = false
        for k in from..<to {
            let c = s[k]
            if c == 32 || c == 9 {
                inRun = false
            } else {
                if !inRun { runs += 1 }
                inRun = true
                if c == UInt8(ascii: "<") || c == UInt8(ascii: "&") || c >= 0xE3 { return true }
            }
            if runs >= options.proseWords { return true }
        }
        return false
    }

    /// Keeps `out[mark.0...]` (ending it with a line break) when it reads as prose and no markup
    /// leaked into it (a template or link cut by a cell boundary); else removes it and forgets the
    /// damage it counted.
    private mutating func keepIfProse(from mark: (Int, Damage, Int)) {
        if isProse(from: mark.0) && !hasLeakedMarkup(from: mark.0) {
            out.append(10)
        } else {
            out.removeSubrange(mark.0...)
            damage = mark.1
            failedSearches = mark.2
        }
    }

    /// Whether `out[mark...]` holds `{{`, `}}`, `[[`, `]]` or `<ref`.
    private func hasLeakedMarkup(from mark: Int) -> Bool {
        var k = mark
        let n = out.count
        while k + 1 < n {
            let c = out[k]
            let d = out[k + 1]
            if (c == UInt8(ascii: "{") || c == UInt8(ascii: "}") || c == UInt8(ascii: "[") || c == UInt8(ascii: "]"))
                && d == c
            {
                return true
            }
            if c == UInt8(ascii: "<") && (d | 0x20) == UInt8(ascii: "r") { return true }
            k += 1
        }
        return false
    }

    /// Whether `out[mark...]` holds at least `proseWords` words: runs of bytes between spaces and
    /// line breaks that hold a letter (ASCII or not); a CJK or kana character counts half a word,
    /// as those scripts put no spaces between words.
    private func isProse(from mark: Int) -> Bool {
        let need = 2 * options.proseWords
        var halves = 0
        var inWord = false
        var hasLetter = false
        var k = mark
        let n = out.count
        while k < n {
            let c = out[k]
            if c == 32 || c == 10 || c == 9 {
                if inWord && hasLetter { halves += 2 }
                inWord = false
                hasLetter = false
                k += 1
                continue
            }
            inWord = true
            if c >= 0xE3 && c <= 0xE9 {
                halves += 1  // U+3000–U+9FFF: kana and CJK ideographs (3-byte UTF-8)
            } else if c >= 0xC0 || (c | 0x20 >= 97 && c | 0x20 <= 122) {
                hasLetter = true
            }
            if halves >= need { return true }
            k += 1
        }
        if inWord && hasLetter { halves += 2 }
        return halves >= need
    }

    /// One cell: `attributes | content` → content.
    private mutating func cell(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, depth: Int) {
        var start = from
        var level = 0
        var q = from
        while q < to {
            let c = s[q]
            if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") { level += 1 }
            if c == UInt8(ascii: "]") || c == UInt8(ascii: "}") { level -= 1 }
            if c == UInt8(ascii: "|") && level == 0 {
                start = q + 1
                break
            }
            q += 1
        }
        scan(s, start, to, depth: depth + 1, lineMode: false)
    }

    // MARK: - Whitespace

    /// Trims lines, collapses runs of spaces, removes empty parentheses left by removed markup
    /// (`Paris ( ) is`), and separates paragraphs by exactly one blank line.
    private mutating func normalize() {
        // Each line adds at most two newlines to its bytes, so twice the input is always room enough.
        let room = 2 * out.count + 2
        if final.count < room { final = [UInt8](repeating: 0, count: max(room, 1 << 16)) }
        finalCount = out.withUnsafeBufferPointer { o in
            final.withUnsafeMutableBufferPointer { f in Self.normalize(o, into: f.baseAddress!) }
        }
    }

    /// Writes the lines of `o` into `f` with runs of spaces collapsed, empty `()` and blank lines
    /// removed, and headings without content dropped; returns the bytes written.
    private static func normalize(_ o: UnsafeBufferPointer<UInt8>, into f: UnsafeMutablePointer<UInt8>) -> Int {
        var count = 0
        var pendingBlank = false
        // Headings with nothing under them yet, levels increasing: a heading followed by one of
        // the same or a higher level, or by the end, heads an empty section and is removed
        // (WikiExtractor does the same: "References", "External links" once their lists are gone).
        var openHeadings: [(before: Int, level: Int)] = []
        var lineStart = 0
        let n = o.count
        while lineStart < n {
            var lineEnd = lineStart
            while lineEnd < n && o[lineEnd] != 10 { lineEnd += 1 }
            let before = count
            if before > 0 {
                f[count] = 10
                count += 1
                if pendingBlank {
                    f[count] = 10
                    count += 1
                }
            }
            let contentStart = count
            var lastWasSpace = true
            var k = lineStart
            var headingLevel = 0
            if k < lineEnd && o[k] >= 1 && o[k] <= 6 {
                headingLevel = Int(o[k])
                k += 1
            }
            while k < lineEnd {
                let c = o[k]
                if c == 32 || c == 9 || c == 13 {
                    if !lastWasSpace {
                        f[count] = 32
                        count += 1
                    }
                    lastWasSpace = true
                    k += 1
                    continue
                }
                if c == UInt8(ascii: "(") {
                    var e = k + 1
                    while e < lineEnd
                        && (o[e] == 32 || o[e] == UInt8(ascii: ",") || o[e] == UInt8(ascii: ";") || o[e] == 9)
                    {
                        e += 1
                    }
                    if e < lineEnd && o[e] == UInt8(ascii: ")") {
                        k = e + 1
                        continue
                    }
                }
                if (c == UInt8(ascii: ",") || c == UInt8(ascii: ".")) && lastWasSpace && count > contentStart
                    && f[count - 1] == 32
                {
                    count -= 1  // "word ," left by a removed reference
                }
                f[count] = c
                count += 1
                lastWasSpace = false
                k += 1
            }
            while count > contentStart && f[count - 1] == 32 { count -= 1 }
            if count == contentStart {
                count = before
                pendingBlank = true
            } else if headingLevel > 0 {
                var start = before
                var cut: Int?
                while let last = openHeadings.last, last.level >= headingLevel {
                    cut = last.before
                    openHeadings.removeLast()
                }
                if let cut {
                    // Move this heading line back over the empty sections it closes.
                    var at = cut
                    if cut > 0 {
                        f[at] = 10
                        f[at + 1] = 10
                        at += 2
                    }
                    let length = count - contentStart
                    UnsafeMutableRawPointer(f + at).copyMemory(from: f + contentStart, byteCount: length)  // memmove
                    count = at + length
                    start = cut
                }
                openHeadings.append((start, headingLevel))
                pendingBlank = false
            } else {
                openHeadings.removeAll(keepingCapacity: true)
                pendingBlank = false
            }
            lineStart = lineEnd + 1
        }
        if let first = openHeadings.first { count = first.before }
        return count
    }
}
