// The GPT-2 and cl100k split patterns (PreTokenizers/SplitPattern, UnicodeClasses): pieces as the
// reference regexes cut them, covering the text.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

@Suite struct SplitPatternTests {
    @Test func gpt2Pieces() {
        #expect(SplitPattern.gpt2.pieces(of: "Hello world's  end") == ["Hello", " world", "'s", " ", " end"])
        #expect(SplitPattern.gpt2.pieces(of: "a\n\nb  ") == ["a", "\n", "\n", "b", "  "])
        #expect(SplitPattern.gpt2.pieces(of: "x = 3.14!!") == ["x", " =", " 3", ".", "14", "!!"])
        #expect(SplitPattern.gpt2.pieces(of: "naïve 東京 2024") == ["naïve", " 東京", " 2024"])
        #expect(SplitPattern.gpt2.pieces(of: "I'M") == ["I", "'", "M"])  // case-sensitive: 'M is no contraction
        #expect(SplitPattern.gpt2.pieces(of: " ") == [" "])
        #expect(SplitPattern.gpt2.pieces(of: "") == [])
    }

    @Test func cl100kPieces() {
        #expect(
            SplitPattern.cl100k.pieces(of: "I'M 12345 (hello)\n\n  x") == [
                "I", "'M", " ", "123", "45", " (", "hello", ")\n\n", " ", " x",
            ])
        #expect(SplitPattern.cl100k.pieces(of: "a \n b") == ["a", " \n", " b"])
        #expect(SplitPattern.cl100k.pieces(of: "\tfoo") == ["\tfoo"])
    }

    @Test(arguments: [SplitPattern.gpt2, .cl100k])
    func piecesCoverTheText(pattern: SplitPattern) throws {
        for s in try randomStrings(count: 300, seed: 3) + fixtureLines("udhr-multilingual.txt") {
            let p = pattern.pieces(of: s)
            #expect(p.joined() == s)
            #expect(!p.contains(""))
        }
    }
}
