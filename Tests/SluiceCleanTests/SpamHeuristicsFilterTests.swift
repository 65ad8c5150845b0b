// spam_heuristics: each signal, and what fired.
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct SpamHeuristicsFilterTests {
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
