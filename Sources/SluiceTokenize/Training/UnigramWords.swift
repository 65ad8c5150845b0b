// The Unigram trainer's words (UnigramTrainer.swift) in one byte arena with their character
// boundaries, and the enumeration of their substrings that seeds the vocabulary. It does not
// count words (WordCounts.swift) or score pieces (UnigramLattice.swift).
import SluiceCore

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
                            if !prevIsMeta && isDigit(b[cs]) != (leadMeta ? isDigit(b[boundary(w, i + 1)]) : firstDigit)
                            {
                                break
                            }
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

    /// Calls `body(k, id)` for each prefix of word `w` (`m` characters; `b` is `bytes`) that runs
    /// from character `i` to character `k` and is in `table`, by growing `k`: `id` is the piece,
    /// or −1 for a prefix that is only the start of pieces. Stops at the first prefix the table
    /// does not hold, since no piece starts with it. The lattice nodes of a word are these.
    @inline(__always)
    func forEachPrefix(
        _ b: UnsafeBufferPointer<UInt8>, word w: Int, chars m: Int, from i: Int, in table: PrefixTable,
        _ body: (Int, Int32) -> Void
    ) {
        let s = boundary(w, i)
        var hash = IncrementalHash()
        var prev = s
        var k = i + 1
        while k <= m {
            let e = boundary(w, k)
            hash.add(b.baseAddress! + prev, e - prev)
            prev = e
            guard let id = table.get(b.baseAddress! + s, e - s, hash: hash.value(length: e - s)) else { break }
            body(k, id)
            k += 1
        }
    }
}
