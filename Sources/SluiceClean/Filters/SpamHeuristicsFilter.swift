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
            if (c == 0x68 || c == 0x77)
                && (hasPrefix(b, i..<n, "http://") || hasPrefix(b, i..<n, "https://")
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
            let repeatable =
                (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x21 || c == 0x3F
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

// MARK: - What fired (kept drops only; see DropAudit)

extension SpamHeuristicsFilter: DropExplaining {
    /// What the rule behind `reason` saw: the URLs (`match`) and their share of the text; the
    /// repeated-character run; the share of uppercase letters and the first all-caps words; the
    /// stuffed keyword, its count and share. Recomputed from the text, off the hot path.
    public func explainDrop(_ document: Document, reason: DropReason) -> JSONValue? {
        withUTF8Bytes(document.text) { b -> JSONValue? in
            let n = b.count
            guard n > 0 else { return nil }
            func text(_ r: Range<Int>) -> String {
                String(String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self).prefix(200))
            }
            func ratio(_ x: Double) -> JSONValue { .double((x * 1e6).rounded() / 1e6) }
            var object = JSONObject()
            // The same scan as the verdict: URLs are skipped whole, runs are counted outside them.
            var urls: [String] = []
            var urlBytes = 0
            var longestRun = 0..<0
            var runStart = 0
            var upper = 0
            var lower = 0
            var i = 0
            while i < n {
                let c = b[i]
                if (c == 0x68 || c == 0x77)
                    && (hasPrefix(b, i..<n, "http://") || hasPrefix(b, i..<n, "https://")
                        || hasPrefix(b, i..<n, "www."))
                {
                    var j = i
                    while j < n && b[j] > 0x20 { j += 1 }
                    urlBytes += j - i
                    if urls.count < 10 { urls.append(text(i..<j)) }
                    i = j
                    runStart = i
                    continue
                }
                if c >= 65 && c <= 90 { upper += 1 } else if c >= 97 && c <= 122 { lower += 1 }
                let repeatable =
                    (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x21 || c == 0x3F
                if !(i > 0 && repeatable && b[i - 1] == c && runStart < i) { runStart = i }
                if repeatable && i + 1 - runStart > longestRun.count { longestRun = runStart..<(i + 1) }
                i += 1
            }
            switch reason {
            case Self.urlDensity:
                object["match"] = .array(urls.map { .string($0) })
                object["fraction"] = ratio(Double(urlBytes) / Double(n))
                object["max_url_fraction"] = .double(maxURLFraction)
            case Self.charRun:
                object["match"] = .array([.string(text(longestRun))])
                object["length"] = .int(Int64(longestRun.count))
                object["max_char_run"] = .int(Int64(maxCharRun))
            case Self.allCaps:
                // The first all-caps ASCII words of two letters or more.
                var words: [String] = []
                var k = 0
                while k < n && words.count < 10 {
                    guard b[k] >= 65 && b[k] <= 90, k == 0 || !(b[k - 1] | 0x20 >= 0x61 && b[k - 1] | 0x20 <= 0x7A)
                    else {
                        k += 1
                        continue
                    }
                    var j = k
                    while j < n && b[j] >= 65 && b[j] <= 90 { j += 1 }
                    let endsWord = j == n || !(b[j] | 0x20 >= 0x61 && b[j] | 0x20 <= 0x7A)
                    if endsWord && j - k >= 2 {
                        let w = text(k..<j)
                        if !words.contains(w) { words.append(w) }
                    }
                    k = j
                }
                object["match"] = .array(words.map { .string($0) })
                object["fraction"] = ratio(Double(upper) / Double(max(upper + lower, 1)))
                object["max_caps_fraction"] = .double(maxCapsFraction)
            case Self.keywordStuffing:
                let t = scanner ?? TokenScanner()
                t.scan(b)
                var counts: [UInt64: (count: Int, first: Int)] = [:]
                var words = 0
                for k in 0..<t.count where t.isWordSegment[k] {
                    words += 1
                    guard t.ends[k] - t.starts[k] >= 4 else { continue }
                    var h: UInt64 = 0xCBF2_9CE4_8422_2325
                    for j in t.starts[k]..<t.ends[k] {
                        var c = b[j]
                        if c >= 65 && c <= 90 { c += 32 }
                        h = (h ^ UInt64(c)) &* 0x100_0000_01B3
                    }
                    counts[h, default: (0, k)].count += 1
                }
                guard let top = counts.values.max(by: { ($0.count, $1.first) < ($1.count, $0.first) }) else {
                    return nil
                }
                object["match"] = .array([.string(text(t.starts[top.first]..<t.ends[top.first]))])
                object["count"] = .int(Int64(top.count))
                object["words"] = .int(Int64(words))
                object["fraction"] = ratio(Double(top.count) / Double(max(words, 1)))
                object["max_top_word_fraction"] = .double(maxTopWordFraction)
            default:
                return nil
            }
            return .object(object)
        }
    }
}
