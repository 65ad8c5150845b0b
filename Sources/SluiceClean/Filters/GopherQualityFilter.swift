// Gopher quality rules (MassiveText, Rae et al. 2021, arXiv 2112.11446 §A.1.1), with datatrove's
// defaults (`GopherQualityFilter`, datatrove 0.10.1). Thresholds (drop when a rule fires):
//   words (non-symbol)            < 50 or > 100 000          mean word length   < 3 or > 10 chars
//   "#" per word                  > 0.1                      "..."/"…" per word > 0.1
//   lines starting with • or -    > 0.9                      lines ending ... or … > 0.3
//   words with a letter           < 0.8                      distinct stop words < 2
// Words are spaCy English tokens, as datatrove counts them for every language (punctuation tokens
// count in the ratios); `icu_words` gives unspaced scripts dictionary words instead (docs/clean.md,
// "Multilingual pages"). dolma's variant (median length, `*` bullets) is not offered here.
import SluiceCore

/// Drops documents that fail any Gopher quality rule; the reason names the rule.
public struct GopherQualityFilter: Filter {
    public static let name = "gopher_quality"
    public static let summary =
        "Gopher (MassiveText) quality rules: word count, word length, symbols, bullets, stop words"

    public static let wordCount = DropReason("gopher_quality:word_count")
    public static let meanWordLength = DropReason("gopher_quality:mean_word_length")
    public static let hashRatio = DropReason("gopher_quality:hash_ratio")
    public static let ellipsisRatio = DropReason("gopher_quality:ellipsis_ratio")
    public static let bulletLines = DropReason("gopher_quality:bullet_lines")
    public static let ellipsisLines = DropReason("gopher_quality:ellipsis_lines")
    public static let alphaWords = DropReason("gopher_quality:alpha_words")
    public static let stopWords = DropReason("gopher_quality:stop_words")

    public var minWords: Int
    public var maxWords: Int
    public var minMeanWordLength: Double
    public var maxMeanWordLength: Double
    public var maxSymbolWordRatio: Double
    public var maxBulletLinesRatio: Double
    public var maxEllipsisLinesRatio: Double
    public var minAlphaWordsRatio: Double
    public var minStopWords: Int
    public var stopWordList: [String]
    private var stopWordBytes: [[UInt8]]
    private var maxStopWordBytes = 0
    /// Chinese, Japanese, Thai… as ICU dictionary words (datatrove: one token per unspaced run).
    public var icuWords = false
    private var scanner: TokenScanner?

    public init(options: inout StageOptions) throws {
        minWords = try options.int("min_doc_words", default: 50, range: 0...Int.max, "drop with fewer non-symbol words")
        maxWords = try options.int(
            "max_doc_words", default: 100_000, range: 0...Int.max, "drop with more non-symbol words (0 = no limit)")
        minMeanWordLength = try options.double(
            "min_avg_word_length", default: 3, range: 0...1000, "drop when mean word length (chars) is below")
        maxMeanWordLength = try options.double(
            "max_avg_word_length", default: 10, range: 0...1_000_000, "drop when mean word length is above")
        maxSymbolWordRatio = try options.double(
            "max_symbol_word_ratio", default: 0.1, range: 0...1_000_000, "max '#' and ellipsis count per word")
        maxBulletLinesRatio = try options.double(
            "max_bullet_lines_ratio", default: 0.9, range: 0...1, "max fraction of lines starting with • or -")
        maxEllipsisLinesRatio = try options.double(
            "max_ellipsis_lines_ratio", default: 0.3, range: 0...1, "max fraction of lines ending with ... or …")
        minAlphaWordsRatio = try options.double(
            "min_alpha_words_ratio", default: 0.8, range: 0...1, "min fraction of words containing a letter")
        minStopWords = try options.int(
            "min_stop_words", default: 2, range: 0...1000, "min number of distinct stop words present")
        stopWordList = try options.stringList(
            "stop_words", default: ["the", "be", "to", "of", "and", "that", "have", "with"],
            "the stop words (case-sensitive, as datatrove)")
        stopWordBytes = stopWordList.map { Array($0.utf8) }
        icuWords = try options.bool(
            "icu_words", default: false,
            "split unspaced scripts (Chinese, Japanese, Thai…) into ICU dictionary words, not one token per run as datatrove"
        )
        maxStopWordBytes = stopWordBytes.map(\.count).max() ?? 0
    }

    /// Gives this task its own scratch state (a copied stage must not share the scanner across threads).
    public mutating func prepare(context: TaskContext) throws { scanner = TokenScanner(icuWords: icuWords) }

    public mutating func verdict(for document: inout Document, context: TaskContext) -> Verdict {
        if scanner == nil { scanner = TokenScanner(icuWords: icuWords) }
        let scanner = scanner!
        return withUTF8Bytes(document.text) { b in evaluate(b, scanner) }
    }

    private func evaluate(_ b: UnsafeBufferPointer<UInt8>, _ scanner: TokenScanner) -> Verdict {
        scanner.scan(b)
        let t = scanner.tokens  // a local value: no exclusivity check per token read (-O)
        let nWords = t.count
        var nonSymbol = 0
        var nonSymbolChars = 0
        for i in 0..<nWords where t.hasNonPunctuation(b, i) {
            nonSymbol += 1
            nonSymbolChars += t.charCount(b, i)
        }
        if nonSymbol < minWords || (maxWords > 0 && nonSymbol > maxWords) || nWords == 0 {
            return .drop(Self.wordCount)
        }
        let mean = Double(nonSymbolChars) / Double(nonSymbol)
        if mean < minMeanWordLength || mean > maxMeanWordLength { return .drop(Self.meanWordLength) }
        let all = 0..<b.count
        if maxSymbolWordRatio > 0 {
            if Double(countOccurrences(b, all, "#")) / Double(nWords) > maxSymbolWordRatio {
                return .drop(Self.hashRatio)
            }
            let ellipses = countOccurrences(b, all, "...") + countOccurrences(b, all, "…")
            if Double(ellipses) / Double(nWords) > maxSymbolWordRatio { return .drop(Self.ellipsisRatio) }
        }
        var lines = 0
        var bullets = 0
        var ellipsisEnds = 0
        forEachLine(b, mode: .universal) { line in
            lines += 1
            let s = strippedRange(b, line)
            if hasPrefix(b, s, "•") || hasPrefix(b, s, "-") { bullets += 1 }
            if hasSuffix(b, s, "...") || hasSuffix(b, s, "…") { ellipsisEnds += 1 }
        }
        if lines > 0 {
            if Double(bullets) / Double(lines) > maxBulletLinesRatio { return .drop(Self.bulletLines) }
            if Double(ellipsisEnds) / Double(lines) > maxEllipsisLinesRatio { return .drop(Self.ellipsisLines) }
        }
        var alpha = 0
        for i in 0..<nWords where t.hasAlpha(b, i) { alpha += 1 }
        if Double(alpha) / Double(nWords) < minAlphaWordsRatio { return .drop(Self.alphaWords) }
        if minStopWords > 0 {
            var seen = [Bool](repeating: false, count: stopWordBytes.count)
            var distinct = 0
            for i in 0..<nWords where t.ends[i] - t.starts[i] <= maxStopWordBytes {
                for (k, w) in stopWordBytes.enumerated() where !seen[k] && t.equals(b, i, w) {
                    seen[k] = true
                    distinct += 1
                }
                if distinct >= minStopWords { break }
            }
            if distinct < minStopWords { return .drop(Self.stopWords) }
        }
        return .keep
    }
}

// MARK: - What fired (kept drops only; see DropAudit)

extension GopherQualityFilter: DropExplaining {
    /// The figure behind `reason` (`words`, `mean_word_length`, `ratio`, or the stop words found)
    /// with the option that bounds it, and `match` where the text holds what fired: `#`, the
    /// ellipses, the first words without a letter, the bullet or ellipsis lines. Recomputed, off the hot path.
    public func explainDrop(_ document: Document, reason: DropReason) -> JSONValue? {
        let t = scanner ?? TokenScanner(icuWords: icuWords)
        return withUTF8Bytes(document.text) { b -> JSONValue? in
            t.scan(b)
            let nWords = t.count
            func ratio(_ x: Double) -> JSONValue { .double((x * 1e6).rounded() / 1e6) }
            func word(_ i: Int) -> String {
                String(decoding: UnsafeBufferPointer(rebasing: b[t.starts[i]..<t.ends[i]]), as: UTF8.self)
            }
            var object = JSONObject()
            switch reason {
            case Self.wordCount, Self.meanWordLength:
                var nonSymbol = 0
                var chars = 0
                for i in 0..<nWords where t.hasNonPunctuation(b, i) {
                    nonSymbol += 1
                    chars += t.charCount(b, i)
                }
                if reason == Self.wordCount {
                    object["words"] = .int(Int64(nonSymbol))
                    object["min_doc_words"] = .int(Int64(minWords))
                    object["max_doc_words"] = .int(Int64(maxWords))
                } else {
                    object["mean_word_length"] = ratio(nonSymbol == 0 ? 0 : Double(chars) / Double(nonSymbol))
                    object["min_avg_word_length"] = .double(minMeanWordLength)
                    object["max_avg_word_length"] = .double(maxMeanWordLength)
                }
            case Self.hashRatio, Self.ellipsisRatio:
                let all = 0..<b.count
                let n =
                    reason == Self.hashRatio
                    ? countOccurrences(b, all, "#") : countOccurrences(b, all, "...") + countOccurrences(b, all, "…")
                object["match"] = .array(reason == Self.hashRatio ? [.string("#")] : [.string("..."), .string("…")])
                object["ratio"] = ratio(Double(n) / Double(max(nWords, 1)))
                object["max_symbol_word_ratio"] = .double(maxSymbolWordRatio)
            case Self.bulletLines, Self.ellipsisLines:
                var lines = 0
                var hits = 0
                var found: [String] = []
                forEachLine(b, mode: .universal) { line in
                    lines += 1
                    let s = strippedRange(b, line)
                    let hit =
                        reason == Self.bulletLines
                        ? hasPrefix(b, s, "•") || hasPrefix(b, s, "-") : hasSuffix(b, s, "...") || hasSuffix(b, s, "…")
                    if hit {
                        hits += 1
                        // The part that fired: a bullet line's start, an ellipsis line's end.
                        let line = String(decoding: UnsafeBufferPointer(rebasing: b[s]), as: UTF8.self)
                        let text = String(reason == Self.bulletLines ? line.prefix(200) : line.suffix(200))
                        if found.count < 5 && !found.contains(text) { found.append(text) }
                    }
                }
                object["match"] = .array(found.map { .string($0) })
                object["ratio"] = ratio(lines == 0 ? 0 : Double(hits) / Double(lines))
                if reason == Self.bulletLines {
                    object["max_bullet_lines_ratio"] = .double(maxBulletLinesRatio)
                } else {
                    object["max_ellipsis_lines_ratio"] = .double(maxEllipsisLinesRatio)
                }
            case Self.alphaWords:
                var alpha = 0
                var without: [String] = []
                for i in 0..<nWords {
                    if t.hasAlpha(b, i) {
                        alpha += 1
                    } else if without.count < 10 {
                        let w = word(i)
                        if !without.contains(w) { without.append(w) }
                    }
                }
                object["match"] = .array(without.map { .string($0) })
                object["ratio"] = ratio(nWords == 0 ? 0 : Double(alpha) / Double(nWords))
                object["min_alpha_words_ratio"] = .double(minAlphaWordsRatio)
            case Self.stopWords:
                var present: [String] = []
                for i in 0..<nWords where t.ends[i] - t.starts[i] <= maxStopWordBytes {
                    for (k, w) in stopWordBytes.enumerated()
                    where t.equals(b, i, w) && !present.contains(stopWordList[k]) {
                        present.append(stopWordList[k])
                    }
                }
                // Not `match`: a stop word as a substring would light up inside other words.
                object["stop_words_present"] = .array(present.map { .string($0) })
                object["min_stop_words"] = .int(Int64(minStopWords))
            default:
                return nil
            }
            return .object(object)
        }
    }
}
