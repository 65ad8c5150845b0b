// C4's line and page rules (Raffel et al. 2020 §2.2), in two presets because the paper and the code
// that built C4 disagree (datatrove's `c4_filters.py` follows the paper, TFDS `c4_utils.py` the code):
//   preset   min sentences  min words/line  terminal punctuation      source
//   paper    5              3               . ? ! " '                 datatrove C4QualityFilter (default)
//   tfds     3              5               . ? ! "                   TFDS c4_utils.py (_MIN_NUM_SENTENCES…)
// Both: a line with a word over 1 000 chars is dropped, citations ([1], [edit], [citation needed])
// removed, lines ending in "..." dropped, lines mentioning javascript or a cookie/terms policy
// dropped, and the page dropped for "lorem ipsum" or "{" in a kept line. The page keeps only its
// kept lines. Sentences are counted as spaCy's sentencizer does (a sentence ends at . ! ? and the
// like, followed by a word); not NLTK punkt. No language ID, no bad words (use `wordlist`).
import SluiceCore

/// Keeps C4's clean lines and drops pages that fail C4's page rules.
public struct C4QualityStep: Step {
    public static let name = "c4"
    public static let summary = "C4 line and page rules (preset paper = datatrove, tfds = the code that built C4)"

    public static let loremIpsum = DropReason("c4:lorem_ipsum")
    public static let curlyBracket = DropReason("c4:curly_bracket")
    public static let tooFewSentences = DropReason("c4:too_few_sentences")

    public var preset: String
    public var minSentences: Int
    public var minWordsPerLine: Int
    public var maxWordLength: Int
    public var apostropheEndsLine: Bool
    public var removeCitations: Bool
    public var filterNoTerminalPunctuation: Bool
    public var filterLoremIpsum: Bool
    public var filterJavascript: Bool
    public var filterCurlyBracket: Bool
    public var filterPolicy: Bool
    private var output: [UInt8] = []
    private var line: [UInt8] = []

    public init(options: inout StageOptions) throws {
        preset = try options.choice("preset", default: "paper", ["paper", "tfds"], "which published constants to use")
        let tfds = preset == "tfds"
        minSentences = try options.int(
            "min_num_sentences", default: tfds ? 3 : 5, range: -1...100_000, "drop pages with fewer (-1 = off)")
        minWordsPerLine = try options.int(
            "min_words_per_line", default: tfds ? 5 : 3, range: -1...100_000, "drop lines with fewer words")
        maxWordLength = try options.int(
            "max_word_length", default: 1000, range: -1...Int.max, "drop lines with a longer word (-1 = off)")
        apostropheEndsLine = try options.bool(
            "apostrophe_ends_line", default: !tfds, "accept ' as terminal punctuation (datatrove does, TFDS does not)")
        removeCitations = try options.bool("remove_citations", default: true, "remove [1], [edit], [citation needed]")
        filterNoTerminalPunctuation = try options.bool(
            "filter_no_terminal_punct", default: true, "drop lines not ending in terminal punctuation")
        filterLoremIpsum = try options.bool("filter_lorem_ipsum", default: true, "drop pages containing lorem ipsum")
        filterJavascript = try options.bool("filter_javascript", default: true, "drop lines mentioning javascript")
        filterCurlyBracket = try options.bool("filter_curly_bracket", default: true, "drop pages containing {")
        filterPolicy = try options.bool("filter_policy", default: true, "drop terms-of-use and cookie-policy lines")
    }

    public mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
        let verdict = withUTF8Bytes(document.text) { b in evaluate(b, context: context) }
        if verdict == .keep { document.text = String(decoding: output, as: UTF8.self) }
        return verdict
    }

    /// Runs the rules; on keep, `output` holds the kept lines joined by `\n`.
    mutating func evaluate(_ b: UnsafeBufferPointer<UInt8>, context: TaskContext?) -> Verdict {
        output.removeAll(keepingCapacity: true)
        var sentences = 0
        var verdict = Verdict.keep
        var droppedLines = 0
        forEachLine(b, mode: .universal) { raw in
            guard verdict == .keep else { return }
            let r = strippedRange(b, raw)
            // Words: Python `line.split()`, counted before citations are removed.
            var words = 0
            var longWord = false
            var i = r.lowerBound
            while i < r.upperBound {
                while i < r.upperBound, case let (c, l) = decodeScalar(b, at: i), isPythonWhitespace(c) { i += l }
                if i >= r.upperBound { break }
                var chars = 0
                while i < r.upperBound, case let (c, l) = decodeScalar(b, at: i), !isPythonWhitespace(c) {
                    i += l
                    chars += 1
                }
                words += 1
                if maxWordLength >= 0 && chars > maxWordLength { longWord = true }
            }
            if longWord {
                droppedLines += 1
                return
            }
            line.removeAll(keepingCapacity: true)
            if removeCitations { appendRemovingCitations(b, r) } else { line.append(contentsOf: b[r]) }
            let kept = line.withUnsafeBufferPointer { l -> Bool in
                let all = 0..<l.count
                if filterNoTerminalPunctuation {
                    let ends =
                        hasSuffix(l, all, ".") || hasSuffix(l, all, "?") || hasSuffix(l, all, "!")
                        || hasSuffix(l, all, "\"") || (apostropheEndsLine && hasSuffix(l, all, "'"))
                    if !ends || hasSuffix(l, all, "...") { return false }
                }
                if words < minWordsPerLine { return false }
                if filterLoremIpsum && containsASCIICaseInsensitive(l, all, "lorem ipsum") {
                    verdict = .drop(Self.loremIpsum)
                    return false
                }
                if filterJavascript && containsASCIICaseInsensitive(l, all, "javascript") { return false }
                if filterCurlyBracket && countOccurrences(l, all, "{") > 0 {
                    verdict = .drop(Self.curlyBracket)
                    return false
                }
                if filterPolicy {
                    for p in policyPhrases where containsASCIICaseInsensitive(l, all, p) { return false }
                }
                if minSentences != -1 { sentences += countSentences(l) }
                return true
            }
            if kept {
                if !output.isEmpty { output.append(0x0A) }
                output.append(contentsOf: line)
            } else if verdict == .keep {
                droppedLines += 1
            }
        }
        if let context, droppedLines > 0 { context.count("lines_removed", by: droppedLines) }
        guard verdict == .keep else { return verdict }
        if sentences < minSentences { return .drop(Self.tooFewSentences) }
        // datatrove strips the joined text; kept lines are already stripped, so only an empty
        // first line (a citation-only line) could leave whitespace — strip to be exact.
        let trimmed = output.withUnsafeBufferPointer { strippedRange($0, 0..<$0.count) }
        if trimmed != 0..<output.count { output = Array(output[trimmed]) }
        return .keep
    }

    /// Appends `b[r]` to `line` without `\[\d*]`, `[edit]` and `[citation needed]`.
    private mutating func appendRemovingCitations(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) {
        var i = r.lowerBound
        while i < r.upperBound {
            if b[i] == 0x5B {  // "["
                var j = i + 1
                while j < r.upperBound && b[j] >= 0x30 && b[j] <= 0x39 { j += 1 }
                if j < r.upperBound && b[j] == 0x5D {
                    i = j + 1
                    continue
                }
                let rest = (i + 1)..<r.upperBound
                if hasPrefix(b, rest, "edit]") {
                    i += 6
                    continue
                }
                if hasPrefix(b, rest, "citation needed]") {
                    i += 17
                    continue
                }
            }
            line.append(b[i])
            i += 1
        }
    }
}

/// datatrove/TFDS `POLICY_SUBSTRINGS`.
private let policyPhrases: [StaticString] = [
    "terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies",
]

/// Abbreviations whose final period does not end a sentence (spaCy English exceptions).
private let abbreviations: Set<String> = [
    "Mr", "Mrs", "Ms", "Dr", "St", "vs", "etc", "Jr", "Sr", "Inc", "Ltd", "Co", "Corp", "No", "Prof", "Gen", "Rep",
    "Sen", "Gov", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Mt", "Ft",
]

/// Sentences in one line as spaCy's sentencizer finds them: a token made of sentence-ending
/// punctuation ends a sentence when a token that is not punctuation follows. Tokens here are
/// whitespace-separated chunks with their trailing punctuation split off (spaCy's suffix rules);
/// an ellipsis does not end a sentence, nor does the period of an abbreviation (`U.S.`, `Mr.`).
func countSentences(_ l: UnsafeBufferPointer<UInt8>) -> Int {
    var sentences = 0
    var periodSeen = false
    var inSentence = false
    var i = 0
    let n = l.count
    while i < n {
        while i < n, case let (c, len) = decodeScalar(l, at: i), isPythonWhitespace(c) { i += len }
        if i >= n { break }
        let start = i
        while i < n, case let (c, len) = decodeScalar(l, at: i), !isPythonWhitespace(c) { i += len }
        let end = i
        // Split the chunk into body and trailing punctuation.
        var bodyEnd = end
        while bodyEnd > start {
            let s = previousScalarStart(l, before: bodyEnd)
            if !isDatatrovePunctuation(decodeScalar(l, at: s).scalar) { break }
            bodyEnd = s
        }
        var bodyStart = start
        while bodyStart < bodyEnd, case let (c, len) = decodeScalar(l, at: bodyStart), isDatatrovePunctuation(c) {
            bodyStart += len
        }
        let hasBody = bodyStart < bodyEnd
        if hasBody {
            if periodSeen || !inSentence {
                sentences += 1
                inSentence = true
                periodSeen = false
            }
        }
        // Does the trailing punctuation end a sentence?
        var ends = false
        var k = bodyEnd
        var dots = 0
        while k < end {
            let (c, len) = decodeScalar(l, at: k)
            if c == 0x2E { dots += 1 } else if c == 0x2026 { dots += 3 }
            if tableContains(sentenceEndTable, c) { ends = true }
            k += len
        }
        if ends && dots >= 2 && !(k > bodyEnd && containsNonDotEnd(l, bodyEnd..<end)) { ends = false }
        if ends && dots == 1 && hasBody {
            // Abbreviations: a body with an inner period (U.S, e.g) or a known short form.
            var inner = false
            for j in bodyStart..<bodyEnd where l[j] == 0x2E { inner = true }
            if inner {
                // spaCy's tokenizer splits a period after a digit or a lowercase letter (`1.3.` → `1.3`
                // `.`), unless the whole is a special case (`e.g.`): then it ends the sentence.
                let p = decodeScalar(l, at: previousScalarStart(l, before: bodyEnd)).scalar
                let splits =
                    (p >= 0x30 && p <= 0x39) || (p >= 0x61 && p <= 0x7A)
                    || (p >= 0x80 && isLetter(p) && !isUppercase(p))
                if splits && !isAbbreviation(l, bodyStart..<(bodyEnd + 1)) { inner = false }
            }
            let word = String(decoding: UnsafeBufferPointer(rebasing: l[bodyStart..<bodyEnd]), as: UTF8.self)
            let singleCapital = bodyEnd - bodyStart == 1 && l[bodyStart] >= 65 && l[bodyStart] <= 90
            if inner || singleCapital || abbreviations.contains(word) {
                ends =
                    l[bodyEnd] == 0x2E && (bodyEnd + 1 < end) && tableContains(sentenceEndTable, UInt32(l[bodyEnd + 1]))
            }
        }
        if ends { periodSeen = true }
    }
    return max(sentences, n > 0 && !inSentence ? 1 : sentences)
}

/// Whether the punctuation run has a sentence end other than periods (`...?`).
private func containsNonDotEnd(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
    var k = r.lowerBound
    while k < r.upperBound {
        let (c, len) = decodeScalar(l, at: k)
        if c != 0x2E && c != 0x2026 && tableContains(sentenceEndTable, c) { return true }
        k += len
    }
    return false
}

// MARK: - What fired (kept drops only; see DropAudit)

extension C4QualityStep: DropExplaining {
    /// The phrase a page rule matched (`match`), or the sentence minimum the page missed. The lines
    /// C4 removes from pages it keeps are edits: `dropped: {edits: true}` keeps them as before/after pairs.
    public func explainDrop(_ document: Document, reason: DropReason) -> JSONValue? {
        var object = JSONObject()
        switch reason {
        case Self.loremIpsum: object["match"] = ["lorem ipsum"]
        case Self.curlyBracket: object["match"] = ["{"]
        case Self.tooFewSentences: object["min_num_sentences"] = .int(Int64(minSentences))
        default: return nil
        }
        return .object(object)
    }
}
