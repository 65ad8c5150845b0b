// What fired, for kept drops (issue 20.1): gopher_repetition names the repeated line or n-gram,
// wordlist the listed words, classify the score, c4 the matched phrase, fineweb, gopher_quality and
// spam_heuristics the ratio and the lines or words behind it. One test per explainer and reason, on
// the same texts the drop-reason tests use.
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
        let text =
            try String(repeating: "buy now ", count: 40) + dolmaDocuments()[0].replacingOccurrences(of: "\n", with: " ")
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

    // MARK: fineweb

    @Test func finewebGivesTheLinePunctuationRatio() throws {
        let names = ["First Citizen:", "All:", "Second Citizen:", "MENENIUS:", "CORIOLANUS:"]
        let text = (names + names.map { $0 + " speaks here at some length about the matter at hand" }).joined(
            separator: "\n")
        let (reason, fired) = try #require(try explain("fineweb", text))
        #expect(reason == "fineweb:line_punct_ratio")
        #expect(fired["ratio"] == .double(0))  // no line ends in terminal punctuation (":" does not count)
        #expect(fired["line_punct_thr"] == .double(0.12))
        #expect(fired["lines"] == .int(10))
    }

    @Test func finewebNamesTheShortLines() throws {
        let short = try fixtureText("shakespeare-60-lines.txt").split(separator: "\n").filter { $0.count <= 30 }.map(
            String.init)
        let (reason, fired) = try #require(try explain("fineweb", short.joined(separator: "\n")))
        #expect(reason == "fineweb:short_line_ratio")
        #expect((fired["ratio"]?.doubleValue ?? 0) > 0.67)
        let lines = matchStrings(fired)
        #expect(lines.count == 5)
        #expect(lines.first == short.first!.trimmingCharacters(in: .whitespaces))
    }

    @Test func finewebNamesTheRepeatedLine() throws {
        let d = try dolmaDocuments()[2]
        let first = String(d.split(separator: "\n")[0])
        let (reason, fired) = try #require(try explain("fineweb", d + "\n" + first))
        #expect(reason == "fineweb:char_dup_ratio")
        #expect(matchStrings(fired) == [String(first.trimmingCharacters(in: .whitespaces).prefix(200))])
        #expect((fired["ratio"]?.doubleValue ?? 0) > 0.01)
        #expect(fired["char_duplicates_ratio"] == .double(0.01))
    }

    @Test func finewebGivesTheNewlinesPerWord() throws {
        let text = (1...20).map { "Item number \($0) is in stock and ships today." }.joined(separator: "\n\n\n\n")
        let (reason, fired) = try #require(try explain("fineweb", text))
        #expect(reason == "fineweb:list_ratio")
        // 76 newlines over 20 × 10 tokens (9 words and the period).
        #expect(fired["words"] == .int(200))
        #expect(fired["ratio"] == .double(0.38))
        #expect(fired["new_line_ratio"] == .double(0.3))
    }

    // MARK: gopher_quality

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

    // MARK: spam_heuristics

    @Test func spamHeuristicsNamesWhatFired() throws {
        let real = try dolmaDocuments()[2]
        let urls = (1...30).map { "https://bit.ly/offer\($0)" }
        let (urlReason, urlFired) = try #require(
            try explain("spam_heuristics", "Win now " + urls.joined(separator: " ")))
        #expect(urlReason == "spam_heuristics:url_density")
        #expect(matchStrings(urlFired) == Array(urls.prefix(10)))
        #expect((urlFired["fraction"]?.doubleValue ?? 0) > 0.2)

        let (runReason, run) = try #require(try explain("spam_heuristics", real + " FREE!!!!!!!!!!!!!!!!!!!!!!!!"))
        #expect(runReason == "spam_heuristics:char_run")
        #expect(matchStrings(run) == [String(repeating: "!", count: 24)])
        #expect(run["length"] == .int(24))
        #expect(run["max_char_run"] == .int(19))

        let (capsReason, caps) = try #require(try explain("spam_heuristics", "BUY CHEAP WATCHES " + real.uppercased()))
        #expect(capsReason == "spam_heuristics:all_caps")
        #expect(Array(matchStrings(caps).prefix(3)) == ["BUY", "CHEAP", "WATCHES"])
        #expect((caps["fraction"]?.doubleValue ?? 0) > 0.5)

        let (stuffReason, stuffed) = try #require(
            try explain("spam_heuristics", real + String(repeating: " Casino", count: 40)))
        #expect(stuffReason == "spam_heuristics:keyword_stuffing")
        #expect(matchStrings(stuffed) == ["Casino"])
        #expect(stuffed["count"] == .int(40 + Int64(real.lowercased().components(separatedBy: "casino").count - 1)))
        #expect((stuffed["fraction"]?.doubleValue ?? 0) > 0.1)
    }
}
