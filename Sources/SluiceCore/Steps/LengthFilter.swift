// The `length` filter: bounds on characters (Unicode scalars) and words (runs of non-whitespace
// bytes). Counted on the UTF-8 bytes in one pass; no word segmentation (ICU's lives elsewhere).

/// Drops documents that are too short or too long, in characters or in words.
///
/// Characters are Unicode scalars; words are maximal runs of bytes other than ASCII whitespace
/// (space, `\t`, `\n`, `\v`, `\f`, `\r`), as Python's `str.split()` on ASCII text. A bound left
/// out is not checked. Drop reasons, checked in this order: `length:too_short_chars`,
/// `length:too_long_chars`, `length:too_few_words`, `length:too_many_words`.
public struct LengthFilter: Filter {
    public static let name = "length"
    public static let summary = "Drops documents outside a range of characters or words."

    public static let tooShortChars = DropReason("length:too_short_chars")
    public static let tooLongChars = DropReason("length:too_long_chars")
    public static let tooFewWords = DropReason("length:too_few_words")
    public static let tooManyWords = DropReason("length:too_many_words")

    public var minChars: Int
    public var maxChars: Int?
    public var minWords: Int
    public var maxWords: Int?

    public init(options: inout StageOptions) throws {
        minChars = try options.int("min_chars", default: 0, range: 0...Int.max, "fewest characters kept")
        maxChars = try options.optionalInt("max_chars", range: 0...Int.max, "most characters kept")
        minWords = try options.int("min_words", default: 0, range: 0...Int.max, "fewest words kept")
        maxWords = try options.optionalInt("max_words", range: 0...Int.max, "most words kept")
        if let maxChars, maxChars < minChars { throw options.error("max_chars", "is below min_chars") }
        if let maxWords, maxWords < minWords { throw options.error("max_words", "is below min_words") }
    }

    public init(minChars: Int = 0, maxChars: Int? = nil, minWords: Int = 0, maxWords: Int? = nil) {
        self.minChars = minChars
        self.maxChars = maxChars
        self.minWords = minWords
        self.maxWords = maxWords
    }

    public mutating func verdict(for document: inout Document, context: TaskContext) -> Verdict {
        var text = document.text
        return text.withUTF8 { verdict(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The verdict for UTF-8 text.
    public func verdict(bytes: UnsafeRawBufferPointer) -> Verdict {
        if minChars > 0 || maxChars != nil {
            let chars = UTF8Text.scalarCount(bytes)
            if chars < minChars { return .drop(Self.tooShortChars) }
            if let maxChars, chars > maxChars { return .drop(Self.tooLongChars) }
        }
        if minWords > 0 || maxWords != nil {
            let words = Self.wordCount(bytes)
            if words < minWords { return .drop(Self.tooFewWords) }
            if let maxWords, words > maxWords { return .drop(Self.tooManyWords) }
        }
        return .keep
    }

    /// Runs of bytes other than ASCII whitespace.
    public static func wordCount(_ bytes: UnsafeRawBufferPointer) -> Int {
        var words = 0
        var inWord = false
        for b in bytes {
            let space = b == 0x20 || (b >= 0x09 && b <= 0x0D)
            if !space && !inWord { words += 1 }
            inWord = !space
        }
        return words
    }
}
