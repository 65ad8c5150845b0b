// Unigram scores over the node store (UnigramTrainer.swift): forward–backward expected counts,
// Viterbi, and the likelihood loss of removing each piece that pruning ranks by. Training words
// and nodes are built elsewhere (UnigramWords.swift, NodeStore.swift).
import Foundation
import SluiceCore

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
    func forEachNode(
        _ words: UnigramWords, _ b: UnsafeBufferPointer<UInt8>, _ w: Int, excluded: Int = -1,
        _ body: (Int, Int, Int, Double) -> Void
    ) {
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
    func forEachNode(
        _ words: UnigramWords, _ b: UnsafeBufferPointer<UInt8>, _ w: Int, table: PrefixTable, excluded: Int,
        _ body: (Int, Int, Int, Double) -> Void
    ) {
        let m = words.chars(w)
        for i in 0..<m {
            var single = false
            words.forEachPrefix(b, word: w, chars: m, from: i, in: table) { k, id in
                guard id >= 0 && Int(id) != excluded else { return }
                body(i, k, Int(id), scores[Int(id)])
                if k == i + 1 { single = true }
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
        sum(
            perChunk(words, workers: workers) { range in
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
        if let table {
            forEachNode(words, b, w, table: table, excluded: excluded, visit)
        } else {
            forEachNode(words, b, w, visit)
        }
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
        let freq = sum(
            perChunk(words, workers: workers) { range in
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
