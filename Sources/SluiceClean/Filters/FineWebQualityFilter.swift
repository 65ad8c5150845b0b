// FineWeb's extra quality rules (Penedo et al. 2024), as datatrove 0.10.1's `FineWebQualityFilter`
// implements them today (`fineweb_quality_filter.py`; the variant after the `<=`→`<` change, with the
// multi-script terminal punctuation set and `new_line_ratio`). Over the non-blank lines:
//   lines ending in terminal punctuation  < 0.12  → line_punct_ratio
//   lines of ≤ 30 chars                    > 0.67  → short_line_ratio
//   chars in repeated lines / chars (no \n) > 0.01 → char_dup_ratio
//   "\n" count / words                     > 0.3   → list_ratio
import SluiceCore

/// Drops documents that fail FineWeb's line-level rules.
public struct FineWebQualityFilter: Filter {
    public static let name = "fineweb"
    public static let summary = "FineWeb rules: line punctuation, short lines, duplicated line chars, list-like text"

    public static let empty = DropReason("fineweb:empty")
    public static let linePunctuation = DropReason("fineweb:line_punct_ratio")
    public static let shortLines = DropReason("fineweb:short_line_ratio")
    public static let duplicateChars = DropReason("fineweb:char_dup_ratio")
    public static let listRatio = DropReason("fineweb:list_ratio")

    public var linePunctuationThreshold: Double
    public var linePunctuationExcludeZero: Bool
    public var shortLineThreshold: Double
    public var shortLineLength: Int
    public var charDuplicatesRatio: Double
    public var newLineRatio: Double
    /// Chinese, Japanese, Thai… as ICU dictionary words (datatrove: one token per unspaced run).
    public var icuWords = false
    private var scanner: TokenScanner?
    private var seen = Set<UInt64>()

    public init(options: inout StageOptions) throws {
        linePunctuationThreshold = try options.double(
            "line_punct_thr", default: 0.12, range: 0...1, "min fraction of lines ending in terminal punctuation")
        linePunctuationExcludeZero = try options.bool(
            "line_punct_exclude_zero", default: false, "do not drop when no line ends in punctuation")
        shortLineThreshold = try options.double(
            "short_line_thr", default: 0.67, range: 0...1, "max fraction of short lines")
        shortLineLength = try options.int(
            "short_line_length", default: 30, range: 0...Int.max, "a line of at most this many chars is short")
        charDuplicatesRatio = try options.double(
            "char_duplicates_ratio", default: 0.01, range: 0...1, "max fraction of chars in repeated lines")
        newLineRatio = try options.double(
            "new_line_ratio", default: 0.3, range: 0...1_000_000, "max newlines per word")
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

    private mutating func evaluate(_ b: UnsafeBufferPointer<UInt8>) -> Verdict {
        var lines = 0
        var punctuated = 0
        var short = 0
        var duplicateChars = 0
        var newlines = 0
        var seen = self.seen
        seen.reset(expecting: b.count / 64)
        defer { self.seen = seen }
        forEachLine(b, mode: .lineFeed) { r in
            if r.upperBound < b.count { newlines += 1 }
            let s = strippedRange(b, r)
            guard !s.isEmpty else { return }
            lines += 1
            // `line.endswith(stop_chars)` on the unstripped line.
            let last = previousScalarStart(b, before: r.upperBound)
            if tableContains(terminalPunctuationTable, decodeScalar(b, at: last).scalar) { punctuated += 1 }
            let chars = codePointCount(b, r)
            if chars <= shortLineLength { short += 1 }
            if !seen.insert(xxHash64(b, r)).inserted { duplicateChars += chars }
        }
        guard lines > 0 else { return .drop(Self.empty) }
        let ratio = Double(punctuated) / Double(lines)
        if ratio < linePunctuationThreshold && !(ratio == 0 && linePunctuationExcludeZero) {
            return .drop(Self.linePunctuation)
        }
        if Double(short) / Double(lines) > shortLineThreshold { return .drop(Self.shortLines) }
        let charsWithoutNewlines = codePointCount(b, 0..<b.count) - newlines
        if Double(duplicateChars) / Double(max(charsWithoutNewlines, 1)) > charDuplicatesRatio {
            return .drop(Self.duplicateChars)
        }
        let t = scanner!
        t.scan(b)
        if t.count == 0 || Double(newlines) / Double(t.count) > newLineRatio { return .drop(Self.listRatio) }
        return .keep
    }
}

// MARK: - What fired (kept drops only; see DropAudit)

extension FineWebQualityFilter: DropExplaining {
    /// The ratio that crossed its threshold (`ratio` and the option that bounds it) and, for the
    /// line rules, the lines behind it (`match`: the first few repeated or short lines, verbatim).
    /// Recomputed from the text, off the hot path.
    public func explainDrop(_ document: Document, reason: DropReason) -> JSONValue? {
        withUTF8Bytes(document.text) { b -> JSONValue? in
            func text(_ r: Range<Int>) -> String {
                String(String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self).prefix(200))
            }
            var lines = 0
            var punctuated = 0
            var short: [String] = []
            var shortCount = 0
            var duplicateChars = 0
            var repeated: [String] = []
            var newlines = 0
            var seen = Set<UInt64>()
            forEachLine(b, mode: .lineFeed) { r in
                if r.upperBound < b.count { newlines += 1 }
                let s = strippedRange(b, r)
                guard !s.isEmpty else { return }
                lines += 1
                let last = previousScalarStart(b, before: r.upperBound)
                if tableContains(terminalPunctuationTable, decodeScalar(b, at: last).scalar) { punctuated += 1 }
                let chars = codePointCount(b, r)
                if chars <= shortLineLength {
                    shortCount += 1
                    let t = text(s)
                    if short.count < 5 && !short.contains(t) { short.append(t) }
                }
                if !seen.insert(xxHash64(b, r)).inserted {
                    duplicateChars += chars
                    let t = text(s)
                    if repeated.count < 5 && !repeated.contains(t) { repeated.append(t) }
                }
            }
            var object = JSONObject()
            func ratio(_ x: Double) -> JSONValue { .double((x * 1e6).rounded() / 1e6) }
            object["lines"] = .int(Int64(lines))
            switch reason {
            case Self.linePunctuation:
                object["ratio"] = ratio(lines == 0 ? 0 : Double(punctuated) / Double(lines))
                object["line_punct_thr"] = .double(linePunctuationThreshold)
            case Self.shortLines:
                object["ratio"] = ratio(lines == 0 ? 0 : Double(shortCount) / Double(lines))
                object["short_line_thr"] = .double(shortLineThreshold)
                object["short_line_length"] = .int(Int64(shortLineLength))
                object["match"] = .array(short.map { .string($0) })
            case Self.duplicateChars:
                let chars = codePointCount(b, 0..<b.count) - newlines
                object["ratio"] = ratio(Double(duplicateChars) / Double(max(chars, 1)))
                object["char_duplicates_ratio"] = .double(charDuplicatesRatio)
                object["match"] = .array(repeated.map { .string($0) })
            case Self.listRatio:
                let t = scanner ?? TokenScanner(icuWords: icuWords)
                t.scan(b)
                object["words"] = .int(Int64(t.count))
                object["ratio"] = ratio(t.count == 0 ? Double(newlines) : Double(newlines) / Double(t.count))
                object["new_line_ratio"] = .double(newLineRatio)
            default:
                return nil
            }
            return .object(object)
        }
    }
}
