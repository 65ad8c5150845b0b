// gopher_repetition: one test per drop reason on real text from Fixtures/clean, plus keep cases,
// and what fired for a drop.
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct GopherRepetitionFilterTests {
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
}
