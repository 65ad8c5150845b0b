// Unigram LM training, sentencepiece's algorithm (Kudo 2018; SP `unigram_model_trainer.cc`):
// seed pieces = frequent substrings of the words (all substrings up to 16 characters, counted —
// the equivalent of SP's suffix-array enumeration), then rounds of EM (forward–backward expected
// counts, Bayesian M-step with digamma) and pruning by likelihood loss (each piece's Viterbi
// alternatives), down to the vocab size. Byte fallback adds `<0x00>`…`<0xFF>`. Differences
// from SP: no Unicode-script split of pieces (no script table without ICU); digits never mix
// with other characters (split_by_number), `▁` only leads a piece (split_by_whitespace).
import Foundation
import SluiceCore

/// Trains a Unigram tokenizer (Metaspace pre-tokenizer, optional NFKC, byte fallback).
public struct UnigramTrainer: Sendable {
    public var vocabSize: Int
    /// Ids 0…: the first is the unknown token (sentencepiece's `<unk>`, `<s>`, `</s>`).
    public var specialTokens: [String]
    public var byteFallback = true
    public var nfkc = true
    public var maxPieceLength = 16  // characters (SP default)
    public var seedSize = 1_000_000  // SP seed_sentencepiece_size
    public var shrinkingFactor = 0.75
    public var subIterations = 2
    public var characterCoverage = 0.9995
    public var workers = ProcessInfo.processInfo.activeProcessorCount

    public init(vocabSize: Int, specialTokens: [String] = ["<unk>", "<s>", "</s>"]) {
        self.vocabSize = vocabSize
        self.specialTokens = specialTokens
    }

    /// Trains on metaspace word counts (`▁word` → count, from `TrainingCorpus` with `.metaspace`).
    /// - Throws: `SluiceError(.config)` when the vocab cannot hold the specials, bytes and characters.
    public func train(_ counts: WordCounts) throws -> Tokenizer {
        let meta = specialTokens.count + (byteFallback ? 256 : 0)
        guard vocabSize > meta + 1 else {
            throw SluiceError(
                .config, "Unigram vocab size \(vocabSize) leaves no room beyond \(meta) special and byte pieces")
        }
        let target = vocabSize - meta
        let words = UnigramWords(counts)

        // Character frequencies → the required characters (coverage), and the seed substrings.
        // Most substrings occur once; they can never be seeds (freq ≥ 2) but would fill the table.
        // Pass 1 marks every substring's hash in two bitsets (seen once; seen again, or in a word
        // that occurs twice); pass 2 counts a substring only when its hash was seen again. A
        // substring occurring twice is admitted at every occurrence, so its count is exact; a
        // hash collision only admits a singleton, later dropped by freq ≥ 2.
        var chars = WordCounts()
        var substrings = WordCounts()
        var seenOnce = [UInt64](repeating: 0, count: 1 << 22)  // 2^28 bits, 32 MiB
        var seenAgain = [UInt64](repeating: 0, count: 1 << 22)
        seenOnce.withUnsafeMutableBufferPointer { once in
            seenAgain.withUnsafeMutableBufferPointer { again in
                words.enumerateSubstrings(maxLength: maxPieceLength) { _, _, charCount, freq, hash in
                    guard charCount > 1 else { return }
                    let bit = Int(hash >> 36)
                    let (w, m) = (bit >> 6, UInt64(1) << UInt64(bit & 63))
                    if freq >= 2 || once[w] & m != 0 { again[w] |= m } else { once[w] |= m }
                }
            }
        }
        seenOnce = []
        seenAgain.withUnsafeBufferPointer { again in
            words.enumerateSubstrings(maxLength: maxPieceLength) { p, n, charCount, freq, hash in
                if charCount == 1 {
                    chars.add(p, n, hash: hash, count: freq)
                } else if freq >= 2 || again[Int(hash >> 42)] & (UInt64(1) << ((hash >> 36) & 63)) != 0 {
                    substrings.add(p, n, hash: hash, count: freq)
                }
            }
        }
        var charOrder = (0..<chars.distinct).sorted {
            chars.counts[$0] != chars.counts[$1]
                ? chars.counts[$0] > chars.counts[$1] : chars.word($0).lexicographicallyPrecedes(chars.word($1))
        }
        let totalChars = Double(chars.total)
        var covered = 0.0
        var keep = 0
        for c in charOrder {
            if covered / totalChars >= characterCoverage && keep > 0 { break }
            covered += Double(chars.counts[c])
            keep += 1
        }
        charOrder = Array(charOrder.prefix(keep))
        var required = Set<[UInt8]>(charOrder.map { Array(chars.word($0)) })
        required.insert([0xE2, 0x96, 0x81])

        // Seeds: substrings seen twice or more, of required characters, by freq × length.
        var seeds: [(piece: [UInt8], score: Double)] = []
        for c in charOrder { seeds.append((Array(chars.word(c)), Double(chars.counts[c]))) }
        var candidates: [(Int, Double)] = []
        for s in 0..<substrings.distinct where substrings.counts[s] >= 2 {
            let w = substrings.word(s)
            if !allCharsRequired(w, required) { continue }
            candidates.append((s, Double(substrings.counts[s]) * Double(charCount(w))))
        }
        candidates.sort {
            $0.1 != $1.1 ? $0.1 > $1.1 : substrings.word($0.0).lexicographicallyPrecedes(substrings.word($1.0))
        }
        for (s, score) in candidates.prefix(max(0, seedSize - seeds.count)) {
            seeds.append((Array(substrings.word(s)), score))
        }
        let logTotal = log(seeds.reduce(0) { $0 + $1.score })
        var pieces = seeds.map { $0.piece }
        var scores = seeds.map { log($0.score) - logTotal }

        // EM and pruning rounds. The lattice nodes of every word are found once (hash lookups of
        // every prefix) and then only filtered as pieces go: pieces are never added back.
        let desired = Int(Double(target) * 1.1)
        var store = NodeStore(words: words, table: PrefixTable(pieces: pieces), workers: workers)
        while true {
            for _ in 0..<subIterations {
                let model = UnigramLattice(pieces: pieces, scores: scores, store: store)
                let expected = model.expectedCounts(words, workers: workers)
                // Bayesian M-step: drop pieces expected < 0.5 times; score = ψ(freq) − ψ(sum).
                var newPieces: [[UInt8]] = []
                var newFreq: [Double] = []
                var remap = [Int32](repeating: -1, count: pieces.count)
                for i in 0..<pieces.count where expected[i] >= 0.5 {
                    remap[i] = Int32(newPieces.count)
                    newPieces.append(pieces[i])
                    newFreq.append(expected[i])
                }
                let logSum = digamma(newFreq.reduce(0, +))
                pieces = newPieces
                scores = newFreq.map { digamma($0) - logSum }
                store.remap(remap)
            }
            if pieces.count <= desired { break }
            let model = UnigramLattice(pieces: pieces, scores: scores, store: store)
            let kept = model.prune(
                words, keep: max(desired, Int(shrinkingFactor * Double(pieces.count))), workers: workers)
            var remap = [Int32](repeating: -1, count: pieces.count)
            for (k, i) in kept.enumerated() { remap[i] = Int32(k) }
            pieces = kept.map { pieces[$0] }
            scores = kept.map { scores[$0] }
            store.remap(remap)
        }

        // Final: required characters first (so every kept character stays encodable), then by score.
        var final: [([UInt8], Double)] = []
        var have = Set<[UInt8]>()
        let minScore = scores.min() ?? 0
        let index = Dictionary(pieces.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        for c in charOrder where final.count < target {
            let p = Array(chars.word(c))
            final.append((p, index[p].map { scores[$0] } ?? minScore - 10))
            have.insert(p)
        }
        let byScore = (0..<pieces.count).sorted {
            scores[$0] != scores[$1] ? scores[$0] > scores[$1] : pieces[$0].lexicographicallyPrecedes(pieces[$1])
        }
        for i in byScore where final.count < target && !have.contains(pieces[i]) {
            final.append((pieces[i], scores[i]))
            have.insert(pieces[i])
        }
        final.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.lexicographicallyPrecedes($1.0) }

        var vocab = specialTokens
        var allScores = [Double](repeating: 0, count: specialTokens.count)
        if byteFallback {
            for b in 0..<256 {
                let h = String(b, radix: 16, uppercase: true)
                vocab.append("<0x" + (h.count == 1 ? "0" + h : h) + ">")
                allScores.append(0)
            }
        }
        for (p, s) in final {
            vocab.append(String(decoding: p, as: UTF8.self))
            allScores.append(s)
        }
        return try Tokenizer(
            kind: .unigram, vocab: vocab, scores: allScores, unkID: 0, byteFallback: byteFallback,
            preTokenizer: .metaspace(prependScheme: "never", split: true),
            normalizer: Normalizer(nfkc: nfkc, dummyPrefix: true),
            addedTokens: specialTokens.enumerated().map { .init(id: UInt32($0.offset), content: $0.element) },
            source: "Unigram trainer")
    }

    private func allCharsRequired(_ w: ArraySlice<UInt8>, _ required: Set<[UInt8]>) -> Bool {
        var i = w.startIndex
        while i < w.endIndex {
            let n = utf8Length(w[i])
            if !required.contains(Array(w[i..<min(w.endIndex, i + n)])) { return false }
            i += n
        }
        return true
    }

    private func charCount(_ w: ArraySlice<UInt8>) -> Int { w.reduce(0) { $0 + (($1 & 0xC0) != 0x80 ? 1 : 0) } }
}

/// ψ(x), the digamma function (sentencepiece's series: shift to x ≥ 7, then the asymptotic expansion).
func digamma(_ x0: Double) -> Double {
    var x = x0
    var result = 0.0
    while x < 7 {
        result -= 1 / x
        x += 1
    }
    x -= 0.5
    let xx = 1 / x
    let xx2 = xx * xx
    let xx4 = xx2 * xx2
    result += log(x) + (1.0 / 24) * xx2 - (7.0 / 960) * xx4 + (31.0 / 8064) * xx4 * xx2 - (127.0 / 30720) * xx4 * xx4
    return result
}
