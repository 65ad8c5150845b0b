// Tables in wikitext (WikitextConverter.swift): `{| … |}` is removed, or with `keepTables` its cells
// kept where they read as prose; template spills and leaked markup are checked before a cell is kept.
import SluiceCore

extension WikitextConverter {
    /// A table `{| … |}` starting at `i`: removed, or its cell text when `keepTables`.
    mutating func table(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int, depth: Int) -> Int {
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
    private mutating func templateSpill(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ lineEnd: Int, _ end: Int)
        -> Int?
    {
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
        var end = lineEnd
        Self.forEachTopLevelByte(s, from, lineEnd) { q in
            let c = s[q]
            guard q + 1 < lineEnd && s[q + 1] == c && (c == UInt8(ascii: "|") || (header && c == UInt8(ascii: "!")))
            else { return true }
            end = q
            return false
        }
        return end
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
    mutating func keepIfProse(from mark: (Int, Damage, Int)) {
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
}
