// Byte-level BPE training with HF tokenizers' algorithm and tie-breaking (so the merges match
// its trainer on the same counts): pair counts kept incrementally, a max-heap with lazy count
// updates, and a pair → word index so each merge touches only the words that hold the pair.
// Counts are 64-bit (HF's pair counts are i32, `as i32` in its `bpe/trainer.rs`, and overflow on large corpora).
import SluiceCore

/// Trains a byte-level BPE tokenizer from pre-token counts.
///
/// ```swift
/// var counts = WordCounts()
/// counts.addText(bytes, pattern: .gpt2)
/// let tok = try BPETrainer(vocabSize: 8192).train(counts)
/// ```
public struct BPETrainer: Sendable {
    /// Final vocabulary size, special tokens and the 256 bytes included.
    public var vocabSize: Int
    /// Merges stop when the best pair occurs fewer times than this.
    public var minFrequency: UInt64 = 0
    /// Added at ids 0, 1, … (the first is the end-of-text token shards use).
    public var specialTokens: [String] = ["<|endoftext|>"]
    /// No token longer than this many bytes is made (nil: no limit).
    public var maxTokenLength: Int? = nil
    /// The split pattern the tokenizer uses (it must be the one the counts were made with).
    public var pattern: SplitPattern = .gpt2

    public init(
        vocabSize: Int, minFrequency: UInt64 = 0, specialTokens: [String] = ["<|endoftext|>"],
        maxTokenLength: Int? = nil, pattern: SplitPattern = .gpt2
    ) {
        self.vocabSize = vocabSize
        self.minFrequency = minFrequency
        self.specialTokens = specialTokens
        self.maxTokenLength = maxTokenLength
        self.pattern = pattern
    }

    /// A heap entry: a pair and its count when pushed.
    /// A queue entry; the heap's smallest is the next merge.
    struct Entry: Comparable {
        var count: Int64
        var key: UInt64  // left << 32 | right
        var index: Int32  // into the pair arrays
        /// HF's order: larger count first, then the smaller pair.
        @inline(__always) static func < (a: Entry, b: Entry) -> Bool {
            a.count != b.count ? a.count > b.count : a.key < b.key
        }
    }

    /// Trains on `counts`.
    /// - Throws: `SluiceError(.config)` when the vocab size cannot hold the specials and bytes.
    /// - Complexity: O(total pair occurrences touched by merges), as HF's trainer.
    public func train(_ counts: WordCounts) throws -> Tokenizer {
        let specials = specialTokens.count
        guard vocabSize >= specials + 256 else {
            throw SluiceError(.config, "vocab size \(vocabSize) is smaller than \(specials) special tokens + 256 bytes")
        }
        // Vocabulary: specials, then the 256 bytes ordered by their byte-level character (as HF
        // sorts its alphabet by code point).
        var tokenBytes: [[UInt8]] = specialTokens.map { Array($0.utf8) }
        let byteOrder = (0..<256).sorted { ByteLevel.byteToScalar[$0] < ByteLevel.byteToScalar[$1] }
        var byteID = [UInt32](repeating: 0, count: 256)
        for b in byteOrder {
            byteID[b] = UInt32(tokenBytes.count)
            tokenBytes.append([UInt8(b)])
        }
        var tokenIndex: [[UInt8]: UInt32] = [:]
        for (i, t) in tokenBytes.enumerated() where i >= specials { tokenIndex[t] = UInt32(i) }

        // Words as symbol runs in one flat buffer (merging only shrinks a word). These are raw
        // buffers, read without bounds checks in the loops below (under -O the checks added 40 %
        // to this function): every index is a word w < nWords, or a position inside w's run
        // wordStart[w] ..< wordStart[w] + wordLength[w], which lies in 0..<total and only shrinks.
        let nWords = counts.distinct
        let wordStart = UnsafeMutablePointer<Int>.allocate(capacity: nWords + 1)
        let wordLength = UnsafeMutablePointer<Int32>.allocate(capacity: max(nWords, 1))
        let wordCount = UnsafeMutablePointer<Int64>.allocate(capacity: max(nWords, 1))
        defer {
            wordStart.deallocate()
            wordLength.deallocate()
            wordCount.deallocate()
        }
        var total = 0
        for w in 0..<nWords {
            let n = counts.word(w).count
            wordStart[w] = total
            wordLength[w] = Int32(n)
            wordCount[w] = Int64(clamping: counts.counts[w])
            total += n
        }
        wordStart[nWords] = total
        let symbols = UnsafeMutablePointer<UInt32>.allocate(capacity: max(total, 1))
        let symLen = UnsafeMutablePointer<Int32>.allocate(capacity: max(total, 1))  // byte length of each symbol
        defer {
            symbols.deallocate()
            symLen.deallocate()
        }
        symLen.initialize(repeating: 1, count: total)
        byteID.withUnsafeBufferPointer { byteID in
            for w in 0..<nWords {
                var k = wordStart[w]
                for b in counts.word(w) {
                    symbols[k] = byteID[Int(b)]  // a byte indexes the 256 entries
                    k &+= 1  // < total
                }
            }
        }
        let maxLen = maxTokenLength ?? Int.max

        // Pair table: key → index; per index a count and the words that (may) hold it.
        var pairIndex = PairIndex(capacity: 1 << 16)
        var pairCount: [Int64] = []
        var pairWords: [[Int32]] = []
        // The tables are passed inout, not captured: a closure over them would box them and check
        // every access for exclusivity at run time in an -O build.
        @inline(__always) func index(
            _ key: UInt64, _ pairIndex: inout PairIndex, _ pairCount: inout [Int64], _ pairWords: inout [[Int32]]
        ) -> Int {
            let (i, inserted) = pairIndex.findOrInsert(key)
            if inserted {
                pairCount.append(0)
                pairWords.append([])
            }
            return Int(i)
        }
        // The merge loop's updates of pair i, without bounds checks: i comes from `index`, which
        // makes the pair's pairCount and pairWords entries with its index, so it is in range.
        @inline(__always) func add(_ c: Int64, to i: Int, _ pairCount: inout [Int64]) {
            pairCount.withUnsafeMutableBufferPointer { $0[i] += c }
        }
        @inline(__always) func note(_ w: Int32, in i: Int, _ pairWords: inout [[Int32]]) {
            pairWords.withUnsafeMutableBufferPointer { if $0[i].last != w { $0[i].append(w) } }
        }
        for w in 0..<nWords {
            let s = wordStart[w]
            let n = Int(wordLength[w])
            guard n >= 2 else { continue }
            let w32 = Int32(w)
            for k in s..<(s &+ n &- 1) {
                let i = index(UInt64(symbols[k]) << 32 | UInt64(symbols[k &+ 1]), &pairIndex, &pairCount, &pairWords)
                add(wordCount[w], to: i, &pairCount)
                note(w32, in: i, &pairWords)
            }
        }

        var heap = [Entry]()
        heap.reserveCapacity(pairCount.count)
        for i in 0..<pairCount.count where pairCount[i] > 0 {
            heap.append(Entry(count: pairCount[i], key: pairIndex.keyOf(Int32(i)), index: Int32(i)))
        }
        heap.heapify()

        var merges: [(UInt32, UInt32)] = []
        var touched: [Int] = []
        var touchedMark = [Bool]()
        while tokenBytes.count < vocabSize {
            guard var top = heap.heapPop() else { break }
            let current = pairCount[Int(top.index)]
            if top.count != current {
                top.count = current
                heap.heapPush(top)
                continue
            }
            if top.count < 1 || UInt64(top.count) < minFrequency { break }
            let a = UInt32(top.key >> 32)
            let b = UInt32(truncatingIfNeeded: top.key)
            let merged = tokenBytes[Int(a)] + tokenBytes[Int(b)]
            let newID: UInt32
            if let existing = tokenIndex[merged] {
                newID = existing
            } else {
                newID = UInt32(tokenBytes.count)
                tokenBytes.append(merged)
                tokenIndex[merged] = newID
            }
            merges.append((a, b))
            let newLen = Int32(merged.count)

            // Merge the pair in every word that may hold it (HF `Word::merge`).
            let words = pairWords[Int(top.index)]
            pairWords[Int(top.index)] = []
            touched.removeAll(keepingCapacity: true)
            for w32 in words {
                let w = Int(w32)
                let s = wordStart[w]
                var n = Int(wordLength[w])
                let c = wordCount[w]
                // Positions are in s ..< s + n (see the buffers above), so `&+`/`&-` cannot wrap.
                var last = s &+ n &- 1  // the last position that starts a pair
                var k = s
                while k < last {
                    guard symbols[k] == a && symbols[k &+ 1] == b else {
                        k &+= 1
                        continue
                    }
                    if k > s {
                        let prev = symbols[k &- 1]
                        let old = index(UInt64(prev) << 32 | UInt64(a), &pairIndex, &pairCount, &pairWords)
                        add(-c, to: old, &pairCount)
                        if Int(symLen[k &- 1] &+ newLen) <= maxLen {
                            let i = index(UInt64(prev) << 32 | UInt64(newID), &pairIndex, &pairCount, &pairWords)
                            add(c, to: i, &pairCount)
                            note(w32, in: i, &pairWords)
                            markTouched(i, &touched, &touchedMark)
                        }
                    }
                    symbols[k] = newID
                    symLen[k] = newLen
                    // Remove symbol k + 1.
                    var m = k &+ 1
                    while m < last {
                        symbols[m] = symbols[m &+ 1]
                        symLen[m] = symLen[m &+ 1]
                        m &+= 1
                    }
                    n &-= 1
                    last &-= 1
                    if k < last {
                        let next = symbols[k &+ 1]
                        let old = index(UInt64(b) << 32 | UInt64(next), &pairIndex, &pairCount, &pairWords)
                        add(-c, to: old, &pairCount)
                        if Int(symLen[k &+ 1] &+ newLen) <= maxLen {
                            let i = index(UInt64(newID) << 32 | UInt64(next), &pairIndex, &pairCount, &pairWords)
                            add(c, to: i, &pairCount)
                            note(w32, in: i, &pairWords)
                            markTouched(i, &touched, &touchedMark)
                        }
                    }
                    k &+= 1
                }
                wordLength[w] = Int32(truncatingIfNeeded: n)
            }
            for i in touched {
                touchedMark[i] = false
                if pairCount[i] > 0 {
                    heap.heapPush(Entry(count: pairCount[i], key: pairIndex.keyOf(Int32(i)), index: Int32(i)))
                }
            }
        }

        let vocab = tokenBytes.enumerated().map { i, t in i < specials ? specialTokens[i] : ByteLevel.encode(t) }
        return try Tokenizer(
            kind: .bpe, vocab: vocab, merges: merges, preTokenizer: .byteLevel(pattern: pattern, addPrefixSpace: false),
            addedTokens: specialTokens.enumerated().map { .init(id: UInt32($0.offset), content: $0.element) },
            source: "BPE trainer")
    }

    @inline(__always)
    private func markTouched(_ i: Int, _ touched: inout [Int], _ mark: inout [Bool]) {
        if i >= mark.count { mark.append(contentsOf: repeatElement(false, count: i + 1 - mark.count + 1024)) }
        // Unchecked: i (a pair index, ≥ 0) is below mark.count now.
        mark.withUnsafeMutableBufferPointer { mark in
            if !mark[i] {
                mark[i] = true
                touched.append(i)
            }
        }
    }
}

/// Pair key → dense index, open addressing.
struct PairIndex {
    private var keys: [UInt64]
    private var values: [Int32]
    private var byIndex: [UInt64] = []
    private var mask: Int

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: .max, count: size)
        values = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    func keyOf(_ i: Int32) -> UInt64 { byIndex[Int(i)] }

    /// The index of `key`, and whether it is new (then its index is the count of keys before it).
    @inline(__always)
    mutating func findOrInsert(_ key: UInt64) -> (Int32, Bool) {
        // Probed without bounds checks (called a few times per merged symbol): `& mask` keeps
        // every slot inside both arrays, whose count is mask + 1.
        let (i, found) = keys.withUnsafeBufferPointer { k -> (Int, Bool) in
            var i = Int(truncatingIfNeeded: mixBits(key)) & mask
            while true {
                let x = k[i]
                if x == key { return (i, true) }
                if x == .max { return (i, false) }
                i = (i &+ 1) & mask
            }
        }
        if found { return (values.withUnsafeBufferPointer { $0[i] }, false) }
        let next = Int32(byIndex.count)
        keys[i] = key
        values[i] = next
        byIndex.append(key)
        if byIndex.count * 2 > keys.count { grow() }
        return (next, true)
    }

    private mutating func grow() {
        let size = keys.count * 2
        keys = [UInt64](repeating: .max, count: size)
        values = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (v, key) in byIndex.enumerated() {
            var i = Int(truncatingIfNeeded: mixBits(key)) & mask
            while keys[i] != .max { i = (i + 1) & mask }
            keys[i] = key
            values[i] = Int32(v)
        }
    }
}
