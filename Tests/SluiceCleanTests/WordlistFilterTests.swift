// wordlist: listed words drop the page; a missing list is a config error; what fired.
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct WordlistFilterTests {
    @Test func listedWordsDropThePage() throws {
        let list = TestSupport.fixture("clean/ldnoobw-en.txt")
        let clean = try dolmaDocuments()[0]
        #expect(try verdict("wordlist", clean, ["path": list]) == .keep)
        #expect(
            try verdict("wordlist", clean + " What a BITCH of a day.", ["path": list]) == drop("wordlist:listed_words"))
        // Multi-word entries match as phrases; substrings inside words do not match.
        #expect(try verdict("wordlist", clean + " two girls one cup", ["path": list]) == drop("wordlist:listed_words"))
        #expect(try verdict("wordlist", "Scunthorpe and the assessment of classic bass.", ["path": list]) == .keep)
        let (v, d) = try run(
            "wordlist", "anal anal fine words here", ["path": list, "max_fraction": "0.5", "score_key": "bad"])
        #expect(v == .keep)
        #expect(d.metadata["bad"] == .double(0.4))
    }

    @Test func missingListIsAConfigError() throws {
        #expect(throws: SluiceError.self) { try makeStep("wordlist", ["path": "/nonexistent/list.txt"]) }
    }

    @Test func wordlistNamesTheListedWords() throws {
        let list = TestSupport.fixture("clean/ldnoobw-en.txt")
        let clean = try dolmaDocuments()[0]
        let (reason, fired) = try #require(
            try explain("wordlist", clean + " What a BITCH of a day, two girls one cup.", ["path": list]))
        #expect(reason == "wordlist:listed_words")
        #expect(matchStrings(fired) == ["bitch", "two girls one cup"])
        #expect(fired["max_fraction"] == .double(0))
    }
}
