// Gopher repetition rules (Rae et al. 2021, arXiv 2112.11446, table A1), as datatrove's
// `GopherRepetitionFilter` computes them. Max allowed:
//   duplicate line fraction 0.30            duplicate paragraph fraction 0.30
//   duplicate line char fraction 0.20       duplicate paragraph char fraction 0.20
//   top 2/3/4-gram char fraction 0.20 / 0.18 / 0.16
//   duplicate 5/6/7/8/9/10-gram char fraction 0.15 / 0.14 / 0.13 / 0.12 / 0.11 / 0.10
// datatrove details kept: paragraphs split on \n{2,} of the stripped text, lines on \n+, character
// fractions over the code points of the whole text, duplicate n-grams counted without overlap
// (skip n words after a hit), top n-gram weight = len(" ".join(ngram)) × count. Lines, paragraphs
// and n-grams are compared by 64-bit hashes (a collision is ~2⁻⁶⁴ per pair).
import SluiceCore

/// Drops documents whose lines, paragraphs or word n-grams repeat too much.
public struct GopherRepetitionFilter: Filter {
    public static let name = "gopher_repetition"
    public static let summary = "Gopher repetition rules: duplicate lines/paragraphs and repeated word n-grams"

    public static let empty = DropReason("gopher_repetition:empty")
    public static let duplicateParagraphs = DropReason("gopher_repetition:dup_para_frac")
    public static let duplicateParagraphChars = DropReason("gopher_repetition:dup_para_char_frac")
    public static let duplicateLines = DropReason("gopher_repetition:dup_line_frac")
    public static let duplicateLineChars = DropReason("gopher_repetition:dup_line_char_frac")
    /// `gopher_repetition:top_2_gram` … `top_4_gram`.
    public static func topNGram(_ n: Int) -> DropReason { DropReason("gopher_repetition:top_\(n)_gram") }
    /// `gopher_repetition:dup_5_gram` … `dup_10_gram`.
    public static func duplicateNGram(_ n: Int) -> DropReason { DropReason("gopher_repetition:dup_\(n)_gram") }

    public var maxDuplicateLineFraction: Double
    public var maxDuplicateParagraphFraction: Double
    public var maxDuplicateLineCharFraction: Double
    public var maxDuplicateParagraphCharFraction: Double
    /// (n, max fraction) for the most frequent n-gram.
    public var topNGrams: [(Int, Double)]
    /// (n, max fraction) for characters in repeated n-grams.
    public var duplicateNGrams: [(Int, Double)]
    /// Chinese, Japanese, Thai… as ICU dictionary words (datatrove: one token per unspaced run).
    public var icuWords = false
    private var scanner: TokenScanner?
    private var table = HashCounter()
    private var tokenHashes: [UInt64] = []
    private var tokenChars: [Int] = []
    private var dropReasons: [Int: DropReason] = [:]

    public init(options: inout StageOptions) throws {
        maxDuplicateLineFraction = try options.double(
            "dup_line_frac", default: 0.3, range: 0...1, "max fraction of lines that repeat an earlier line")
        maxDuplicateParagraphFraction = try options.double(
            "dup_para_frac", default: 0.3, range: 0...1, "max fraction of paragraphs that repeat an earlier one")
        maxDuplicateLineCharFraction = try options.double(
            "dup_line_char_frac", default: 0.2, range: 0...1, "max fraction of characters in repeated lines")
        maxDuplicateParagraphCharFraction = try options.double(
            "dup_para_char_frac", default: 0.2, range: 0...1, "max fraction of characters in repeated paragraphs")
        let top = try options.stringList(
            "top_n_grams", default: ["2:0.2", "3:0.18", "4:0.16"], "n:max — char fraction of the most common n-gram")
        let dup = try options.stringList(
            "dup_n_grams", default: ["5:0.15", "6:0.14", "7:0.13", "8:0.12", "9:0.11", "10:0.1"],
            "n:max — char fraction in repeated n-grams")
        func parse(_ key: String, _ list: [String]) throws -> [(Int, Double)] {
            try list.map { item in
                let parts = item.split(separator: ":")
                guard parts.count == 2, let n = Int(parts[0]), n >= 1, n <= 100, let f = Double(parts[1]), f >= 0,
                    f <= 1
                else { throw options.error(key, "'\(item)' is not n:fraction such as 2:0.2") }
                return (n, f)
            }
        }
        topNGrams = try parse("top_n_grams", top)
        duplicateNGrams = try parse("dup_n_grams", dup)
        for (n, _) in topNGrams { dropReasons[n] = Self.topNGram(n) }
        for (n, _) in duplicateNGrams { dropReasons[-n] = Self.duplicateNGram(n) }
        icuWords = try options.bool(
            "icu_words", default: false,
            "split unspaced scripts (Chinese, Japanese, Thai…) into ICU dictionary words, not one token per run as datatrove"
        )
    }

    /// Gives this task its own scratch state (a copied stage must not share the scanner across threads).
    public mutating func prepare(context: TaskContext) throws { scanner = TokenScanner(icuWords: icuWords) }

    public mutating func verdict(for document: inout Document, context: TaskContext) -> Verdict {
        if scanner == nil { scanner = TokenScanner(icuWords: icuWords) }
        return withUTF8Bytes(document.text) { b in evaluate(b) }
    }

    /// Counts repeated elements among `ranges`: (repeated elements, code points in them).
    private mutating func duplicates(_ b: UnsafeBufferPointer<UInt8>, _ ranges: [Range<Int>]) -> (Int, Int) {
        table.reset(expecting: ranges.count)
        var elements = 0
        var chars = 0
        for (k, r) in ranges.enumerated() where table.add(xxHash64(b, r), at: k).count > 1 {
            elements += 1
            chars += codePointCount(b, r)
        }
        return (elements, chars)
    }

    private mutating func evaluate(_ b: UnsafeBufferPointer<UInt8>) -> Verdict {
        guard !b.isEmpty else { return .drop(Self.empty) }
        let textChars = Double(codePointCount(b, 0..<b.count))
        // Paragraphs: re.split(r"\n{2,}", text.strip()).
        var paragraphs: [Range<Int>] = []
        let stripped = strippedRange(b, 0..<b.count)
        var start = stripped.lowerBound
        var i = start
        while i < stripped.upperBound {
            if b[i] == 0x0A && i + 1 < stripped.upperBound && b[i + 1] == 0x0A {
                paragraphs.append(start..<i)
                while i < stripped.upperBound && b[i] == 0x0A { i += 1 }
                start = i
            } else {
                i += 1
            }
        }
        paragraphs.append(start..<stripped.upperBound)
        let (dupParagraphs, dupParagraphChars) = duplicates(b, paragraphs)
        if Double(dupParagraphs) / Double(paragraphs.count) > maxDuplicateParagraphFraction {
            return .drop(Self.duplicateParagraphs)
        }
        if Double(dupParagraphChars) / textChars > maxDuplicateParagraphCharFraction {
            return .drop(Self.duplicateParagraphChars)
        }
        var lines: [Range<Int>] = []
        forEachLine(b, mode: .lineFeedRuns) { lines.append($0) }
        let (dupLines, dupLineChars) = duplicates(b, lines)
        if Double(dupLines) / Double(lines.count) > maxDuplicateLineFraction { return .drop(Self.duplicateLines) }
        if Double(dupLineChars) / textChars > maxDuplicateLineCharFraction { return .drop(Self.duplicateLineChars) }

        scanner!.scan(b)
        let t = scanner!.tokens  // a local value: no exclusivity check per token read (-O)
        let n = t.count
        tokenHashes.removeAll(keepingCapacity: true)
        tokenChars.removeAll(keepingCapacity: true)
        for k in 0..<n {
            tokenHashes.append(t.hash(b, k))
            tokenChars.append(t.charCount(b, k))
        }
        // The n-gram loops read the token arrays through buffer pointers (every index is below n,
        // their count): the checked subscripts cost a bounds check per token of each n-gram, -O.
        let hashes = tokenHashes
        let chars = tokenChars
        return hashes.withUnsafeBufferPointer { h in
            chars.withUnsafeBufferPointer { nGramVerdict(h, $0, textChars: textChars) }
        }
    }

    /// The top and duplicate n-gram rules over the token hashes `h` and code point counts `tokenChars`.
    private mutating func nGramVerdict(
        _ h: UnsafeBufferPointer<UInt64>, _ tokenChars: UnsafeBufferPointer<Int>, textChars: Double
    ) -> Verdict {
        let n = h.count
        for (g, maxFraction) in topNGrams where n >= g {
            table.reset(expecting: n)
            var best = 0
            var bestFirst = Int.max
            var bestStart = 0
            for s in 0...(n - g) {
                let (c, first) = table.add(Self.gramHash(h, s, g), at: s)
                // Counter.most_common(1) keeps the first-inserted n-gram among equal counts.
                if c > best || (c == best && first < bestFirst) { (best, bestFirst, bestStart) = (c, first, s) }
            }
            var gramChars = g - 1
            for k in bestStart..<(bestStart + g) { gramChars += tokenChars[k] }
            if Double(gramChars * best) / textChars > maxFraction { return .drop(dropReasons[g]!) }
        }
        for (g, maxFraction) in duplicateNGrams {
            table.reset(expecting: n)
            var repeated = 0
            var s = 0
            while s < n - g + 1 {
                if table.add(Self.gramHash(h, s, g), at: s).count > 1 {
                    for k in s..<(s + g) { repeated += tokenChars[k] }
                    s += g
                } else {
                    s += 1
                }
            }
            if Double(repeated) / textChars > maxFraction { return .drop(dropReasons[-g]!) }
        }
        return .keep
    }

    /// A hash of the `g` token hashes `h[s..<(s + g)]`.
    @inline(__always)
    private static func gramHash(_ h: UnsafeBufferPointer<UInt64>, _ s: Int, _ g: Int) -> UInt64 {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(g)
        for k in s..<(s + g) { x = mix64(x ^ h[k]) }
        return x
    }
}

// MARK: - What fired (kept drops only; see DropAudit)

extension GopherRepetitionFilter: DropExplaining {
    /// The repeated paragraph, line or word n-gram behind `reason` (`match`, verbatim from the
    /// text) and how often it occurs (`count`). Recomputed from the text, off the hot path.
    public func explainDrop(_ document: Document, reason: DropReason) -> JSONValue? {
        let r = reason.rawValue
        return withUTF8Bytes(document.text) { b -> JSONValue? in
            func text(_ range: Range<Int>) -> JSONValue {
                .string(String(String(decoding: UnsafeBufferPointer(rebasing: b[range]), as: UTF8.self).prefix(400)))
            }
            /// The first of the most repeated elements and its count; the first few repeated ones.
            func repeated(_ hashes: [UInt64], _ ranges: [Range<Int>]) -> JSONValue? {
                var counts: [UInt64: (count: Int, first: Int)] = [:]
                for (k, h) in hashes.enumerated() { counts[h, default: (0, k)].count += 1 }
                let many = counts.values.filter { $0.count > 1 }.sorted { ($1.count, $0.first) < ($0.count, $1.first) }
                guard let best = many.first else { return nil }
                var object = JSONObject()
                object["match"] = .array(many.prefix(5).map { text(ranges[$0.first]) })
                object["count"] = .int(Int64(best.count))
                return .object(object)
            }
            if r == Self.duplicateParagraphs.rawValue || r == Self.duplicateParagraphChars.rawValue {
                var paragraphs: [Range<Int>] = []
                let stripped = strippedRange(b, 0..<b.count)
                var start = stripped.lowerBound
                var i = start
                while i < stripped.upperBound {
                    if b[i] == 0x0A && i + 1 < stripped.upperBound && b[i + 1] == 0x0A {
                        paragraphs.append(start..<i)
                        while i < stripped.upperBound && b[i] == 0x0A { i += 1 }
                        start = i
                    } else {
                        i += 1
                    }
                }
                paragraphs.append(start..<stripped.upperBound)
                return repeated(paragraphs.map { xxHash64(b, $0) }, paragraphs)
            }
            if r == Self.duplicateLines.rawValue || r == Self.duplicateLineChars.rawValue {
                var lines: [Range<Int>] = []
                forEachLine(b, mode: .lineFeedRuns) { lines.append($0) }
                return repeated(lines.map { xxHash64(b, $0) }, lines)
            }
            // top_N_gram / dup_N_gram: N from the reason.
            let parts = r.split(separator: ":").last?.split(separator: "_") ?? []
            guard parts.count == 3, let g = Int(parts[1]), g >= 1 else { return nil }
            let t = scanner ?? TokenScanner(icuWords: icuWords)
            t.scan(b)
            guard t.count >= g else { return nil }
            var hashes: [UInt64] = []
            var ranges: [Range<Int>] = []
            let tokenHashes = (0..<t.count).map { t.hash(b, $0) }
            for s in 0...(t.count - g) {
                var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(g)
                for k in s..<(s + g) { h = mix64(h ^ tokenHashes[k]) }
                hashes.append(h)
                ranges.append(t.starts[s]..<t.ends[s + g - 1])
            }
            return repeated(hashes, ranges)
        }
    }
}
