// Step `spam_heuristics`: cheap signals of spam and SEO pages. Defaults:
//   URL characters / characters       > 0.2   → url_density   (NeMo UrlsFilter's 0.2)
//   a letter/digit/!/? repeated        ≥ 20 times in a row → char_run ("!!!!!!!!…", "sooooo…")
//   uppercase / cased letters          > 0.5 (with ≥ 50 letters) → all_caps
//   the most frequent word (≥ 4 letters) / words > 0.1 (with ≥ 50 words) → keyword_stuffing
// Words are ICU word segments, case-folded for counting. Not a classifier: pair it with `classify`.
import SluiceCore

/// Drops documents that look like spam by simple statistics.
public struct SpamHeuristicsFilter: Filter {
    public static let name = "spam_heuristics"
    public static let summary = "spam signals: URL density, repeated-character runs, all caps, keyword stuffing"

    public static let urlDensity = DropReason("spam_heuristics:url_density")
    public static let charRun = DropReason("spam_heuristics:char_run")
    public static let allCaps = DropReason("spam_heuristics:all_caps")
    public static let keywordStuffing = DropReason("spam_heuristics:keyword_stuffing")

    public var maxURLFraction: Double
    public var maxCharRun: Int
    public var maxCapsFraction: Double
    public var minLettersForCaps: Int
    public var maxTopWordFraction: Double
    public var minWordsForTopWord: Int
    private var scanner: TokenScanner?
    private var wordCounts: [UInt64: Int] = [:]

    public init(options: inout StageOptions) throws {
        maxURLFraction = try options.double(
            "max_url_fraction", default: 0.2, range: 0...1, "max fraction of characters inside URLs")
        maxCharRun = try options.int(
            "max_char_run", default: 19, range: 1...Int.max, "longest allowed run of one letter, digit, ! or ?")
        maxCapsFraction = try options.double(
            "max_caps_fraction", default: 0.5, range: 0...1, "max fraction of uppercase among cased letters")
        minLettersForCaps = try options.int(
            "min_letters_for_caps", default: 50, range: 0...Int.max, "apply the caps rule from this many letters")
        maxTopWordFraction = try options.double(
            "max_top_word_fraction", default: 0.1, range: 0...1, "max share of the most frequent word (≥ 4 letters)")
        minWordsForTopWord = try options.int(
            "min_words_for_top_word", default: 50, range: 0...Int.max, "apply the keyword rule from this many words")
    }

    /// Gives this task its own scratch state (a copied stage must not share the scanner across threads).
    public mutating func prepare(context: TaskContext) throws { scanner = TokenScanner() }

    public mutating func verdict(for document: inout Document, context: TaskContext) -> Verdict {
        if scanner == nil { scanner = TokenScanner() }
        return withUTF8Bytes(document.text) { evaluate($0) }
    }

    private mutating func evaluate(_ b: UnsafeBufferPointer<UInt8>) -> Verdict {
        let n = b.count
        guard n > 0 else { return .keep }
        // One pass: URL bytes, runs, letter case (ASCII exact; other scripts via ICU are rare in spam
        // rules and are counted as cased only when ASCII).
        var urlBytes = 0
        var run = 1
        var upper = 0
        var lower = 0
        var i = 0
        while i < n {
            let c = b[i]
            if (c == 0x68 || c == 0x77) && (hasPrefix(b, i..<n, "http://") || hasPrefix(b, i..<n, "https://")
                || hasPrefix(b, i..<n, "www."))
            {
                var j = i
                while j < n && b[j] > 0x20 { j += 1 }
                urlBytes += j - i
                i = j
                run = 1
                continue
            }
            if c >= 65 && c <= 90 { upper += 1 } else if c >= 97 && c <= 122 { lower += 1 }
            let repeatable = (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x21 || c == 0x3F
            if i > 0 && repeatable && b[i - 1] == c {
                run += 1
                if run > maxCharRun { return .drop(Self.charRun) }
            } else {
                run = 1
            }
            i += 1
        }
        if Double(urlBytes) / Double(n) > maxURLFraction { return .drop(Self.urlDensity) }
        if upper + lower >= max(minLettersForCaps, 1) && Double(upper) / Double(upper + lower) > maxCapsFraction {
            return .drop(Self.allCaps)
        }
        let t = scanner!
        t.scan(b)
        wordCounts.reset(expecting: t.count)
        var words = 0
        var top = 0
        for k in 0..<t.count where t.isWordSegment[k] {
            words += 1
            let s = t.starts[k]
            let e = t.ends[k]
            guard e - s >= 4 else { continue }
            // ASCII case-insensitive hash: fold A–Z while hashing.
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            for j in s..<e {
                var c = b[j]
                if c >= 65 && c <= 90 { c += 32 }
                h = (h ^ UInt64(c)) &* 0x100_0000_01B3
            }
            let count = wordCounts[h, default: 0] + 1
            wordCounts[h] = count
            top = max(top, count)
        }
        if words >= max(minWordsForTopWord, 1) && Double(top) / Double(words) > maxTopWordFraction {
            return .drop(Self.keywordStuffing)
        }
        return .keep
    }
}
