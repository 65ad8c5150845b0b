// Bad input across the clean steps: a 100 MB line without spaces and empty documents get named drops
// (each test feeds one input to several steps).
import SluiceClean
import SluiceCore
import Testing

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
