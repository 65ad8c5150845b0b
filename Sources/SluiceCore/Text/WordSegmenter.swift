// Word segmentation with ICU's word-break rules (UAX #29 plus dictionaries for Chinese, Japanese,
// Khmer, Lao, Myanmar and Thai), shared by every filter that counts words and by dedup shingling.
// It reports segments as UTF-8 byte ranges; it does not normalize or lowercase.
internal import CICUShim

/// What an ICU word-break segment holds, from its rule status.
public enum WordKind: Sendable, Equatable {
    /// Spaces, punctuation, symbols: not a word.
    case none
    case number
    case letter
    case kana
    case ideographic

    init(ruleStatus: Int32) {
        switch ruleStatus {
        case 100..<200: self = .number
        case 200..<300: self = .letter
        case 300..<400: self = .kana
        case 400..<500: self = .ideographic
        default: self = .none
        }
    }

    /// True for numbers, letters, kana and ideographs.
    public var isWord: Bool { self != .none }
}

/// An ICU word-break iterator. One per task or thread: not thread safe, reused across documents.
public final class WordSegmenter {
    private let iterator: UnsafeMutableRawPointer

    /// - Parameter locale: an ICU locale id; "" (root) segments every script.
    /// - Throws: `SluiceError(.library)` when ICU cannot open the iterator.
    public init(locale: String = "") throws {
        var status: Int32 = 0
        guard let it = sluice_icu_wordbreak_open(locale, &status), status <= 0 else {
            throw SluiceError(.library, "ICU word-break iterator for locale '\(locale)' failed (UErrorCode \(status))")
        }
        iterator = it
    }

    deinit { sluice_icu_wordbreak_close(iterator) }

    /// Calls `body` for every segment of `text` (words, spaces and punctuation alike), in order,
    /// with its byte range in `text` and its kind.
    /// - Complexity: O(n) in the bytes of `text`.
    public func forEachSegment(in text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>, WordKind) -> Void) {
        guard let base = text.baseAddress, !text.isEmpty else { return }
        var status: Int32 = 0
        sluice_icu_wordbreak_set_text(iterator, base, Int64(text.count), &status)
        guard status <= 0 else { return }
        var start = 0
        var rule: Int32 = 0
        while true {
            let end = Int(sluice_icu_wordbreak_next(iterator, &rule))
            if end < 0 { break }
            body(start..<end, WordKind(ruleStatus: rule))
            start = end
        }
    }

    /// Calls `body` for every word (segments of kind number, letter, kana or ideographic).
    public func forEachWord(in text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>, WordKind) -> Void) {
        forEachSegment(in: text) { range, kind in if kind.isWord { body(range, kind) } }
    }

    /// The words of `text` as strings (convenient in tests and cold paths; allocates).
    public func words(in text: String) -> [String] {
        var text = text
        return text.withUTF8 { buf in
            var out: [String] = []
            forEachWord(in: buf) { r, _ in
                out.append(String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self))
            }
            return out
        }
    }

    /// The number of words in `text`.
    public func countWords(in text: String) -> Int {
        var text = text
        return text.withUTF8 { buf in
            var n = 0
            forEachWord(in: buf) { _, _ in n += 1 }
            return n
        }
    }
}
