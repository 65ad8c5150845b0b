// The tokenize writer: it needs an end-of-text token.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

@Suite struct TokenizeWriterTests {
    @Test func tokenizeNeedsAnEOS() throws {
        let dir = try TestSupport.temporaryDirectory("noeos")
        let tok = try Tokenizer(
            kind: .bpe, vocab: (0..<256).map { ByteLevelTestHelper.string(UInt8($0)) },
            preTokenizer: .byteLevel(pattern: .gpt2, addPrefixSpace: false))
        try tok.save(path: dir + "/t.json")
        var w = try StageHarness.build(TokenizeWriter.self, [("tokenizer", dir + "/t.json")])
        #expect(throws: SluiceError.self) { try w.prepare(context: context(dir, task: 0, tasks: 1)) }
    }
}
