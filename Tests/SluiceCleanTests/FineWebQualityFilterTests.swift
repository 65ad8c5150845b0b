// fineweb: one test per drop reason on real text from Fixtures/clean, plus keep cases, and what fired.
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct FineWebQualityFilterTests {
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
}
