// What fired, for kept drops (issue 20.1): gopher_repetition names the repeated line or n-gram,
// wordlist the listed words, classify the score, c4 the matched phrase. One test per explainer,
// on the same texts the drop-reason tests use.
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

/// Runs step `name` on `text`; on a drop, returns the reason and what the step says fired.
func explain(_ name: String, _ text: String, _ options: [String: String] = [:]) throws -> (String, JSONObject)? {
    var step = try makeStep(name, options)
    let context = testContext(name)
    try step.prepare(context: context)
    var doc = Document(id: "t", text: text, source: "test")
    guard case .drop(let reason) = try step.apply(to: &doc, context: context) else { return nil }
    guard let explainer = step as? any DropExplaining, case .object(let o)? = explainer.explainDrop(doc, reason: reason)
    else { return (reason.rawValue, JSONObject()) }
    return (reason.rawValue, o)
}

func matchStrings(_ o: JSONObject) -> [String] { o["match"]?.arrayValue?.compactMap(\.stringValue) ?? [] }

@Suite struct DropExplanationTests {
    @Test func gopherRepetitionNamesTheTopNGram() throws {
        let text = try String(repeating: "buy now ", count: 40) + dolmaDocuments()[0].replacingOccurrences(of: "\n", with: " ")
        let (reason, fired) = try #require(try explain("gopher_repetition", text))
        #expect(reason == "gopher_repetition:top_2_gram")
        #expect(matchStrings(fired).first == "buy now")
        #expect(fired["count"] == .int(40))
    }

    @Test func gopherRepetitionNamesTheRepeatedLine() throws {
        let lines = try fixtureText("shakespeare-60-lines.txt").split(separator: "\n").prefix(4)
        let text = (lines + lines + lines).joined(separator: "\n")
        let (reason, fired) = try #require(try explain("gopher_repetition", text))
        #expect(reason == "gopher_repetition:dup_line_frac")
        #expect(matchStrings(fired).first == String(lines.first!))
        #expect(fired["count"] == .int(3))
    }

    @Test func gopherRepetitionNamesARepeatedFiveGram() throws {
        let d = try dolmaDocuments().map { $0.replacingOccurrences(of: "\n", with: " ") }
        let text = [d[0], d[1], d[0]].joined(separator: " ")
        let (reason, fired) = try #require(try explain("gopher_repetition", text))
        #expect(reason == "gopher_repetition:dup_5_gram")
        let first = try #require(matchStrings(fired).first)
        #expect(d[0].contains(first))
        #expect(text.components(separatedBy: first).count - 1 >= 2)  // it does repeat
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

    @Test func classifyGivesTheScoreAndThreshold() throws {
        let model = try TestSupport.temporaryDirectory("explain") + "/spam.slcm"
        try TextClassifierTests().trainSpam().write(to: model)
        let text = "WINNER!! You have won a £1000 cash prize. Call 09061701461 now to claim. T&C apply"
        let (reason, fired) = try #require(
            try explain("classify", text, ["model": model, "label": "spam", "threshold": "0.5"]))
        #expect(reason == "classify:spam")
        #expect((fired["score"]?.doubleValue ?? 0) > 0.5)
        #expect(fired["threshold"] == .double(0.5))
        #expect(fired["direction"] == .string("drop_above"))
    }

    @Test func c4NamesThePhraseThatDroppedThePage() throws {
        let (reason, fired) = try #require(
            try explain("c4", "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor."))
        #expect(reason == "c4:lorem_ipsum")
        #expect(matchStrings(fired) == ["lorem ipsum"])
    }
}
