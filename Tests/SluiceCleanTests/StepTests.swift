// normalize, script, wordlist, url_blocklist, spam_heuristics and classify: each option and drop reason.
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct NormalizeTests {
    @Test func repairsMojibake() throws {
        let (_, d) = try run("normalize", "Caf\u{C3}\u{A9} au lait, don\u{E2}\u{20AC}\u{2122}t worry")
        #expect(d.text == "Café au lait, don’t worry")
        let (_, kept) = try run("normalize", "Ã la carte", ["mojibake": "false"])
        #expect(kept.text == "Ã la carte")
    }

    @Test func formsAndCaseFolding() throws {
        #expect(try run("normalize", "e\u{301}t\u{E9}").1.text == "été")
        #expect(try run("normalize", "ﬁne ①", ["form": "NFKC"]).1.text == "fine 1")
        #expect(try run("normalize", "Straße", ["case_fold": "true"]).1.text == "strasse")
    }

    @Test func controlsWhitespaceAndLineEndings() throws {
        let (_, d) = try run(
            "normalize", "  Hello,\u{0007}   world\u{200B}!  \r\n\r\n\r\n\r\n\r\nNext\tline\u{00A0}here \n\n")
        #expect(d.text == "Hello, world!\n\n\nNext\tline here")
        let (_, one) = try run("normalize", "a\n\n\n\n\nb", ["max_blank_lines": "1"])
        #expect(one.text == "a\n\nb")
        // Zero-width joiners stay: Persian and Indic words need them.
        #expect(try run("normalize", "می\u{200C}خواهم").1.text == "می\u{200C}خواهم")
    }

    @Test func punctuation() throws {
        let (_, d) = try run("normalize", "“Quoted” — ‘single’ … done", ["punctuation": "true"])
        #expect(d.text == "\"Quoted\" - 'single' ... done")
        #expect(try run("normalize", "“Quoted”").1.text == "“Quoted”")
    }

    @Test func unchangedTextStaysTheSame() throws {
        let text = try dolmaDocuments()[2]
        #expect(try run("normalize", text).1.text == text)
    }
}

@Suite struct ScriptTests {
    @Test func japaneseKeptEnglishDropped() throws {
        let ja = try fixtureText("wagahai-excerpt.txt")
        let (v, d) = try run("script", ja, ["keep": "[Hani, Hira, Kana]", "min_fraction": "0.8"])
        #expect(v == .keep)
        #expect(["Hani", "Hira", "Kana"].contains(d.metadata["script"]?.stringValue ?? ""))
        let en = try dolmaDocuments()[0]
        #expect(try verdict("script", en, ["keep": "[Hani, Hira, Kana]"]) == drop("script:other_script"))
        let (ve, de) = try run("script", en, ["keep": "[Latin]"])
        #expect(ve == .keep)
        #expect(de.metadata["script"] == .string("Latn"))
        #expect(try verdict("script", "12 345 !!", ["keep": "[Latn]"]) == drop("script:no_letters"))
        #expect(throws: SluiceError.self) { try makeStep("script", ["keep": "[Klingonish]"]) }
    }
}

@Suite struct WordlistTests {
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
}

@Suite struct URLBlocklistTests {
    @Test func blocksDomainsAndSubdomains() throws {
        let dir = try TestSupport.temporaryDirectory("blocklist")
        let path = dir + "/domains.txt"
        try "# ad networks\nexample-ads.com\n*.tracker.net\nwww.spam.org\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        func check(_ url: String?) throws -> Verdict {
            var m = JSONObject()
            if let url { m["url"] = .string(url) }
            return try run("url_blocklist", "text", ["path": path], metadata: m).0
        }
        #expect(try check("https://cdn.Example-Ads.com:443/x?y") == drop("url_blocklist:domain"))
        #expect(try check("http://tracker.net/") == drop("url_blocklist:domain"))
        #expect(try check("https://spam.org") == drop("url_blocklist:domain"))
        #expect(try check("https://notexample-ads.com/") == .keep)
        #expect(try check(nil) == .keep)
    }
}

@Suite struct SpamHeuristicsTests {
    @Test func eachSignal() throws {
        let real = try dolmaDocuments()[2]
        #expect(try verdict("spam_heuristics", real) == .keep)
        let urls = (1...30).map { "https://bit.ly/offer\($0)" }.joined(separator: " ")
        #expect(try verdict("spam_heuristics", "Win now " + urls) == drop("spam_heuristics:url_density"))
        #expect(
            try verdict("spam_heuristics", real + " FREE!!!!!!!!!!!!!!!!!!!!!!!!") == drop("spam_heuristics:char_run"))
        #expect(try verdict("spam_heuristics", real.uppercased()) == drop("spam_heuristics:all_caps"))
        let stuffed = real + String(repeating: " casino", count: 40)
        #expect(try verdict("spam_heuristics", stuffed) == drop("spam_heuristics:keyword_stuffing"))
    }
}

@Suite struct ClassifyStepTests {
    @Test func missingModelNamesTheCommandThatMakesIt() throws {
        let model = NSTemporaryDirectory() + "no-such-model-\(UUID().uuidString.prefix(8)).slcm"
        let error = #expect(throws: SluiceError.self) { try makeStep("classify", ["model": model, "label": "spam"]) }
        #expect(error?.message.contains("sluice classifier train") == true, "\(String(describing: error))")
        #expect(error?.message.contains(model) == true)
    }

    @Test func trainInputDeclaresOneTrainingPassAndMustExist() throws {
        let model = NSTemporaryDirectory() + "to-train-\(UUID().uuidString.prefix(8)).slcm"
        let labels = TestSupport.fixture("clean/sms-spam-300.tsv")
        let step = try makeStep(
            "classify",
            [
                "model": model, "label": "spam", "train_input": labels, "train_text_field": "SMS",
                "train_label_field": "Label",
            ])
        let passes = try #require(step as? ClassifyStep).preparationPasses()
        #expect(passes.map(\.name) == ["train"])
        let missing = #expect(throws: SluiceError.self) {
            try makeStep("classify", ["model": model, "label": "spam", "train_input": labels + ".missing"])
        }
        #expect(expectContains(missing, "train_input"), "\(String(describing: missing))")
        // The pass trains the model; the same labels give the same bytes (one thread, fixed seed).
        let environment = PassEnvironment(documentFiles: [], workDirectory: NSTemporaryDirectory(), segmentTasks: 1)
        try passes[0].run(task: 0, environment: environment, context: testContext())
        let first = try #require(FileManager.default.contents(atPath: model))
        try FileManager.default.removeItem(atPath: model)
        try passes[0].run(task: 0, environment: environment, context: testContext())
        #expect(FileManager.default.contents(atPath: model) == first)
        // The step then scores with it.
        var built = try makeStep("classify", ["model": model, "label": "spam"])
        var doc = Document(id: "1", text: "WINNER!! Claim your free prize now, call 09061701461", source: "test")
        _ = try built.apply(to: &doc, context: testContext())
        #expect(doc.metadata["spam_score"] != nil)
        try FileManager.default.removeItem(atPath: model)
    }
}

private func expectContains(_ error: SluiceError?, _ text: String) -> Bool { error?.message.contains(text) == true }
