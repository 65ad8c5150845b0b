// Splits a document into word tokens the way the reference filters count them: as spaCy's English
// tokenizer (which datatrove uses for every language by default) emits them: prefix and suffix
// punctuation split off, URLs and e-mail addresses whole, units split from numbers (`780MB`),
// English clitics split off (`don't` → `do` `n't`). Spaces are never tokens. With `icuWords`,
// runs of unspaced scripts (Chinese, Japanese, Thai, …) become ICU dictionary words instead of one
// token per clause. Scratch arrays are reused across documents; one scanner per stage instance.
internal import CICUShim
import SluiceCore

/// Word tokens of one document as byte ranges, with lazily computed per-token facts.
final class TokenScanner {
    private let segmenter: WordSegmenter
    /// The tokens of the last scanned text. A loop over them reads a local copy (`let t = scanner.tokens`):
    /// reading a class property per token costs a run-time exclusivity check in an -O build.
    private(set) var tokens = TokenList()
    /// Token byte ranges in the last scanned text.
    var starts: [Int] { tokens.starts }
    var ends: [Int] { tokens.ends }
    /// ICU said the token is a word (letters, numbers, kana, ideographs) rather than punctuation.
    var isWordSegment: [Bool] { tokens.isWordSegment }

    /// Whether unspaced scripts get ICU dictionary words (false: spaCy English, one token per run).
    let icuWords: Bool

    init(icuWords: Bool = false) {
        self.icuWords = icuWords
        do { segmenter = try WordSegmenter() } catch { preconditionFailure("ICU root word-break iterator: \(error)") }
    }

    var count: Int { tokens.count }

    /// Tokenizes `b` (see the file comment for how it follows spaCy).
    /// - Complexity: O(n) in bytes.
    func scan(_ b: UnsafeBufferPointer<UInt8>) {
        // The tokens leave the class for the scan and go back after it: appending to a class
        // property costs a run-time exclusivity check per token in an -O build.
        var tokens = self.tokens
        self.tokens = TokenList()
        tokens.scan(b, icuWords: icuWords, segmenter: segmenter)
        self.tokens = tokens
    }

    /// Code points in token `i` (Python `len(word)`).
    func charCount(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int { tokens.charCount(b, i) }

    /// Whether token `i` has a letter (Python `any(c.isalpha() for c in w)`: categories L*).
    func hasAlpha(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool { tokens.hasAlpha(b, i) }

    /// Whether token `i` has a character outside datatrove's punctuation set (a "non-symbol word").
    func hasNonPunctuation(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool { tokens.hasNonPunctuation(b, i) }

    /// xxHash64 of token `i`'s bytes.
    func hash(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt64 { tokens.hash(b, i) }

    /// Whether token `i` equals `word` byte for byte.
    func equals(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ word: [UInt8]) -> Bool { tokens.equals(b, i, word) }
}

/// The word tokens of one text as byte ranges, and the per-token facts the filters ask for. A value,
/// so the scan appends to a local and a filter's loop reads a local (no exclusivity checks, -O).
struct TokenList {
    /// Token byte ranges.
    private(set) var starts: [Int] = []
    private(set) var ends: [Int] = []
    /// ICU said the token is a word (letters, numbers, kana, ideographs) rather than punctuation.
    private(set) var isWordSegment: [Bool] = []

    var count: Int { starts.count }

    /// Replaces the tokens with those of `b` (see the file comment for how it follows spaCy).
    /// - Complexity: O(n) in bytes.
    mutating func scan(_ b: UnsafeBufferPointer<UInt8>, icuWords: Bool, segmenter: WordSegmenter) {
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        isWordSegment.removeAll(keepingCapacity: true)
        var i = 0
        let n = b.count
        var needsICU = false
        while i < n {
            let (c, l) = decodeScalar(b, at: i)
            if isPythonWhitespace(c) {
                i += l
                continue
            }
            let start = i
            needsICU = false
            while i < n {
                let (d, dl) = decodeScalar(b, at: i)
                if isPythonWhitespace(d) { break }
                if icuWords && d >= 0x0E00 && isUnspacedScript(d) { needsICU = true }
                i += dl
            }
            if needsICU { scanWithICU(b, start..<i, segmenter) } else { scanChunk(b, start..<i) }
        }
    }

    /// Unspaced scripts (Thai, Lao, Myanmar, Khmer, CJK, kana): ICU's dictionaries find their words.
    @inline(__always)
    private func isUnspacedScript(_ c: UInt32) -> Bool {
        (c >= 0x0E00 && c <= 0x0EFF) || (c >= 0x1000 && c <= 0x109F) || (c >= 0x1780 && c <= 0x17FF)
            || (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF66 && c <= 0xFF9F)
            || (c >= 0x20000 && c <= 0x3FFFF)
    }

    private mutating func append(_ r: Range<Int>, word: Bool) {
        guard !r.isEmpty else { return }
        starts.append(r.lowerBound)
        ends.append(r.upperBound)
        isWordSegment.append(word)
    }

    /// ICU word segments of a chunk; punctuation between them as runs of one character.
    private mutating func scanWithICU(
        _ b: UnsafeBufferPointer<UInt8>, _ chunk: Range<Int>, _ segmenter: WordSegmenter
    ) {
        let sub = UnsafeBufferPointer(rebasing: b[chunk])
        let base = chunk.lowerBound
        segmenter.forEachSegment(in: sub) { range, kind in
            let r = (range.lowerBound + base)..<(range.upperBound + base)
            if kind.isWord {
                append(r, word: true)
                return
            }
            var i = r.lowerBound
            while i < r.upperBound {
                let (c, l) = decodeScalar(b, at: i)
                if isPythonWhitespace(c) {
                    i += l
                    continue
                }
                let prev = starts.count - 1
                if prev >= 0 && !isWordSegment[prev] && ends[prev] == i
                    && decodeScalar(b, at: previousScalarStart(b, before: i)).scalar == c
                {
                    ends[prev] = i + l
                } else {
                    append(i..<(i + l), word: false)
                }
                i += l
            }
        }
    }

    /// A whitespace-free chunk of spaced text, split as spaCy's English tokenizer does: prefix
    /// punctuation, suffix punctuation (a final period only after a lowercase letter, digit or
    /// punctuation, so `U.S.` stays whole), clitics, `9pm`, and infixes (hyphens and `...` between
    /// letters). What remains is one token even if it holds punctuation (`501(c)(3`).
    private mutating func scanChunk(_ b: UnsafeBufferPointer<UInt8>, _ chunk: Range<Int>) {
        let first = starts.count
        splitChunk(b, chunk)
        // spaCy merges split pieces that together spell a special case (`)` `:` → `):`).
        var k = first
        while k + 1 < starts.count {
            var merged = false
            let c = b[starts[k]]
            // Every such special starts with one of ' ( ) - . : ; < = > @ [ \ ] ^ or ’ (E2 80 99).
            let candidate =
                c == 0x27 || c == 0x28 || c == 0x29 || c == 0x2D || c == 0x2E || c == 0x3A || c == 0x3B
                || c == 0x3C || c == 0x3D || c == 0x3E || c == 0x40 || c == 0x5B || c == 0x5C || c == 0x5D
                || c == 0x5E || c == 0xE2
            for n in stride(from: 3, through: 2, by: -1) where candidate && k + n <= starts.count {
                let r = starts[k]..<ends[k + n - 1]
                guard (k..<(k + n - 1)).allSatisfy({ ends[$0] == starts[$0 + 1] }), isSpaCySpecialPunctuation(b, r)
                else { continue }
                ends[k] = r.upperBound
                isWordSegment[k] = false
                starts.removeSubrange((k + 1)..<(k + n))
                ends.removeSubrange((k + 1)..<(k + n))
                isWordSegment.removeSubrange((k + 1)..<(k + n))
                merged = true
                break
            }
            if !merged { k += 1 }
        }
    }

    private mutating func splitChunk(_ b: UnsafeBufferPointer<UInt8>, _ chunk: Range<Int>) {
        var lo = chunk.lowerBound
        var hi = chunk.upperBound
        if isSpaCySpecialPunctuation(b, chunk) {  // `):`, `(=`, `^_^` are one token
            append(chunk, word: false)
            return
        }
        // Prefixes, one character at a time (a run of dots stays one token).
        while lo < hi {
            let (c, l) = decodeScalar(b, at: lo)
            guard isSpaCyPrefix(c), lo + l < hi, !isWholeClitic(b, lo..<hi), !isSpaCySpecialPunctuation(b, lo..<hi)
            else { break }
            if c == 0x2B && b[lo + 1] >= 0x30 && b[lo + 1] <= 0x39 { break }  // `+` before a digit stays (`+0100`)
            var e = lo + l
            if c == 0x2E { while e < hi && b[e] == 0x2E { e += 1 } }
            append(lo..<e, word: false)
            lo = e
        }
        // Suffixes, collected from the end.
        var suffixStart = hi
        var suffixes: [Range<Int>] = []
        while hi > lo {
            let s = previousScalarStart(b, before: hi)
            let c = decodeScalar(b, at: s).scalar
            if c == 0x2E {
                var d = s
                while d > lo && b[d - 1] == 0x2E { d -= 1 }
                if hi - d >= 2 {  // "..." or ".."
                    guard d > lo else { break }
                    suffixes.append(d..<hi)
                    hi = d
                    continue
                }
                guard s > lo else { break }
                let ps = previousScalarStart(b, before: s)
                let p = decodeScalar(b, at: ps).scalar
                // spaCy: after a lowercase letter, digit, % ² - + or punctuation, or after two capitals.
                var splits =
                    (p >= 0x61 && p <= 0x7A) || (p >= 0x30 && p <= 0x39) || p == 0x25 || p == 0xB2
                    || p == 0x2D || p == 0x2B || isSpaCySuffix(p) || (p >= 0x80 && isLetter(p) && !isUppercase(p))
                if !splits && ps > lo && isUppercaseLetter(p) {
                    splits = isUppercaseLetter(decodeScalar(b, at: previousScalarStart(b, before: ps)).scalar)
                }
                guard splits, !isAbbreviation(b, lo..<hi) else { break }
                suffixes.append(s..<hi)
                hi = s
                continue
            }
            if let u = unitSuffixStart(b, lo..<hi) {  // `780MB` → `780` `MB`, `100%` → `100` `%`
                suffixes.append(u..<hi)
                hi = u
                continue
            }
            guard isSpaCySuffix(c), s > lo else { break }
            suffixes.append(s..<hi)
            hi = s
        }
        suffixStart = hi
        _ = suffixStart
        // `9pm`, `11am`: an hour followed by am/pm splits.
        if hi - lo >= 3 && hi - lo <= 4, (b[hi - 1] | 0x20) == 0x6D,
            (b[hi - 2] | 0x20) == 0x61 || (b[hi - 2] | 0x20) == 0x70
        {
            let digits = lo..<(hi - 2)
            if digits.allSatisfy({ b[$0] >= 0x30 && b[$0] <= 0x39 }),
                let h = Int(String(decoding: UnsafeBufferPointer(rebasing: b[digits]), as: UTF8.self)), h >= 1, h <= 12
            {
                append(digits, word: true)
                append((hi - 2)..<hi, word: true)
                for r in suffixes.reversed() { append(r, word: false) }
                return
            }
        }
        // spaCy's URL_MATCH: a URL, e-mail address or dotted host name left after the affixes is one token.
        if isSpaCyURL(b, lo..<hi) {
            append(lo..<hi, word: true)
            for r in suffixes.reversed() { append(r, word: false) }
            return
        }
        // Infixes (spaCy's English infix rules): dashes and ~ between a letter or digit and a letter;
        // - + * ^ between digits; : < > = / between an ASCII letter or digit and an ASCII letter;
        // a comma between letters; runs of dots anywhere.
        var pieceStart = lo
        var i = lo
        while i < hi {
            let (c, l) = decodeScalar(b, at: i)
            var infixEnd = -1
            if c == 0x2E {
                if i + 1 < hi && b[i + 1] == 0x2E {
                    var e = i
                    while e < hi && b[e] == 0x2E { e += 1 }
                    infixEnd = e
                }
            } else if i > lo && i + l < hi
                && (c == 0x2D || c == 0x2013 || c == 0x2014 || c == 0x7E || c == 0x3A || c == 0x3C || c == 0x3E
                    || c == 0x3D || c == 0x2F || c == 0x2C || c == 0x2B || c == 0x2A || c == 0x5E)
            {
                var e = i + l
                if c == 0x2D || c == 0x2013 || c == 0x2014 {
                    while e < hi, case let (d, dl) = decodeScalar(b, at: e), d == c { e += dl }
                }
                if e < hi {
                    let p = decodeScalar(b, at: previousScalarStart(b, before: i)).scalar
                    let q = decodeScalar(b, at: e).scalar
                    let pDigit = p >= 0x30 && p <= 0x39
                    let qDigit = q >= 0x30 && q <= 0x39
                    let split: Bool
                    switch c {
                    case 0x2D:
                        split = ((isSpaCyAlpha(p) || pDigit) && isSpaCyAlpha(q)) || (pDigit && (qDigit || q == 0x2D))
                    case 0x2013, 0x2014, 0x7E: split = (isSpaCyAlpha(p) || pDigit) && isSpaCyAlpha(q)
                    case 0x2B, 0x2A, 0x5E: split = pDigit && (qDigit || q == 0x2D)
                    case 0x2C: split = isSpaCyAlpha(p) && isSpaCyAlpha(q)
                    default: split = (isSpaCyAlpha(p) || pDigit) && isSpaCyAlpha(q)
                    }
                    if split { infixEnd = e }
                }
            }
            if infixEnd > 0 {
                appendWord(b, pieceStart..<i)
                append(i..<infixEnd, word: false)
                pieceStart = infixEnd
                i = infixEnd
            } else {
                i += l
            }
        }
        if pieceStart < hi { appendWord(b, pieceStart..<hi) }
        for r in suffixes.reversed() { append(r, word: false) }
    }

    /// Appends a word segment, splitting an English clitic off its end (`n't`, `'s`, `'re`, `'ll`,
    /// `'ve`, `'m`, `'d`, with ' or ’).
    private mutating func appendWord(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) {
        guard !r.isEmpty else { return }
        let end = r.upperBound
        if isWholeClitic(b, r) {
            append(r, word: true)
            return
        }
        // spaCy exceptions: "cannot" → "can" "not", "im" → "i" "m", "dont" → "do" "nt", "cant" → "ca" "nt".
        if end - r.lowerBound == 6, asciiLowercaseEquals(b, r, "cannot") {
            append(r.lowerBound..<(r.lowerBound + 3), word: true)
            append((r.lowerBound + 3)..<end, word: true)
            return
        }
        if asciiLowercaseEquals(b, r, "im") {
            append(r.lowerBound..<(r.lowerBound + 1), word: true)
            append((r.lowerBound + 1)..<end, word: true)
            return
        }
        if end - r.lowerBound >= 4 && (b[end - 1] | 0x20) == 0x74 && (b[end - 2] | 0x20) == 0x6E {
            for w: StaticString in [
                "dont", "doesnt", "didnt", "cant", "wont", "isnt", "arent", "wasnt", "werent", "couldnt", "shouldnt",
                "wouldnt", "havent", "hasnt", "hadnt", "aint", "mustnt", "neednt",
            ] where asciiLowercaseEquals(b, r, w) {
                append(r.lowerBound..<(end - 2), word: true)
                append((end - 2)..<end, word: true)
                return
            }
        }
        var split = -1
        // Find the apostrophe (ASCII ' or U+2019, E2 80 99) that starts a clitic.
        func apostrophe(at j: Int) -> Int {  // length of the apostrophe at j, or 0
            if j >= r.lowerBound && j < end && b[j] == 0x27 { return 1 }
            if j >= r.lowerBound && j + 2 < end && b[j] == 0xE2 && b[j + 1] == 0x80 && b[j + 2] == 0x99 { return 3 }
            return 0
        }
        @inline(__always) func lower(_ j: Int) -> UInt8 { b[j] | 0x20 }
        for tail in 1...2 {
            // Apostrophe followed by `tail` ASCII letters at the end.
            for alen in [1, 3] {
                let a = end - tail - alen
                guard a > r.lowerBound, apostrophe(at: a) == alen else { continue }
                let t0 = lower(end - tail)
                let ok: Bool
                if tail == 1 {
                    // 's always; n't after a stem of two or more letters; 'd and 'm after pronouns.
                    ok =
                        t0 == 0x73 || (t0 == 0x74 && a - 2 > r.lowerBound && lower(a - 1) == 0x6E)
                        || ((t0 == 0x6D || t0 == 0x64) && isPronoun(b, r.lowerBound..<a))
                } else {
                    let t1 = lower(end - 1)
                    ok = (t0 == 0x72 && t1 == 0x65) || (t0 == 0x6C && t1 == 0x6C) || (t0 == 0x76 && t1 == 0x65)
                }
                if ok {
                    // n't keeps the n with the clitic.
                    split = (tail == 1 && t0 == 0x74) ? a - 1 : a
                }
            }
            if split >= 0 { break }
        }
        if split > r.lowerBound {
            starts.append(r.lowerBound)
            ends.append(split)
            isWordSegment.append(true)
            starts.append(split)
            ends.append(end)
            isWordSegment.append(true)
        } else {
            starts.append(r.lowerBound)
            ends.append(end)
            isWordSegment.append(true)
        }
    }

    /// Code points in token `i` (Python `len(word)`).
    @inline(__always)
    func charCount(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int { codePointCount(b, starts[i]..<ends[i]) }

    /// Whether token `i` has a letter (Python `any(c.isalpha() for c in w)`: categories L*).
    func hasAlpha(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        var j = starts[i]
        let end = ends[i]
        while j < end {
            let (c, l) = decodeScalar(b, at: j)
            if isLetter(c) { return true }
            j += l
        }
        return false
    }

    /// Whether token `i` has a character outside datatrove's punctuation set (a "non-symbol word").
    func hasNonPunctuation(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        var j = starts[i]
        let end = ends[i]
        while j < end {
            let (c, l) = decodeScalar(b, at: j)
            if !isDatatrovePunctuation(c) { return true }
            j += l
        }
        return false
    }

    /// xxHash64 of token `i`'s bytes.
    @inline(__always)
    func hash(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt64 {
        xxHash64(b, starts[i]..<ends[i])
    }

    /// Whether token `i` equals `word` byte for byte.
    @inline(__always)
    func equals(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ word: [UInt8]) -> Bool {
        let s = starts[i]
        guard ends[i] - s == word.count else { return false }
        for k in 0..<word.count where b[s + k] != word[k] { return false }
        return true
    }
}

/// spaCy's ALPHA class (char_classes.py): letters, plus the CJK symbol and punctuation blocks
/// (`。`, `、`, `「`) and the combining marks of Hebrew and Indic scripts that it lists as letters.
@inline(__always)
func isSpaCyAlpha(_ c: UInt32) -> Bool {
    if c < 0x80 { return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
    if (c >= 0x2E80 && c <= 0x33FF) || (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0x0591 && c <= 0x05F4)
        || (c >= 0x0900 && c <= 0x0DFF)
    {
        return true
    }
    return isLetter(c)
}

/// Python `str.isalpha()` for one code point: general categories Lu, Ll, Lt, Lm, Lo.
@inline(__always)
func isLetter(_ c: UInt32) -> Bool {
    if c < 0x80 { return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
    let t = sluice_icu_char_type(c)
    return t >= 1 && t <= 5
}

/// Membership in datatrove's `PUNCTUATION_SET`.
@inline(__always)
func isDatatrovePunctuation(_ c: UInt32) -> Bool {
    if c < 0x80 { return asciiPunctuationMask & (1 << UInt128(c)) != 0 }
    return tableContains(punctuationTable, c)
}

/// The ASCII part of datatrove's punctuation set as a 128-bit mask: controls except \t and \n,
/// the ASCII punctuation, and DEL.
private let asciiPunctuationMask: UInt128 = {
    var m: UInt128 = 0
    for c in punctuationTable where c < 0x80 { m |= 1 << UInt128(c) }
    return m
}()

/// Punctuation spaCy splits off a chunk's start or end: datatrove's punctuation set plus ICU's
/// punctuation and symbol categories.
@inline(__always)
func isSplittablePunctuation(_ c: UInt32) -> Bool {
    if c < 0x80 { return isDatatrovePunctuation(c) && c != 0x5F && c != 0x23 && c != 0x40 && c != 0x2F }
    if isDatatrovePunctuation(c) { return true }
    let t = sluice_icu_char_type(c)
    return t >= 19 && t <= 29 && t != 24 && t != 26
}

@inline(__always)
func isUppercase(_ c: UInt32) -> Bool { sluice_icu_char_type(c) == 1 }

/// spaCy English prefixes: LIST_PUNCT, LIST_QUOTES, currency and § % = — – +.
@inline(__always)
func isSpaCyPrefix(_ c: UInt32) -> Bool {
    switch c {
    case 0x24, 0xA3, 0x20AC, 0xA5, 0x20B9, 0xA7, 0x25, 0x3D, 0x2B: return true
    default: return isSpaCySuffix(c)
    }
}

/// spaCy English suffixes (and prefixes): LIST_PUNCT, LIST_QUOTES, — and –.
@inline(__always)
func isSpaCySuffix(_ c: UInt32) -> Bool {
    switch c {
    case 0x2C, 0x3A, 0x3B, 0x21, 0x3F, 0xBF, 0x61F, 0xA1, 0x28, 0x29, 0x5B, 0x5D, 0x7B, 0x7D, 0x3C, 0x3E, 0x5F, 0x23,
        0x2A, 0x26, 0x3002, 0xFF1F, 0xFF01, 0xFF0C, 0x3001, 0xFF1B, 0xFF1A, 0xFF5E, 0xB7, 0x964, 0x60C, 0x6D4, 0x61B,
        0x66A, 0x2026:
        return true
    case 0x27, 0x22, 0x201D, 0x201C, 0x60, 0x2018, 0xB4, 0x2019, 0x201A, 0x201E, 0xBB, 0xAB, 0x300C, 0x300D, 0x300E,
        0x300F, 0xFF08, 0xFF09, 0x3014, 0x3015, 0x3010, 0x3011, 0x300A, 0x300B, 0x3008, 0x3009, 0x27E6, 0x27E7:
        return true
    case 0x2014, 0x2013: return true
    default: return false
    }
}

/// `b[r]` equals the lowercase ASCII `word`, ignoring ASCII case.
func asciiLowercaseEquals(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ word: StaticString) -> Bool {
    guard r.count == word.utf8CodeUnitCount else { return false }
    let p = word.utf8Start
    for k in 0..<r.count {
        var c = b[r.lowerBound + k]
        if c >= 65 && c <= 90 { c += 32 }
        if c != p[k] { return false }
    }
    return true
}

/// A chunk that is itself a clitic token in spaCy (`'s`, `'d`, `'em`, `n't` …).
func isWholeClitic(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
    // Each clitic is 2-5 bytes starting with ', ’ (E2) or n: nearly every chunk skips the list.
    guard r.count >= 2 && r.count <= 5 else { return false }
    let c = b[r.lowerBound]
    guard c == 0x27 || c == 0xE2 || c | 0x20 == 0x6E else { return false }
    for w: StaticString in ["'s", "'d", "'m", "'ll", "'re", "'ve", "'em", "n't", "’s", "’d", "’m", "’ll", "’re", "’ve"]
    where asciiLowercaseEquals(b, r, w) {
        return true
    }
    return false
}

/// Pronouns that take `'d` and `'m` as separate tokens in spaCy (`I'm`, `you'd`).
func isPronoun(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
    for w: StaticString in ["i", "you", "he", "she", "it", "we", "they", "who", "what", "there", "that"]
    where asciiLowercaseEquals(b, r, w) {
        return true
    }
    return false
}

/// spaCy English special cases ending in a period, kept whole (`Dr.`, `e.g.`, `a.`; case-sensitive,
/// so `etc.` and `jan.` split). `r` includes the period.
func isAbbreviation(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
    guard r.count <= 8 else { return false }
    return contains(spaCyAbbreviations, b, r)
}

/// Whether `b[r]` is one of `list`'s byte strings.
private func contains(_ list: [[UInt8]], _ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
    guard !r.isEmpty else { return false }
    let first = b[r.lowerBound]
    // The first byte rules out nearly every entry before its bytes are compared.
    for w in list where w.count == r.count && w[0] == first {
        var same = true
        for k in 0..<w.count where b[r.lowerBound + k] != w[k] {
            same = false
            break
        }
        if same { return true }
    }
    return false
}

private let spaCyAbbreviations: [[UInt8]] = [
    "Adm.", "Ak.", "Ala.", "Apr.", "Ariz.", "Ark.", "Aug.", "Bros.", "Calif.", "Co.", "Colo.",
    "Conn.", "Corp.", "D.C.",
    "Dec.", "Del.", "Dr.", "E.G.", "E.g.", "Feb.", "Fla.", "Ga.", "Gen.", "Gov.", "I.E.", "I.e.",
    "Ia.", "Id.", "Ill.",
    "Inc.", "Ind.", "Jan.", "Jr.", "Jul.", "Jun.", "Kan.", "Kans.", "Ky.", "La.", "Ltd.", "Mar.",
    "Mass.", "Md.",
    "Messrs.", "Mich.", "Minn.", "Miss.", "Mo.", "Mont.", "Mr.", "Mrs.", "Ms.", "Mt.", "N.C.", "N.D.",
    "N.H.", "N.J.",
    "N.M.", "N.Y.", "Neb.", "Nebr.", "Nev.", "Nov.", "Oct.", "Okla.", "Ore.", "Pa.", "Ph.D.", "Prof.",
    "Rep.", "Rev.",
    "S.C.", "Sen.", "Sep.", "Sept.", "St.", "Tenn.", "Va.", "Wash.", "Wis.", "a.m.", "co.", "e.g.",
    "i.e.", "p.m.",
    "v.s.", "vs.", "°C.", "°F.", "°K.", "°c.", "°f.", "°k.", "ä.", "ö.", "ü.", "a.", "b.", "c.", "d.",
    "e.", "f.", "g.",
    "h.", "i.", "j.", "k.", "l.", "m.", "n.", "o.", "p.", "q.", "r.", "s.", "t.", "u.", "v.", "w.",
    "x.", "y.", "z.",
].map { Array($0.utf8) }

/// spaCy English special cases made only of punctuation (emoticons, `''`): one token each.
func isSpaCySpecialPunctuation(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
    guard r.count >= 1, r.count <= 36 else { return false }
    let first = b[r.lowerBound]
    if first < 0x80
        && ((first | 0x20 >= 0x61 && first | 0x20 <= 0x7A) || (first >= 0x30 && first <= 0x39))
    {
        return false  // every special here starts with punctuation
    }
    return contains(spaCyPunctuationSpecials, b, r)
}

private let spaCyPunctuationSpecials: [[UInt8]] = [
    "''", "(*_*)", "(-:", "(-;", "(-_-)", "(._.)", "(:", "(;", "(=", "(>_<)", "(^_^)", "(¬_¬)",
    "(╯°□°）╯︵┻━┻", ")-:",
    "):", "-_-", "-__-", "._.", ":'(", ":')", ":'-(", ":'-)", ":(", ":((", ":(((", ":()", ":)", ":))",
    ":)))", ":*",
    ":-(", ":-((", ":-(((", ":-)", ":-))", ":-)))", ":-*", ":-/", ":->", ":-]", ":-|", ":-}", ":/",
    ":>", ":]", ":|",
    ":}", ":’(", ":’)", ":’-(", ":’-)", ";)", ";-)", ";_;", "<.<", "=(", "=)", "=/", "=[", "=]", "=|",
    ">.<", ">.>",
    ">:(", "><(((*>", "@_@", "[-:", "[:", "[=", "\\\")", "]=", "^_^", "^__^", "^___^", "’’",
].map { Array($0.utf8) }

/// spaCy's UNITS (char_classes.py), split off a number they follow (`780MB` → `780` `MB`).
private let spaCyUnits: [[UInt8]] = [
    "km", "km²", "km³", "m", "m²", "m³", "dm", "dm²", "dm³", "cm", "cm²", "cm³", "mm", "mm²", "mm³",
    "ha", "µm", "nm",
    "yd", "in", "ft", "kg", "g", "mg", "µg", "t", "lb", "oz", "m/s", "km/h", "kmh", "mph", "hPa",
    "Pa", "mbar", "mb",
    "MB", "kb", "KB", "gb", "GB", "tb", "TB", "T", "G", "M", "K", "%", "км", "км²", "км³", "м", "м²",
    "м³", "дм", "дм²",
    "дм³", "см", "см²", "см³", "мм", "мм²", "мм³", "нм", "кг", "г", "мг", "м/с", "км/ч", "кПа", "Па",
    "мбар", "Кб",
    "КБ", "кб", "Мб", "МБ", "мб", "Гб", "ГБ", "гб", "Тб", "ТБ", "тбكم", "كم²", "كم³", "م", "م²", "م³",
    "سم", "سم²",
    "سم³", "مم", "مم²", "مم³", "كم", "غرام", "جرام", "جم", "كغ", "ملغ", "كوب", "اكواب",
].map { Array($0.utf8) }

/// Where a unit suffix of `b[r]` starts, if `b[r]` ends with one right after a digit (the longest).
@inline(__always)
func unitSuffixStart(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
    let last = b[r.upperBound - 1]
    // Every unit ends in a letter, %, ², ³ or an Arabic/Cyrillic letter: skip the common case fast.
    if last < 0x80 && !(last == 0x25 || (last | 0x20 >= 0x61 && last | 0x20 <= 0x7A)) { return nil }
    // A unit is at most 10 bytes and follows a digit: words without a digit near their end skip the list.
    var j = r.upperBound - 2
    let stop = max(r.lowerBound, r.upperBound - 11)
    while j >= stop && !(b[j] >= 0x30 && b[j] <= 0x39) { j -= 1 }
    guard j >= stop else { return nil }
    var best: Int?
    for u in spaCyUnits where u.count < r.count {
        let start = r.upperBound - u.count
        let d = b[start - 1]
        guard d >= 0x30 && d <= 0x39 else { continue }
        var same = true
        for k in 0..<u.count where b[start + k] != u[k] {
            same = false
            break
        }
        if same && (best == nil || start < best!) { best = start }
    }
    return best
}

/// Python `str.isupper()`-style capital: A–Z or general category Lu (spaCy's ALPHA_UPPER).
@inline(__always)
func isUppercaseLetter(_ c: UInt32) -> Bool {
    if c < 0x80 { return c >= 0x41 && c <= 0x5A }
    return isUppercase(c)
}

/// spaCy's URL_MATCH (spacy/lang/tokenizer_exceptions.py) on a whitespace-free `b[r]`: an optional
/// `scheme://`, optional `user@`, a dotted host name ending in a lowercase top-level label of 2–63
/// letters, an optional `:port` and an optional path after `/`, `?` or `#`. The IP-address branch
/// is left out: a dotted number is one token either way.
func isSpaCyURL(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
    guard r.count >= 4 else { return false }
    var hasDot = false
    for i in r where b[i] == 0x2E {
        hasDot = true
        break
    }
    guard hasDot else { return false }
    // Where the host may start: the beginning, after a scheme, after any `@`.
    var bases = [r.lowerBound]
    var i = r.lowerBound
    while i + 2 < r.upperBound {
        if b[i] == 0x3A && b[i + 1] == 0x2F && b[i + 2] == 0x2F {
            var ok = i - r.lowerBound >= 2
            for j in r.lowerBound..<i {
                let c = b[j]
                let word =
                    (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F
                    || c == 0x2B
                    || c == 0x2D || c == 0x2E
                if !word { ok = false }
            }
            if ok { bases.append(i + 3) }
            break
        }
        i += 1
    }
    for base in bases {
        if hostMatches(b, base..<r.upperBound) { return true }
        var a = base + 1
        while a < r.upperBound {
            if b[a] == 0x40 && hostMatches(b, (a + 1)..<r.upperBound) { return true }
            a += 1
        }
    }
    return false
}

/// `(label.)+ tld (:port)? ([/?#]…)?` to the end of `b[r]` (see `isSpaCyURL`).
private func hostMatches(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
    @inline(__always) func isHostChar(_ c: UInt32) -> Bool {
        (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || (c >= 0x30 && c <= 0x39) || (c >= 0xA1 && c <= 0xFFFF)
    }
    var i = r.lowerBound
    var labels = 0
    while i < r.upperBound {
        // One run of host characters, `_` and `-`.
        let start = i
        var first: UInt32 = 0
        var last: UInt32 = 0
        var chars = 0
        var allLower = true
        while i < r.upperBound {
            let (c, l) = decodeScalar(b, at: i)
            guard isHostChar(c) || c == 0x5F || c == 0x2D else { break }
            if chars == 0 { first = c }
            last = c
            chars += 1
            if !((c >= 0x61 && c <= 0x7A) || (c >= 0x80 && sluice_icu_char_type(c) == 2)) {
                allLower = false
            }
            i += l
        }
        if i < r.upperBound && b[i] == 0x2E {
            guard chars >= 1, chars <= 64, isHostChar(first), isHostChar(last) else { return false }
            labels += 1
            i += 1
            continue
        }
        // The top-level label, then the port and the path.
        guard labels > 0, i > start, allLower, chars >= 2, chars <= 63 else { return false }
        if i < r.upperBound && b[i] == 0x3A {
            var j = i + 1
            while j < r.upperBound && b[j] >= 0x30 && b[j] <= 0x39 { j += 1 }
            if j - i - 1 >= 2 && j - i - 1 <= 5 { i = j } else { return false }
        }
        return i == r.upperBound || b[i] == 0x2F || b[i] == 0x3F || b[i] == 0x23
    }
    return false
}
