// WordSegmenter: English words, and Japanese and Chinese with the ICU dictionaries.
import SluiceCore
import Testing

@Suite struct WordSegmenterTests {
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
}
