// The fast BPE encoder (piece cache, in-place rescan for short pieces, heap for long ones) against
// a naive oracle written from the definition: merge the lowest-rank adjacent pair, leftmost first.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

@Suite struct EncoderTests {
    /// Naive byte-level BPE of one pre-token: a full rescan per merge over Swift arrays.
    static func naive(_ tok: Tokenizer, _ piece: [UInt8], rank: [UInt64: (Int, UInt32)], byteID: [UInt32]) -> [UInt32] {
        var symbols = piece.map { byteID[Int($0)] }
        while symbols.count > 1 {
            var best: (rank: Int, at: Int, id: UInt32)?
            for k in 0..<(symbols.count - 1) {
                if let (r, id) = rank[UInt64(symbols[k]) << 32 | UInt64(symbols[k + 1])], r < best?.rank ?? .max {
                    best = (r, k, id)
                }
            }
            guard let b = best else { break }
            symbols[b.at] = b.id
            symbols.remove(at: b.at + 1)
        }
        return symbols
    }

    static func oracle(_ tok: Tokenizer) -> (String) -> [UInt32] {
        let added = Set(tok.addedTokens.map(\.id))
        var idOfBytes: [[UInt8]: UInt32] = [:]
        for id in 0..<UInt32(tok.vocabSize) where !added.contains(id) && idOfBytes[Array(tok.bytes(of: id))] == nil {
            idOfBytes[Array(tok.bytes(of: id))] = id
        }
        var rank: [UInt64: (Int, UInt32)] = [:]
        for (r, (a, b)) in tok.merges.enumerated() where rank[UInt64(a) << 32 | UInt64(b)] == nil {
            rank[UInt64(a) << 32 | UInt64(b)] = (r, idOfBytes[Array(tok.bytes(of: a)) + Array(tok.bytes(of: b))]!)
        }
        let byteID = (0..<256).map { idOfBytes[[UInt8($0)]]! }
        return { text in
            SplitPattern.gpt2.pieces(of: text).flatMap { naive(tok, Array($0.utf8), rank: rank, byteID: byteID) }
        }
    }

    @Test func matchesTheNaiveOracleOnShortAndLongPieces() throws {
        let tok = try Tokenizer.load(path: TestSupport.fixture("tokenize/bpe-udhr-1000.json"))
        let naive = Self.oracle(tok)
        let japanese = try fixtureLines("wagahaiwa-30k.txt")
        var texts =
            try randomStrings(count: 400, seed: 11) + fixtureLines("udhr-multilingual.txt") + japanese.prefix(200)
        // Long pieces (past the cache's 32 bytes and the rescan limit): joined Japanese lines
        // without punctuation, repeated letters, long digit and symbol runs.
        let letters = japanese.prefix(80).joined().unicodeScalars.filter { CharacterSet.letters.contains($0) }
        texts.append(String(String.UnicodeScalarView(letters)))
        texts += [
            String(repeating: "a", count: 301), String(repeating: "ab", count: 150),
            String(repeating: "the", count: 90),
            String(repeating: "7", count: 70), String(repeating: "!?", count: 40),
            "x" + String(repeating: "ł", count: 45),
        ]
        var encoder = Tokenizer.Encoder(tok)
        var mismatches = 0
        for t in texts {
            // Twice through one encoder: the second pass answers from the piece cache.
            for _ in 0..<2 {
                var out: [UInt32] = []
                encoder.encode(t, into: &out)
                if out != naive(t) {
                    mismatches += 1
                    if mismatches < 4 {
                        Issue.record(
                            "\(t.prefix(40).debugDescription): fast \(out.prefix(20)) naive \(naive(t).prefix(20))")
                    }
                }
            }
        }
        #expect(mismatches == 0)
        #expect(texts.contains { $0.utf8.count > 200 })
    }

    @Test func batchOfManyTextsKeepsOrder() throws {
        let tok = try Tokenizer.load(path: TestSupport.fixture("tokenize/bpe-udhr-1000.json"))
        let texts = try randomStrings(count: 1000, seed: 5)
        #expect(tok.encodeBatch(texts, workers: 2) == texts.map { tok.encode($0) })
        #expect(tok.encodeBatch(texts, workers: 3) == texts.map { tok.encode($0) })
    }
}
