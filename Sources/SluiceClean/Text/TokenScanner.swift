// Splits a document into word tokens the way the reference filters count them: ICU word segments
// (so Chinese, Japanese and Thai get dictionary words) plus punctuation runs as their own tokens,
// as spaCy's tokenizer (which datatrove uses) emits them. Spaces are never tokens. Scratch arrays
// are reused across documents; one scanner per stage instance.
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

    /// Tokenizes `b`: ICU word segments are tokens; adjacent non-space, non-word segments merge into
    /// one punctuation token (`...`, `://`), which is how spaCy keeps most punctuation runs.
    /// - Complexity: O(n) in bytes.
    func scan(_ b: UnsafeBufferPointer<UInt8>) {
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        isWordSegment.removeAll(keepingCapacity: true)
        var pendingStart = -1
        var pendingEnd = -1
        segmenter.forEachSegment(in: b) { range, kind in
            if kind.isWord {
                if pendingStart >= 0 {
                    starts.append(pendingStart)
                    ends.append(pendingEnd)
                    isWordSegment.append(false)
                    pendingStart = -1
                }
                starts.append(range.lowerBound)
                ends.append(range.upperBound)
                isWordSegment.append(true)
                return
            }
            let first = decodeScalar(b, at: range.lowerBound).scalar
            if isPythonWhitespace(first) {
                if pendingStart >= 0 {
                    starts.append(pendingStart)
                    ends.append(pendingEnd)
                    isWordSegment.append(false)
                    pendingStart = -1
                }
                return
            }
            if pendingStart >= 0 && pendingEnd == range.lowerBound {
                pendingEnd = range.upperBound
            } else {
                if pendingStart >= 0 {
                    starts.append(pendingStart)
                    ends.append(pendingEnd)
                    isWordSegment.append(false)
                }
                pendingStart = range.lowerBound
                pendingEnd = range.upperBound
            }
        }
        if pendingStart >= 0 {
            starts.append(pendingStart)
            ends.append(pendingEnd)
            isWordSegment.append(false)
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
func isDatatrovePunctuation(_ c: UInt32) -> Bool { tableContains(punctuationTable, c) }
