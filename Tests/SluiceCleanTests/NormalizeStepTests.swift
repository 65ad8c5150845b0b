// normalize: mojibake repair (Text/Mojibake), forms and case folding, controls, whitespace, line
// endings and punctuation.
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct NormalizeStepTests {
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
