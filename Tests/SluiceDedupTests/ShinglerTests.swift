// Shingler: datatrove's simplify_text, word and character shingles.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceDedup

@Suite struct ShinglerTests {
    @Test func simplifyMatchesDatatrove() throws {
        let s = try Shingler()
        #expect(s.simplifiedText("Hello, WORLD! It's 2024-05-01.") == "hello world it s 0000 00 00")
        #expect(s.simplifiedText("Crème  brûlée\u{00A0}à la CAFÉ") == "creme brulee a la cafe")
        #expect(s.simplifiedText("snake_case\tand\nlines") == "snake case and lines")
        #expect(s.simplifiedText("Привет, МИР") == "привет мир")
    }

    @Test func wordShinglesAreNGramsOfWords() throws {
        let s = try Shingler(kind: .words, n: 3)
        #expect(s.shingles(of: "a b c d e").count == 3)
        #expect(s.shingles(of: "A, b!").count == 1)  // fewer words than n: one shingle
        #expect(s.shingles(of: " ,;! ").isEmpty)
        // Case, punctuation, digits and accents do not change shingles.
        #expect(s.shingles(of: "The Café has 12 seats.") == s.shingles(of: "the cafe HAS 99 seats"))
        #expect(s.shingles(of: "one two three four") != s.shingles(of: "one two three five"))
        // Japanese goes through ICU's dictionary word breaks.
        #expect(s.shingles(of: "吾輩は猫である。名前はまだ無い。").count >= 3)
    }

    @Test func characterShingles() throws {
        let s = try Shingler(kind: .characters, n: 4)
        #expect(s.shingles(of: "abcdef").count == 3)
        #expect(s.shingles(of: "ab").count == 1)
        #expect(s.shingles(of: "日本語の文章").count == 3)
    }
}
