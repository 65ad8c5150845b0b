// Links in wikitext (WikitextConverter.swift): `[[target|label]]` keeps its label, files keep their
// caption when asked, categories are collected, `[url label]` keeps its label. No link is resolved.
import SluiceCore

extension WikitextConverter {
    mutating func openBracket(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int, depth: Int) -> Int {
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
                        if options.proseWords > 0 && depth < Self.maxDepth {
                            fileCaption(s, c + 1, innerEnd, depth: depth)
                        }
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
        var lastPipe = -1
        Self.forEachTopLevelByte(s, from, to) { k in
            if s[k] == UInt8(ascii: "|") { lastPipe = k }
            return true
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
}
