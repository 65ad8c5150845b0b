// Splits a document into word tokens the way the reference filters count them: ICU word segments
// (so Chinese, Japanese and Thai get dictionary words) plus punctuation runs as their own tokens,
// as spaCy's tokenizer (which datatrove uses) emits them: a punctuation run splits into runs of
// one repeated character (`),` → `)` `,`; `...` stays whole) and English clitics split off
// (`don't` → `do` `n't`, `cat's` → `cat` `'s`). Spaces are never tokens. Scratch arrays are
// reused across documents; one scanner per stage instance.
internal import CICUShim
import SluiceCore

/// Word tokens of one document as byte ranges, with lazily computed per-token facts.
final class TokenScanner {
    private let segmenter: WordSegmenter
    /// Token byte ranges in the last scanned text.
    private(set) var starts: [Int] = []
    private(set) var ends: [Int] = []
    /// ICU said the token is a word (letters, numbers, kana, ideographs) rather than punctuation.
    private(set) var isWordSegment: [Bool] = []

    init() {
        do { segmenter = try WordSegmenter() } catch { preconditionFailure("ICU root word-break iterator: \(error)") }
    }

    var count: Int { starts.count }

    /// Tokenizes `b` (see the file comment for how it follows spaCy).
    /// - Complexity: O(n) in bytes.
    func scan(_ b: UnsafeBufferPointer<UInt8>) {
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
                if d >= 0x0E00 && isUnspacedScript(d) { needsICU = true }
                i += dl
            }
            if needsICU { scanWithICU(b, start..<i) } else { scanChunk(b, start..<i) }
        }
    }

    /// Unspaced scripts (Thai, Lao, Myanmar, Khmer, CJK, kana): ICU's dictionaries find their words.
    @inline(__always)
    private func isUnspacedScript(_ c: UInt32) -> Bool {
        (c >= 0x0E00 && c <= 0x0EFF) || (c >= 0x1000 && c <= 0x109F) || (c >= 0x1780 && c <= 0x17FF)
            || (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF66 && c <= 0xFF9F)
            || (c >= 0x20000 && c <= 0x3FFFF)
    }

    private func append(_ r: Range<Int>, word: Bool) {
        guard !r.isEmpty else { return }
        starts.append(r.lowerBound)
        ends.append(r.upperBound)
        isWordSegment.append(word)
    }

    /// ICU word segments of a chunk; punctuation between them as runs of one character.
    private func scanWithICU(_ b: UnsafeBufferPointer<UInt8>, _ chunk: Range<Int>) {
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
    private func scanChunk(_ b: UnsafeBufferPointer<UInt8>, _ chunk: Range<Int>) {
        var lo = chunk.lowerBound
        var hi = chunk.upperBound
        // Prefixes, one character at a time (a run of dots stays one token).
        while lo < hi {
            let (c, l) = decodeScalar(b, at: lo)
            guard isSpaCyPrefix(c), lo + l < hi, !isWholeClitic(b, lo..<hi) else { break }
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
                let p = decodeScalar(b, at: previousScalarStart(b, before: s)).scalar
                let splits = (p >= 0x61 && p <= 0x7A) || (p >= 0x30 && p <= 0x39) || p == 0x25
                    || isSpaCySuffix(p) || (p >= 0x80 && isLetter(p) && !isUppercase(p))
                guard splits, !isAbbreviation(b, lo..<s) else { break }
                suffixes.append(s..<hi)
                hi = s
                continue
            }
            guard isSpaCySuffix(c), s > lo else { break }
            suffixes.append(s..<hi)
            hi = s
        }
        suffixStart = hi
        _ = suffixStart
        // `9pm`, `11am`: an hour followed by am/pm splits.
        if hi - lo >= 3 && hi - lo <= 4, (b[hi - 1] | 0x20) == 0x6D, (b[hi - 2] | 0x20) == 0x61 || (b[hi - 2] | 0x20) == 0x70
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
                    let asciiAlnum = { (x: UInt32) in (x | 0x20 >= 0x61 && x | 0x20 <= 0x7A) || (x >= 0x30 && x <= 0x39) }
                    let asciiLetter = { (x: UInt32) in x | 0x20 >= 0x61 && x | 0x20 <= 0x7A }
                    let split: Bool
                    switch c {
                    case 0x2D:
                        split = ((isLetter(p) || pDigit) && isLetter(q)) || (pDigit && (qDigit || q == 0x2D))
                    case 0x2013, 0x2014, 0x7E: split = (isLetter(p) || pDigit) && isLetter(q)
                    case 0x2B, 0x2A, 0x5E: split = pDigit && (qDigit || q == 0x2D)
                    case 0x2C: split = isLetter(p) && isLetter(q)
                    default: split = asciiAlnum(p) && asciiLetter(q)
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
    private func appendWord(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) {
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
                    ok = t0 == 0x73 || (t0 == 0x74 && a - 2 > r.lowerBound && lower(a - 1) == 0x6E)
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
        hashBytes(b, starts[i]..<ends[i])
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

/// Abbreviations whose final period spaCy keeps (`Dr.`, `Mr.`, `etc.`).
func isAbbreviation(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
    for w: StaticString in [
        "dr", "mr", "mrs", "ms", "st", "jr", "sr", "vs", "etc", "inc", "ltd", "co", "corp", "prof", "gen", "rep", "sen",
        "gov", "mt", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "e.g", "i.e",
    ] where asciiLowercaseEquals(b, r, w) {
        return true
    }
    return false
}
