// c4: line removal, each drop reason and the presets, on real text from Fixtures/clean, and what fired.
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct C4QualityStepTests {
    @Test func keepsTerminatedLinesAndRemovesTheRest() throws {
        let (v, doc) = try run(
            "c4",
            """
            Home | About | Contact
            The library opens at nine in the morning on weekdays.
            We use cookies to improve your experience on this site.
            Please enable JavaScript to view the comments below.
            Children under twelve must be accompanied by an adult [1].
            The reading room is closed on public holidays.
            Members may borrow up to ten books at a time.
            Late returns are charged a small fee per day.
            """)
        #expect(v == .keep)
        #expect(
            doc.text == """
                The library opens at nine in the morning on weekdays.
                Children under twelve must be accompanied by an adult .
                The reading room is closed on public holidays.
                Members may borrow up to ten books at a time.
                Late returns are charged a small fee per day.
                """)
    }

    @Test func loremIpsum() throws {
        let text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n" + (try dolmaDocuments()[3])
        #expect(try verdict("c4", text) == drop("c4:lorem_ipsum"))
    }

    @Test func curlyBracket() throws {
        let text = "The function body is written as { return x; } in C.\n" + (try dolmaDocuments()[3])
        #expect(try verdict("c4", text) == drop("c4:curly_bracket"))
    }

    @Test func tooFewSentences() throws {
        #expect(try verdict("c4", try dolmaDocuments()[0]) == drop("c4:too_few_sentences"))
    }

    @Test func presetsDisagreeOnShortLines() throws {
        // Four-word lines: kept by the paper preset (min 3 words), dropped by tfds (min 5).
        let text = (1...6).map { "This is line \($0)." }.joined(separator: "\n")
        #expect(try verdict("c4", text, ["preset": "paper"]) == .keep)
        #expect(try verdict("c4", text, ["preset": "tfds"]) == drop("c4:too_few_sentences"))
        #expect(throws: SluiceError.self) { try makeStep("c4", ["preset": "nonsense"]) }
    }

    @Test func c4NamesThePhraseThatDroppedThePage() throws {
        let (reason, fired) = try #require(
            try explain("c4", "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor."))
        #expect(reason == "c4:lorem_ipsum")
        #expect(matchStrings(fired) == ["lorem ipsum"])
    }
}
