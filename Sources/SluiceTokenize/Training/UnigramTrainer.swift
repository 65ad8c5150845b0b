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
            throw SluiceError(.config, "Unigram vocab size \(vocabSize) leaves no room beyond \(meta) special and byte pieces")
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
        var charOrder = (0..<chars.distinct).sorted { chars.counts[$0] != chars.counts[$1] ? chars.counts[$0] > chars.counts[$1] : chars.word($0).lexicographicallyPrecedes(chars.word($1)) }
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
        candidates.sort { $0.1 != $1.1 ? $0.1 > $1.1 : substrings.word($0.0).lexicographicallyPrecedes(substrings.word($1.0)) }
        for (s, score) in candidates.prefix(max(0, seedSize - seeds.count)) { seeds.append((Array(substrings.word(s)), score)) }
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
            let kept = model.prune(words, keep: max(desired, Int(shrinkingFactor * Double(pieces.count))), workers: workers)
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
        let byScore = (0..<pieces.count).sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : pieces[$0].lexicographicallyPrecedes(pieces[$1]) }
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
            preTokenizer: .metaspace(prependScheme: "never", split: true), normalizer: Normalizer(nfkc: nfkc, dummyPrefix: true),
            addedTokens: specialTokens.enumerated().map { .init(id: UInt32($0.offset), content: $0.element) }, source: "Unigram trainer")
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

/// The training words with their character boundaries.
struct UnigramWords: @unchecked Sendable {
    var bytes: [UInt8] = []
    var wordStart: [Int] = []  // byte offset; + final
    var charStart: [Int32] = []  // byte offsets of characters within `bytes`, per word ranges
    var wordChars: [Int] = []  // index into charStart; + final
    var freq: [Double] = []

    init(_ counts: WordCounts) {
        for w in 0..<counts.distinct {
            let word = counts.word(w)
            wordStart.append(bytes.count)
            wordChars.append(charStart.count)
            var i = word.startIndex
            while i < word.endIndex {
                charStart.append(Int32(bytes.count + (i - word.startIndex)))
                i += utf8Length(word[i])
            }
            bytes += word
            freq.append(Double(counts.counts[w]))
        }
        wordStart.append(bytes.count)
        wordChars.append(charStart.count)
        charStart.append(Int32(bytes.count))
    }

    var count: Int { freq.count }

    /// Character boundary k of word w (k = chars → the word's end).
    @inline(__always) func boundary(_ w: Int, _ k: Int) -> Int {
        let c = wordChars[w] + k
        return c < wordChars[w + 1] ? Int(charStart[c]) : wordStart[w + 1]
    }

    @inline(__always) func chars(_ w: Int) -> Int { wordChars[w + 1] - wordChars[w] }

    /// Every substring of every word, up to `maxLength` characters, with the word's count; `▁`
    /// only leads, digits never mix with other characters.
    func enumerateSubstrings(maxLength: Int, _ body: (UnsafePointer<UInt8>, Int, Int, UInt64, UInt64) -> Void) {
        bytes.withUnsafeBufferPointer { b in
            for w in 0..<count {
                let m = chars(w)
                let f = UInt64(freq[w])
                for i in 0..<m {
                    let s = boundary(w, i)
                    let firstDigit = isDigit(b[s])
                    var hash = IncrementalHash()
                    for k in (i + 1)...min(m, i + maxLength) {
                        let cs = boundary(w, k - 1)
                        if k - 1 > i {
                            if b[cs] == 0xE2 && b[cs + 1] == 0x96 && b[cs + 2] == 0x81 { break }
                            let leadMeta = b[s] == 0xE2 && b[s + 1] == 0x96 && b[s + 2] == 0x81
                            let prevIsMeta = leadMeta && k - 2 == i
                            if !prevIsMeta && isDigit(b[cs]) != (leadMeta ? isDigit(b[boundary(w, i + 1)]) : firstDigit) { break }
                        }
                        let e = boundary(w, k)
                        hash.add(b.baseAddress! + cs, e - cs)
                        body(b.baseAddress! + s, e - s, k - i, f, hash.value(length: e - s))
                    }
                }
            }
        }
    }

    @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
}

/// Every lattice node (start, end, piece) of every training word, sorted by start then end.
struct NodeStore: @unchecked Sendable {
    var wordNodes: [Int] = [0]  // node range of word w: wordNodes[w]..<wordNodes[w + 1]
    var start: [Int32] = []
    var end: [Int32] = []
    var piece: [Int32] = []

    init(words: UnigramWords, table: PrefixTable, workers: Int) {
        // Each thread finds the nodes of a contiguous range of words; the parts are concatenated.
        let n = max(1, min(workers, words.count))
        var parts = [NodeStore](repeating: NodeStore(empty: ()), count: n)
        parts.withUnsafeMutableBufferPointer { ps in
            nonisolated(unsafe) let p = ps
            DispatchQueue.concurrentPerform(iterations: n) { t in
                var part = NodeStore(empty: ())
                let lo = words.count * t / n
                let hi = words.count * (t + 1) / n
                words.bytes.withUnsafeBufferPointer { b in
                    for w in lo..<hi {
                        let m = words.chars(w)
                        for i in 0..<m {
                            let s = words.boundary(w, i)
                            var hash = IncrementalHash()
                            var prev = s
                            var k = i + 1
                            while k <= m {
                                let e = words.boundary(w, k)
                                hash.add(b.baseAddress! + prev, e - prev)
                                prev = e
                                guard let id = table.get(b.baseAddress! + s, e - s, hash: hash.value(length: e - s)) else { break }
                                if id >= 0 {
                                    part.start.append(Int32(i))
                                    part.end.append(Int32(k))
                                    part.piece.append(id)
                                }
                                k += 1
                            }
                        }
                        part.wordNodes.append(part.start.count)
                    }
                }
                p[t] = part
            }
        }
        for part in parts {
            let base = start.count
            start += part.start
            end += part.end
            piece += part.piece
            wordNodes += part.wordNodes.dropFirst().map { $0 + base }
        }
    }

    private init(empty: ()) {}

    /// Renumbers pieces (`remap[old]`, −1 = removed) and drops the removed pieces' nodes.
    mutating func remap(_ remap: [Int32]) {
        var out = 0
        var newWordNodes = [Int](repeating: 0, count: wordNodes.count)
        for w in 0..<(wordNodes.count - 1) {
            for k in wordNodes[w]..<wordNodes[w + 1] {
                let r = remap[Int(piece[k])]
                if r >= 0 {
                    start[out] = start[k]
                    end[out] = end[k]
                    piece[out] = r
                    out += 1
                }
            }
            newWordNodes[w + 1] = out
        }
        start.removeSubrange(out...)
        end.removeSubrange(out...)
        piece.removeSubrange(out...)
        wordNodes = newWordNodes
    }
}

/// Pieces with scores over the node store, for lattices of the training words.
struct UnigramLattice: @unchecked Sendable {
    let pieces: [[UInt8]]
    let scores: [Double]
    let store: NodeStore
    let unkScore: Double

    init(pieces: [[UInt8]], scores: [Double], store: NodeStore) {
        self.pieces = pieces
        self.scores = scores
        self.store = store
        unkScore = (scores.min() ?? 0) - 10
    }

    /// Calls `body(startChar, endChar, id or −1 for unk, score)` for every lattice node of word
    /// w, by start; a character no single piece covers gets an unk node.
    @inline(__always)
    func forEachNode(_ words: UnigramWords, _ b: UnsafeBufferPointer<UInt8>, _ w: Int, excluded: Int = -1, _ body: (Int, Int, Int, Double) -> Void) {
        let m = words.chars(w)
        var k = store.wordNodes[w]
        let end = store.wordNodes[w + 1]
        for i in 0..<m {
            var single = false
            while k < end && Int(store.start[k]) == i {
                let id = Int(store.piece[k])
                let e = Int(store.end[k])
                if id != excluded {
                    body(i, e, id, scores[id])
                    if e == i + 1 { single = true }
                }
                k += 1
            }
            if !single { body(i, i + 1, -1, unkScore) }
        }
    }

    /// Nodes by prefix lookups in `table` (for strings outside the store: the pieces themselves).
    @inline(__always)
    func forEachNode(_ words: UnigramWords, _ b: UnsafeBufferPointer<UInt8>, _ w: Int, table: PrefixTable, excluded: Int, _ body: (Int, Int, Int, Double) -> Void) {
        let m = words.chars(w)
        for i in 0..<m {
            let s = words.boundary(w, i)
            var single = false
            var hash = IncrementalHash()
            var prev = s
            var k = i + 1
            while k <= m {
                let e = words.boundary(w, k)
                hash.add(b.baseAddress! + prev, e - prev)
                prev = e
                guard let id = table.get(b.baseAddress! + s, e - s, hash: hash.value(length: e - s)) else { break }
                if id >= 0 && Int(id) != excluded {
                    body(i, k, Int(id), scores[Int(id)])
                    if k == i + 1 { single = true }
                }
                k += 1
            }
            if !single { body(i, i + 1, -1, unkScore) }
        }
    }

    /// Words are cut into this many contiguous chunks whose partial sums are added in chunk
    /// order, so the result does not depend on the number of threads.
    static let chunks = 8

    /// Runs `body(chunk, wordRange)` for every chunk on `workers` threads; returns the partials in order.
    func perChunk(_ words: UnigramWords, workers: Int, _ body: @Sendable (Range<Int>) -> [Double]) -> [[Double]] {
        let c = Self.chunks
        var partial = [[Double]](repeating: [], count: c)
        let n = max(1, min(workers, c))
        partial.withUnsafeMutableBufferPointer { parts in
            nonisolated(unsafe) let p = parts
            DispatchQueue.concurrentPerform(iterations: n) { t in
                var k = t
                while k < c {
                    p[k] = body((words.count * k / c)..<(words.count * (k + 1) / c))
                    k += n
                }
            }
        }
        return partial
    }

    /// Sums partial arrays in order.
    func sum(_ partial: [[Double]]) -> [Double] {
        var total = partial[0]
        for t in 1..<partial.count { for i in 0..<total.count { total[i] += partial[t][i] } }
        return total
    }

    /// Expected piece counts over all words (forward–backward).
    func expectedCounts(_ words: UnigramWords, workers: Int) -> [Double] {
        sum(perChunk(words, workers: workers) { range in
            var exp = [Double](repeating: 0, count: pieces.count)
            var alpha: [Double] = []
            var beta: [Double] = []
            var nodes: [(Int32, Int32, Int32, Double)] = []
            words.bytes.withUnsafeBufferPointer { b in
                for w in range {
                    let m = words.chars(w)
                    nodes.removeAll(keepingCapacity: true)
                    forEachNode(words, b, w) { i, k, id, s in nodes.append((Int32(i), Int32(k), Int32(id), s)) }
                    alpha.removeAll(keepingCapacity: true)
                    alpha.append(contentsOf: repeatElement(-Double.infinity, count: m + 1))
                    beta.removeAll(keepingCapacity: true)
                    beta.append(contentsOf: repeatElement(-Double.infinity, count: m + 1))
                    alpha[0] = 0
                    for (i, k, _, s) in nodes { alpha[Int(k)] = logAdd(alpha[Int(k)], alpha[Int(i)] + s) }
                    beta[m] = 0
                    for (i, k, _, s) in nodes.reversed() { beta[Int(i)] = logAdd(beta[Int(i)], s + beta[Int(k)]) }
                    let z = alpha[m]
                    let f = words.freq[w]
                    for (i, k, id, s) in nodes where id >= 0 {
                        exp[Int(id)] += f * Foundation.exp(alpha[Int(i)] + s + beta[Int(k)] - z)
                    }
                }
            }
            return exp
        })
    }

    /// Viterbi path of word w (piece ids, −1 for unk), `excluded` left out; nil when no path.
    func viterbi(
        _ words: UnigramWords, _ b: UnsafeBufferPointer<UInt8>, _ w: Int, table: PrefixTable? = nil, excluded: Int = -1,
        into path: inout [Int32]
    ) -> Bool {
        let m = words.chars(w)
        var best = [Double](repeating: -Double.infinity, count: m + 1)
        var back = [(Int32, Int32)](repeating: (-1, -1), count: m + 1)
        best[0] = 0
        let visit = { (i: Int, k: Int, id: Int, s: Double) in
            if best[i] > -Double.infinity && best[i] + s > best[k] {
                best[k] = best[i] + s
                back[k] = (Int32(i), Int32(id))
            }
        }
        if let table { forEachNode(words, b, w, table: table, excluded: excluded, visit) } else { forEachNode(words, b, w, visit) }
        path.removeAll(keepingCapacity: true)
        guard best[m] > -Double.infinity else { return false }
        var k = m
        while k > 0 {
            path.append(back[k].1)
            k = Int(back[k].0)
        }
        path.reverse()
        return true
    }

    /// The indices of the pieces kept by sentencepiece's pruning rule, at most `keep` of them.
    func prune(_ words: UnigramWords, keep: Int, workers: Int) -> [Int] {
        // Alternatives: a piece whose own Viterbi path is itself gets the second-best path.
        var pieceWords = WordCounts()
        for p in pieces { p.withUnsafeBufferPointer { pieceWords.add($0.baseAddress!, $0.count) } }
        let pw = UnigramWords(pieceWords)
        let table = PrefixTable(pieces: pieces)
        var alwaysKeep = [Bool](repeating: true, count: pieces.count)
        var alternatives = [[Int32]](repeating: [], count: pieces.count)
        var path: [Int32] = []
        pw.bytes.withUnsafeBufferPointer { b in
            for i in 0..<pieces.count {
                // pieceWords keeps insertion order, so word i is piece i.
                guard viterbi(pw, b, i, table: table, into: &path) else { continue }
                if path.count >= 2 {
                    alwaysKeep[i] = false
                } else if viterbi(pw, b, i, table: table, excluded: i, into: &path) {
                    alternatives[i] = path
                }
            }
        }
        // Viterbi frequencies over the corpus (a piece counted once per occurrence, weighted by
        // the word's count), on `workers` threads.
        let freq = sum(perChunk(words, workers: workers) { range in
            var f = [Double](repeating: 0, count: pieces.count)
            var path: [Int32] = []
            words.bytes.withUnsafeBufferPointer { b in
                for w in range where viterbi(words, b, w, into: &path) {
                    for id in path where id >= 0 { f[Int(id)] += words.freq[w] }
                }
            }
            return f
        })
        let wordFreqOfPiece = freq
        let vsum = words.freq.reduce(0, +)
        let sum = freq.reduce(0, +)
        let logSum = log(sum)
        var kept: [Int] = []
        var candidates: [(Int, Double)] = []
        for i in 0..<pieces.count {
            if freq[i] == 0 || !alwaysKeep[i] { continue }
            if alternatives[i].isEmpty {
                kept.append(i)
                continue
            }
            let F = wordFreqOfPiece[i] / vsum
            let logProbPiece = log(freq[i]) - logSum
            let logSumAlt = log(sum + freq[i] * Double(alternatives[i].count - 1))
            var logProbAlt = 0.0
            for n in alternatives[i] { logProbAlt += (n >= 0 ? log(freq[Int(n)] + freq[i]) : 0) - logSumAlt }
            candidates.append((i, F * (logProbPiece - logProbAlt)))
        }
        candidates.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        for (i, _) in candidates where kept.count < keep { kept.append(i) }
        return kept.sorted()
    }
}

@inline(__always)
func logAdd(_ a: Double, _ b: Double) -> Double {
    if a == -Double.infinity { return b }
    if b == -Double.infinity { return a }
    return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b))
}

/// Byte string → Int32 over an arena (piece ids, −1 for prefixes), open addressing.
struct PrefixTable: @unchecked Sendable {
    /// Every piece, and every proper prefix (at character boundaries) as −1.
    init(pieces: [[UInt8]]) {
        for (id, p) in pieces.enumerated() {
            p.withUnsafeBufferPointer { b in
                var i = 0
                while i < b.count {
                    i += utf8Length(b[i])
                    insert(b.baseAddress!, min(i, b.count), id: i >= b.count ? Int32(id) : -1)
                }
            }
        }
    }

    init() {}

    private var arena: [UInt8] = []
    private var starts: [Int] = []
    private var lengths: [Int32] = []
    private var ids: [Int32] = []
    private var hashes: [UInt64] = []
    private var slots = [Int32](repeating: -1, count: 1 << 12)
    private var mask = (1 << 12) - 1

    /// Inserts; an id ≥ 0 replaces a −1 (a prefix that is also a piece).
    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, id: Int32) {
        let h = stringHash(p, n)
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 {
            let e = Int(slots[i])
            if hashes[e] == h && Int(lengths[e]) == n && arena.withUnsafeBufferPointer({ memcmp($0.baseAddress! + starts[e], p, n) == 0 }) {
                if id >= 0 { ids[e] = id }
                return
            }
            i = (i + 1) & mask
        }
        slots[i] = Int32(ids.count)
        starts.append(arena.count)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        lengths.append(Int32(n))
        ids.append(id)
        hashes.append(h)
        if ids.count * 2 > slots.count {
            let size = slots.count * 2
            slots = [Int32](repeating: -1, count: size)
            mask = size - 1
            for e in 0..<ids.count {
                var j = Int(truncatingIfNeeded: hashes[e]) & mask
                while slots[j] >= 0 { j = (j + 1) & mask }
                slots[j] = Int32(e)
            }
        }
    }

    @inline(__always)
    func get(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> Int32? {
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[i])
            if e < 0 { return nil }
            if hashes[e] == h && Int(lengths[e]) == n && arena.withUnsafeBufferPointer({ memcmp($0.baseAddress! + starts[e], p, n) == 0 }) {
                return ids[e]
            }
            i = (i + 1) & mask
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
