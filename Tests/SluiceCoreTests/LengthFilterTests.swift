// length: each bound in characters and words, the reason strings, word counts, inverted bounds.
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct LengthFilterTests {
    func verdict(_ text: String, _ values: [(String, String)]) throws -> Verdict {
        try StageHarness.verdicts(LengthFilter.self, values, texts: [text])[0]
    }

    @Test func tooShortChars() throws {
        // "héllo" is five characters but six bytes: characters are scalars, not bytes.
        #expect(try verdict("héllo", [("min_chars", "6")]) == .drop(LengthFilter.tooShortChars))
        #expect(try verdict("héllo", [("min_chars", "5")]) == .keep)
    }

    @Test func tooLongChars() throws {
        #expect(try verdict("日本語です", [("max_chars", "4")]) == .drop(LengthFilter.tooLongChars))
        #expect(try verdict("日本語です", [("max_chars", "5")]) == .keep)
    }

    @Test func tooFewWords() throws {
        #expect(try verdict("  one\ttwo\n three  ", [("min_words", "4")]) == .drop(LengthFilter.tooFewWords))
        #expect(try verdict("  one\ttwo\n three  ", [("min_words", "3")]) == .keep)
    }

    @Test func tooManyWords() throws {
        #expect(try verdict("a b c d", [("max_words", "3")]) == .drop(LengthFilter.tooManyWords))
        #expect(try verdict("a b c", [("max_words", "3")]) == .keep)
    }

    @Test func reasonStrings() {
        #expect(LengthFilter.tooShortChars.rawValue == "length:too_short_chars")
        #expect(LengthFilter.tooLongChars.rawValue == "length:too_long_chars")
        #expect(LengthFilter.tooFewWords.rawValue == "length:too_few_words")
        #expect(LengthFilter.tooManyWords.rawValue == "length:too_many_words")
    }

    @Test func wordCounts() {
        for (text, n) in [
            ("", 0), ("   ", 0), ("a", 1), (" a  b ", 2), ("x\u{0B}y\u{0C}z\r\nw", 4), ("non\u{A0}breaking", 1),
        ] {
            #expect(Array(text.utf8).withUnsafeBytes { LengthFilter.wordCount($0) } == n, "\(text)")
        }
    }

    @Test func rejectsInvertedBounds() {
        #expect(throws: SluiceError.self) { _ = try verdict("x", [("min_words", "5"), ("max_words", "2")]) }
        #expect(throws: SluiceError.self) { _ = try verdict("x", [("min_chars", "-1")]) }
    }
}
