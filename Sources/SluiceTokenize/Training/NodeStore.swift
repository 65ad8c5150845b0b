// The lattice nodes of every Unigram training word (UnigramTrainer.swift): which pieces start and
// end at which characters, found in parallel over word ranges and pruned with the vocabulary. It
// holds no scores (UnigramLattice.swift).
import Foundation
import SluiceCore

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
                            words.forEachPrefix(b, word: w, chars: m, from: i, in: table) { k, id in
                                guard id >= 0 else { return }
                                part.start.append(Int32(i))
                                part.end.append(Int32(k))
                                part.piece.append(id)
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
