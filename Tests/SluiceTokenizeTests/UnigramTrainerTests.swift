// Unigram training (UnigramTrainer with UnigramWords, NodeStore, UnigramLattice, PrefixTable): round trips
// on normal text.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

@Suite struct UnigramTrainerTests {
    @Test func trainsAndRoundTripsNormalText() throws {
        let path = TestSupport.fixture("tokenize/udhr-multilingual.txt")
        var settings = TokenizerTrainingSettings(model: "unigram", vocabSize: 700)
        settings.nfkc = true
        let (tok, _) = try settings.train(paths: [path], workers: 2)
        #expect(tok.vocabSize == 700)
        #expect(tok.vocab[0] == "<unk>" && tok.vocab[3] == "<0x00>" && tok.eosID == 2)
        // Ordered by score after the meta pieces.
        let s = tok.scores[259...]
        #expect(zip(s, s.dropFirst()).allSatisfy { $0 >= $1 })
        let nfkc = UnicodeNormalizer(form: .nfkc)
        for line in try fixtureLines("udhr-multilingual.txt") + randomStrings(count: 300, seed: 5) {
            let n = try nfkc.normalize(line)
            #expect(tok.decode(tok.encode(n)) == n, "\(n)")
        }
        // A character never seen in training comes back through byte fallback.
        #expect(tok.decode(tok.encode("☃ snow")) == "☃ snow")
    }
}
