// UnicodeNormalizer: the normalization forms.
import SluiceCore
import Testing

@Suite struct UnicodeNormalizerTests {
    @Test func normalizesForms() throws {
        #expect(try UnicodeNormalizer(form: .nfkc).normalize("ﬁne ①") == "fine 1")
        #expect(try UnicodeNormalizer(form: .nfc).normalize("e\u{301}") == "é")
        #expect(try UnicodeNormalizer(form: .nfd).normalize("é").unicodeScalars.count == 2)
        #expect(try UnicodeNormalizer(form: .nfkcCasefold).normalize("Straße ABC") == "strasse abc")
        #expect(try UnicodeNormalizer(form: .nfc).foldCase("ÀB") == "àb")
        #expect(UnicodeNormalizer(form: .nfc).isNormalized("plain ascii"))
        #expect(!UnicodeNormalizer(form: .nfc).isNormalized("e\u{301}"))
    }
}
