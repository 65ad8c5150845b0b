// Wikitext → plain text in one byte-level pass, as WikiExtractor and mwparserfromhell's
// `strip_code()` do: templates, tables, references, comments, files and categories go; link labels,
// headings, list items and paragraphs stay. It does not expand templates or render HTML, and it
// never uses regular expressions. Unbalanced markup is kept as text and counted, never fatal.
// This file holds the state, the scanner, line starts, quotes and whitespace; templates, links,
// tags and tables are in WikitextConverter+Templates/Links/Tags/Tables.swift.
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
    public internal(set) var categories: [String] = []
    public internal(set) var damage = Damage()

    var out: [UInt8] = []
    /// The normalized text: the first `finalCount` bytes (the array only grows, so it is reused).
    private var final: [UInt8] = []
    private var finalCount = 0
    /// Forward searches for a closing `}}`/`]]` that failed on this page; past a limit, openers are
    /// taken as text without searching, so a page full of unbalanced braces stays linear.
    var failedSearches = 0
    static let maxFailedSearches = 64
    static let maxDepth = 40

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

    /// Calls `body(k)` for each byte `s[k]` of `from..<to` that lies outside `[[…]]` and `{{…}}`
    /// (a doubled bracket opens or closes a level and is not passed), until `body` returns false.
    /// Splits template parameters, file-link options and table cells at their top-level separators.
    @inline(__always)
    static func forEachTopLevelByte(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, _ body: (Int) -> Bool) {
        var level = 0
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
            if level == 0 && !body(k) { return }
            k += 1
        }
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
    mutating func scan(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, depth: Int, lineMode: Bool) {
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
        // The per-byte steps below wrap (`&+=`): k and lineEnd stay below n, count below f's room
        // (2n + 2), so none can overflow, and the checks cost 10 % of this pass under -O.
        while lineStart < n {
            var lineEnd = lineStart
            while lineEnd < n && o[lineEnd] != 10 { lineEnd &+= 1 }
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
                        count &+= 1
                    }
                    lastWasSpace = true
                    k &+= 1
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
                count &+= 1
                lastWasSpace = false
                k &+= 1
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
