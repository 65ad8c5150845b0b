// gopher_quality: one test per drop reason on real text from Fixtures/clean (Common Crawl documents
// via dolma, Sōseki), altered where a rule needs it, plus keep cases, and what fired for a drop.
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct GopherQualityFilterTests {
    @Test func keepsARealNewsArticle() throws {
        #expect(try verdict("gopher_quality", try dolmaDocuments()[3]) == .keep)
    }

    @Test func wordCount() throws {
        let lines = try fixtureText("shakespeare-60-lines.txt").split(separator: "\n")
        #expect(
            try verdict("gopher_quality", lines[0..<3].joined(separator: "\n")) == drop("gopher_quality:word_count"))
        #expect(try verdict("gopher_quality", "") == drop("gopher_quality:word_count"))
        #expect(
            try verdict("gopher_quality", try dolmaDocuments()[3], ["max_doc_words": "1000"])
                == drop("gopher_quality:word_count"))
    }

    @Test func meanWordLengthOnJapanese() throws {
        let text = try fixtureText("wagahai-excerpt.txt")
        // As datatrove: a clause is one token, so there are too few words.
        #expect(try verdict("gopher_quality", text) == drop("gopher_quality:word_count"))
        // ICU's dictionary splits Japanese into short words; their mean is under 3 characters.
        #expect(try verdict("gopher_quality", text, ["icu_words": "true"]) == drop("gopher_quality:mean_word_length"))
    }

    @Test func hashRatio() throws {
        let text = try dolmaDocuments()[0].split(separator: " ").map { "#" + $0 }.joined(separator: " ")
        #expect(try verdict("gopher_quality", text) == drop("gopher_quality:hash_ratio"))
    }

    @Test func ellipsisRatio() throws {
        let text = try dolmaDocuments()[0].split(separator: " ").joined(separator: "… ")
        #expect(try verdict("gopher_quality", text) == drop("gopher_quality:ellipsis_ratio"))
    }

    @Test func bulletLines() throws {
        let text = try dolmaDocuments()[3].split(separator: "\n").map { "• " + $0 }.joined(separator: "\n")
        #expect(try verdict("gopher_quality", text) == drop("gopher_quality:bullet_lines"))
    }

    @Test func ellipsisLines() throws {
        let text = try dolmaDocuments()[3].split(separator: "\n").map { $0 + "..." }.joined(separator: "\n")
        #expect(try verdict("gopher_quality", text) == drop("gopher_quality:ellipsis_lines"))
    }

    @Test func alphaWords() throws {
        let text = try dolmaDocuments()[0] + " " + (1...200).map(String.init).joined(separator: " ")
        #expect(try verdict("gopher_quality", text) == drop("gopher_quality:alpha_words"))
    }

    @Test func stopWords() throws {
        // Shakespeare's speaker list has no stop words; a real article has all eight, so asking for
        // nine distinct ones (more than the list holds) must fire too.
        let names = Array(repeating: "First Citizen Citizens Menenius Agrippa Caius Marcius Coriolanus", count: 8)
        #expect(try verdict("gopher_quality", names.joined(separator: "\n")) == drop("gopher_quality:stop_words"))
        #expect(
            try verdict("gopher_quality", try dolmaDocuments()[3], ["min_stop_words": "9"])
                == drop("gopher_quality:stop_words"))
    }

    @Test func allCombiningMarksIsANamedDrop() throws {
        let marks = String(repeating: "\u{301}\u{308}\u{327}", count: 2000)
        #expect(try verdict("gopher_quality", marks) == drop("gopher_quality:word_count"))
        // One line, one token, no n-grams: nothing repeats.
        #expect(try verdict("gopher_repetition", marks) == .keep)
        #expect(try verdict("fineweb", marks) == drop("fineweb:line_punct_ratio"))
        #expect(try verdict("c4", marks) == drop("c4:too_few_sentences"))
    }

    @Test func gopherQualityGivesTheWordCount() throws {
        let lines = try fixtureText("shakespeare-60-lines.txt").split(separator: "\n")
        let (reason, fired) = try #require(try explain("gopher_quality", lines[0..<3].joined(separator: "\n")))
        #expect(reason == "gopher_quality:word_count")
        #expect((fired["words"]?.doubleValue ?? 99) < 50)
        #expect(fired["min_doc_words"] == .int(50))
    }

    @Test func gopherQualityGivesTheMeanWordLength() throws {
        let (reason, fired) = try #require(
            try explain("gopher_quality", try fixtureText("wagahai-excerpt.txt"), ["icu_words": "true"]))
        #expect(reason == "gopher_quality:mean_word_length")
        #expect((fired["mean_word_length"]?.doubleValue ?? 9) < 3)
        #expect(fired["min_avg_word_length"] == .double(3))
    }

    @Test func gopherQualityNamesTheSymbols() throws {
        let words = try dolmaDocuments()[0].split(separator: " ")
        let (hashReason, hashes) = try #require(
            try explain("gopher_quality", words.map { "#" + $0 }.joined(separator: " ")))
        #expect(hashReason == "gopher_quality:hash_ratio")
        #expect(matchStrings(hashes) == ["#"])
        #expect((hashes["ratio"]?.doubleValue ?? 0) > 0.1)
        let (ellipsisReason, ellipses) = try #require(try explain("gopher_quality", words.joined(separator: "… ")))
        #expect(ellipsisReason == "gopher_quality:ellipsis_ratio")
        #expect(matchStrings(ellipses) == ["...", "…"])
    }

    @Test func gopherQualityNamesTheBulletAndEllipsisLines() throws {
        let lines = try dolmaDocuments()[3].split(separator: "\n")
        let (bulletReason, bullets) = try #require(
            try explain("gopher_quality", lines.map { "• " + $0 }.joined(separator: "\n")))
        #expect(bulletReason == "gopher_quality:bullet_lines")
        #expect(matchStrings(bullets).count == 5)
        #expect(matchStrings(bullets).allSatisfy { $0.hasPrefix("• ") })
        #expect(bullets["ratio"] == .double(1))
        let (ellipsisReason, ends) = try #require(
            try explain("gopher_quality", lines.map { $0 + "..." }.joined(separator: "\n")))
        #expect(ellipsisReason == "gopher_quality:ellipsis_lines")
        #expect(matchStrings(ends).allSatisfy { $0.hasSuffix("...") })
        #expect(ends["max_ellipsis_lines_ratio"] == .double(0.3))
    }

    @Test func gopherQualityNamesWordsWithoutLetters() throws {
        let text = try dolmaDocuments()[0] + " " + (1...200).map(String.init).joined(separator: " ")
        let (reason, fired) = try #require(try explain("gopher_quality", text))
        #expect(reason == "gopher_quality:alpha_words")
        #expect(matchStrings(fired).contains("1"))
        #expect(matchStrings(fired).count == 10)
        #expect((fired["ratio"]?.doubleValue ?? 1) < 0.8)
    }

    @Test func gopherQualityListsTheStopWordsPresent() throws {
        let (reason, fired) = try #require(
            try explain("gopher_quality", try dolmaDocuments()[3], ["min_stop_words": "9"]))
        #expect(reason == "gopher_quality:stop_words")
        #expect(fired["stop_words_present"]?.arrayValue?.count == 8)
        #expect(fired["min_stop_words"] == .int(9))
        #expect(fired["match"] == nil)
    }
}
