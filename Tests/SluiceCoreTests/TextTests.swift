// ICU word segmentation, normalization and xxHash64 against known answers.
import SluiceCore
import Testing

@Suite struct TextTests {
    @Test func segmentsEnglishWords() throws {
        let s = try WordSegmenter()
        #expect(s.words(in: "The cat's 3 hats, isn't it?") == ["The", "cat's", "3", "hats", "isn't", "it"])
    }

    @Test func segmentsJapaneseAndChineseWithDictionaries() throws {
        let s = try WordSegmenter()
        // ICU's dictionary splits unspaced CJK text into several words, never one run.
        #expect(s.countWords(in: "吾輩は猫である。名前はまだ無い。") >= 6)
        #expect(s.countWords(in: "我们今天去公园散步") >= 3)
    }

    @Test func normalizesForms() throws {
        #expect(try UnicodeNormalizer(form: .nfkc).normalize("ﬁne ①") == "fine 1")
        #expect(try UnicodeNormalizer(form: .nfc).normalize("e\u{301}") == "é")
        #expect(try UnicodeNormalizer(form: .nfd).normalize("é").unicodeScalars.count == 2)
        #expect(try UnicodeNormalizer(form: .nfkcCasefold).normalize("Straße ABC") == "strasse abc")
        #expect(try UnicodeNormalizer(form: .nfc).foldCase("ÀB") == "àb")
        #expect(UnicodeNormalizer(form: .nfc).isNormalized("plain ascii"))
        #expect(!UnicodeNormalizer(form: .nfc).isNormalized("e\u{301}"))
    }

    @Test func xxHash64KnownVectors() {
        #expect(xxHash64("", seed: 0) == 0xEF46_DB37_51D8_E999)
        #expect(xxHash64("a", seed: 0) == 0xD24E_C4F1_A98C_6E5B)
        #expect(xxHash64("abc", seed: 0) == 0x44BC_2CF5_AD77_0999)
    }
}
