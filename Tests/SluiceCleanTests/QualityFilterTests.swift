// One test per drop reason of gopher_quality, gopher_repetition, c4 and fineweb, on real text from
// Fixtures/clean (Common Crawl documents via dolma, Shakespeare, Sōseki), altered where a rule
// needs it, plus keep cases.
import SluiceClean
import SluiceCore
import Testing

@Suite struct GopherQualityTests {
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
}

@Suite struct GopherRepetitionTests {
    @Test func keepsRealText() throws {
        #expect(try verdict("gopher_repetition", try dolmaDocuments()[3]) == .keep)
    }

    @Test func empty() throws {
        #expect(try verdict("gopher_repetition", "") == drop("gopher_repetition:empty"))
    }

    @Test func duplicateParagraphs() throws {
        let p = try dolmaDocuments()[0]
        #expect(
            try verdict("gopher_repetition", [p, p, p].joined(separator: "\n\n"))
                == drop("gopher_repetition:dup_para_frac"))
    }

    @Test func duplicateParagraphChars() throws {
        let d = try dolmaDocuments()
        let flat = { (s: String) in s.split(separator: "\n").joined(separator: " ") }
        let text = [flat(d[2]), "One.", "Two.", "Three.", flat(d[2])].joined(separator: "\n\n")
        #expect(try verdict("gopher_repetition", text) == drop("gopher_repetition:dup_para_char_frac"))
    }

    @Test func duplicateLines() throws {
        let lines = try fixtureText("shakespeare-60-lines.txt").split(separator: "\n").prefix(4)
        let text = (lines + lines + lines).joined(separator: "\n")
        #expect(try verdict("gopher_repetition", text) == drop("gopher_repetition:dup_line_frac"))
    }

    @Test func duplicateLineChars() throws {
        let d = try dolmaDocuments()
        let long = d[2].split(separator: "\n").joined(separator: " ")
        let text = [long, "a", "b", "c", "d", long].joined(separator: "\n")
        #expect(try verdict("gopher_repetition", text) == drop("gopher_repetition:dup_line_char_frac"))
    }

    @Test func topTwoGram() throws {
        let text =
            try String(repeating: "buy now ", count: 40) + dolmaDocuments()[0].replacingOccurrences(of: "\n", with: " ")
        #expect(try verdict("gopher_repetition", text) == drop("gopher_repetition:top_2_gram"))
    }

    @Test func duplicateFiveGrams() throws {
        let d = try dolmaDocuments().map { $0.replacingOccurrences(of: "\n", with: " ") }
        let text = [d[0], d[1], d[0]].joined(separator: " ")
        #expect(try verdict("gopher_repetition", text) == drop("gopher_repetition:dup_5_gram"))
    }
}

@Suite struct C4Tests {
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
}

@Suite struct FineWebTests {
    @Test func keepsRealText() throws {
        #expect(try verdict("fineweb", try dolmaDocuments()[2]) == .keep)
    }

    @Test func empty() throws {
        #expect(try verdict("fineweb", "\n \n") == drop("fineweb:empty"))
        #expect(try verdict("fineweb", "") == drop("fineweb:empty"))
    }

    @Test func linePunctuation() throws {
        let names = ["First Citizen:", "All:", "Second Citizen:", "MENENIUS:", "CORIOLANUS:"]
        let text = (names + names.map { $0 + " speaks here at some length about the matter at hand" }).joined(
            separator: "\n")
        #expect(try verdict("fineweb", text) == drop("fineweb:line_punct_ratio"))
    }

    @Test func shortLines() throws {
        // Shakespeare's verse: short lines, many ending in punctuation.
        let short = try fixtureText("shakespeare-60-lines.txt").split(separator: "\n").filter { $0.count <= 30 }.map(
            String.init)
        #expect(try verdict("fineweb", short.joined(separator: "\n")) == drop("fineweb:short_line_ratio"))
    }

    @Test func duplicatedLineChars() throws {
        let d = try dolmaDocuments()[2]
        #expect(try verdict("fineweb", d + "\n" + d.split(separator: "\n")[0]) == drop("fineweb:char_dup_ratio"))
    }

    @Test func listRatio() throws {
        let text = (1...20).map { "Item number \($0) is in stock and ships today." }.joined(separator: "\n\n\n\n")
        #expect(try verdict("fineweb", text) == drop("fineweb:list_ratio"))
    }
}

@Suite struct BadInputTests {
    /// One 100 MB line without spaces (a base64 blob, as in scraped pages): named drops, no crash.
    @Test func hundredMegabyteLine() throws {
        let text = String(repeating: "QUJDRA", count: 100_000_000 / 6)
        #expect(text.utf8.count >= 99_999_990)
        #expect(try verdict("gopher_quality", text) == drop("gopher_quality:word_count"))
        #expect(try verdict("fineweb", text) == drop("fineweb:line_punct_ratio"))
        let (v, doc) = try run("normalize", text)
        #expect(v == .keep)
        #expect(doc.text.utf8.count == text.utf8.count)
    }

    @Test func emptyDocumentsGetNamedDrops() throws {
        #expect(try verdict("normalize", "") == drop("normalize:empty"))
        #expect(try verdict("normalize", " \n\u{200B}\u{7}\r\n ") == drop("normalize:empty"))
        #expect(try verdict("c4", "") == drop("c4:too_few_sentences"))
        #expect(try verdict("spam_heuristics", "") == .keep)
        #expect(try verdict("script", "", ["keep": "[Latn]"]) == drop("script:no_letters"))
    }
}
