// Encoding: added tokens split the text, then the pre-tokenizer, then the model (byte-level BPE
// merges by rank, or Unigram Viterbi). All scratch is in the Encoder, reused across calls.
import SluiceCore

extension Tokenizer {
    /// Per-thread encoding state over a shared tokenizer; reuse one per task or thread.
    public struct Encoder {
        public let tokenizer: Tokenizer
        private var symbols: [UInt32] = []
        private var ranks: [UInt64] = []
        private var scratch: [UInt8] = []
        private var best: [Double] = []
        private var backID: [Int32] = []
        private var backStart: [Int32] = []
        private var path: [(Int32, Int32, Int32)] = []
        /// Direct-mapped cache of recent pre-tokens (≤ 32 bytes) → ids: per slot the hash, the
        /// piece's bytes (checked on a hit) and up to 32 ids.
        private var cacheHash: [UInt64]
        private var cacheKey: [UInt8]  // 32 bytes per slot
        private var cacheKeyLength: [UInt8]
        private var cacheIDs: [UInt32]  // 32 ids per slot
        private var cacheIDCount: [UInt8]
        private var heap: [(UInt64, Int32)] = []
        private var next: [Int32] = []
        private var prev: [Int32] = []
        private var addedFirst = [Bool](repeating: false, count: 256)
        private var addedBytes: [[UInt8]] = []
        private let unicodeNormalizer: UnicodeNormalizer?

        /// Whether added tokens written in the text (`<|endoftext|>`) become their ids, as HF
        /// does. The `tokenize` stage turns this off so document text never injects an EOS.
        public var recognizeAddedTokens = true

        public init(_ tokenizer: Tokenizer, recognizeAddedTokens: Bool = true) {
            self.tokenizer = tokenizer
            self.recognizeAddedTokens = recognizeAddedTokens
            unicodeNormalizer = tokenizer.normalizer.nfkc ? UnicodeNormalizer(form: .nfkc) : nil
            cacheHash = [UInt64](repeating: 0, count: Self.cacheSlots)
            cacheKey = [UInt8](repeating: 0, count: Self.cacheSlots * 32)
            cacheKeyLength = [UInt8](repeating: 0, count: Self.cacheSlots)
            cacheIDs = [UInt32](repeating: 0, count: Self.cacheSlots * 32)
            cacheIDCount = [UInt8](repeating: 0, count: Self.cacheSlots)
            for a in tokenizer.addedTokens {
                let b = Array(a.content.utf8)
                addedBytes.append(b)
                if let f = b.first { addedFirst[Int(f)] = true }
            }
        }

        /// Appends the ids of `text` to `out`.
        public mutating func encode(_ text: String, into out: inout [UInt32], addSpecialTokens: Bool = false) {
            if addSpecialTokens { out += tokenizer.templatePrefix }
            var t = text
            t.makeContiguousUTF8()
            t.utf8.withContiguousStorageIfAvailable { bytes in
                encodeBytes(bytes, into: &out)
            }
            if addSpecialTokens { out += tokenizer.templateSuffix }
        }

        /// Appends the ids of UTF-8 `bytes` (must be valid UTF-8) to `out`.
        public mutating func encodeBytes(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
            if addedBytes.isEmpty || !recognizeAddedTokens {
                encodeSegment(bytes, first: true, into: &out)
                return
            }
            // Added tokens are found in the raw text first (leftmost, longest at a position).
            var segmentStart = 0
            var i = 0
            let n = bytes.count
            while i < n {
                if addedFirst[Int(bytes[i])] {
                    var matched = -1
                    var matchedLength = 0
                    for (k, a) in addedBytes.enumerated() where a.count > matchedLength && i + a.count <= n {
                        if a.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress! + i, a.count) == 0 }) {
                            matched = k
                            matchedLength = a.count
                        }
                    }
                    if matched >= 0 {
                        if i > segmentStart {
                            encodeSegment(UnsafeBufferPointer(rebasing: bytes[segmentStart..<i]), first: segmentStart == 0, into: &out)
                        }
                        out.append(tokenizer.addedTokens[matched].id)
                        i += matchedLength
                        segmentStart = i
                        continue
                    }
                }
                i += 1
            }
            if segmentStart < n {
                encodeSegment(UnsafeBufferPointer(rebasing: bytes[segmentStart..<n]), first: segmentStart == 0, into: &out)
            }
        }

        private mutating func encodeSegment(_ bytes: UnsafeBufferPointer<UInt8>, first: Bool, into out: inout [UInt32]) {
            if let n = unicodeNormalizer, !bytes.allSatisfy({ $0 < 0x80 }) {
                // NFKC (ICU through SluiceCore); ASCII is already normal.
                let text = String(decoding: bytes, as: UTF8.self)
                var normalized = (try? n.normalize(text)) ?? text
                normalized.withUTF8 { b in encodeNormalized(b, first: first, into: &out) }
                return
            }
            encodeNormalized(bytes, first: first, into: &out)
        }

        private mutating func encodeNormalized(_ bytes: UnsafeBufferPointer<UInt8>, first: Bool, into out: inout [UInt32]) {
            switch tokenizer.preTokenizer {
            case .byteLevel(let pattern, let addPrefixSpace):
                if addPrefixSpace && bytes.first != 0x20 {
                    scratch.removeAll(keepingCapacity: true)
                    scratch.append(0x20)
                    scratch.append(contentsOf: bytes)
                    let copy = scratch
                    let n = copy.count
                    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
                    defer { p.deallocate() }
                    p.initialize(from: copy, count: n)
                    splitBPE(UnsafeBufferPointer(start: p, count: n), pattern: pattern, into: &out)
                } else {
                    splitBPE(bytes, pattern: pattern, into: &out)
                }
            case .metaspace(let scheme, let split):
                encodeMetaspace(bytes, first: first, scheme: scheme, split: split, into: &out)
            }
        }

        // MARK: - Byte-level BPE

        private mutating func splitBPE(_ bytes: UnsafeBufferPointer<UInt8>, pattern: SplitPattern?, into out: inout [UInt32]) {
            guard let pattern else {
                bpe(bytes.baseAddress!, bytes.count, into: &out)
                return
            }
            var splitter = PreTokenSplitter(bytes, pattern: pattern)
            while let r = splitter.next() {
                bpe(bytes.baseAddress! + r.lowerBound, r.count, into: &out)
            }
        }

        static let cacheSlots = 1 << 14

        /// BPE of one pre-token: repeatedly merge the adjacent pair of lowest rank (leftmost on ties).
        @inline(__always)
        mutating func bpe(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
            let fast = tokenizer.fast
            if n == 1 {
                out.append(fast.byteIDs[Int(p[0])])
                return
            }
            guard n <= 32 else {
                if tokenizer.ignoreMerges, let id = lookup(p, n) { out.append(id) } else { merge(p, n, into: &out) }
                return
            }
            let h = hashBytes(p, n)
            let slot = Int(truncatingIfNeeded: h) & (Self.cacheSlots - 1)
            let hit = cacheHash.withUnsafeBufferPointer { $0[slot] == h }
                && cacheKeyLength.withUnsafeBufferPointer { Int($0[slot]) == n }
                && cacheKey.withUnsafeBufferPointer { memcmp($0.baseAddress! + 32 * slot, p, n) == 0 }
            if hit {
                let count = Int(cacheIDCount[slot])
                cacheIDs.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[(32 * slot)..<(32 * slot + count)])) }
                return
            }
            let start = out.count
            if tokenizer.ignoreMerges, let id = lookup(p, n) { out.append(id) } else { merge(p, n, into: &out) }
            // Store: n ≤ 32 bytes gives at most 32 ids.
            let count = out.count - start
            cacheHash[slot] = h
            cacheKeyLength[slot] = UInt8(n)
            cacheIDCount[slot] = UInt8(count)
            cacheKey.withUnsafeMutableBufferPointer { ($0.baseAddress! + 32 * slot).update(from: p, count: n) }
            out.withUnsafeBufferPointer { o in
                cacheIDs.withUnsafeMutableBufferPointer { (($0.baseAddress! + 32 * slot)).update(from: o.baseAddress! + start, count: count) }
            }
        }

        @inline(__always)
        private func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32? {
            tokenizer.tokenBytes.withUnsafeBufferPointer { b in
                tokenizer.tokenOffsets.withUnsafeBufferPointer { o in tokenizer.bytesTable.get(p, n, bytes: b, offsets: o) }
            }
        }

        /// Short pieces: rescan the pair ranks (O(n²), n ≤ 64, no allocation).
        /// Long pieces: a linked list and a min-heap of (rank, position), O(n log n), as HF.
        private mutating func merge(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
            if n > 64 {
                mergeLong(p, n, into: &out)
                return
            }
            let fast = tokenizer.fast
            symbols.removeAll(keepingCapacity: true)
            ranks.removeAll(keepingCapacity: true)
            for k in 0..<n { symbols.append(fast.byteIDs[Int(p[k])]) }
            for k in 0..<(n - 1) { ranks.append(fast.pair(symbols[k], symbols[k + 1])) }
            while true {
                var bestK = -1
                var bestRank = UInt64.max
                for k in 0..<ranks.count where ranks[k] < bestRank {
                    bestRank = ranks[k]
                    bestK = k
                }
                if bestK < 0 { break }
                symbols[bestK] = UInt32(truncatingIfNeeded: bestRank)
                symbols.remove(at: bestK + 1)
                ranks.remove(at: bestK)
                if bestK > 0 { ranks[bestK - 1] = fast.pair(symbols[bestK - 1], symbols[bestK]) }
                if bestK < symbols.count - 1 { ranks[bestK] = fast.pair(symbols[bestK], symbols[bestK + 1]) }
            }
            out += symbols
        }

        private mutating func mergeLong(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
            let fast = tokenizer.fast
            symbols.removeAll(keepingCapacity: true)
            next.removeAll(keepingCapacity: true)
            prev.removeAll(keepingCapacity: true)
            ranks.removeAll(keepingCapacity: true)
            heap.removeAll(keepingCapacity: true)
            for k in 0..<n {
                symbols.append(fast.byteIDs[Int(p[k])])
                next.append(Int32(k + 1 < n ? k + 1 : -1))
                prev.append(Int32(k - 1))
            }
            for k in 0..<n {
                let r = k + 1 < n ? fast.pair(symbols[k], symbols[k + 1]) : .max
                ranks.append(r)
                if r != .max { heapPush((r, Int32(k))) }
            }
            while let (r, pos32) = heapPop() {
                let pos = Int(pos32)
                // Stale entries: the position was merged away or its pair changed.
                guard ranks[pos] == r, symbols[pos] != .max else { continue }
                let right = Int(next[pos])
                symbols[pos] = UInt32(truncatingIfNeeded: r)
                symbols[right] = .max  // dead
                ranks[right] = .max
                let after = Int(next[right])
                next[pos] = Int32(after)
                if after >= 0 { prev[after] = Int32(pos) }
                ranks[pos] = after >= 0 ? fast.pair(symbols[pos], symbols[after]) : .max
                if ranks[pos] != .max { heapPush((ranks[pos], Int32(pos))) }
                let before = Int(prev[pos])
                if before >= 0 {
                    ranks[before] = fast.pair(symbols[before], symbols[pos])
                    if ranks[before] != .max { heapPush((ranks[before], Int32(before))) }
                }
            }
            var k = 0
            while k >= 0 {
                out.append(symbols[k])
                k = Int(next[k])
            }
        }

        @inline(__always)
        private mutating func heapPush(_ e: (UInt64, Int32)) {
            heap.append(e)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                if !(heap[i] < heap[parent]) { break }
                heap.swapAt(i, parent)
                i = parent
            }
        }

        @inline(__always)
        private mutating func heapPop() -> (UInt64, Int32)? {
            guard let top = heap.first else { return nil }
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var i = 0
                while true {
                    let l = 2 * i + 1
                    if l >= heap.count { break }
                    var c = l
                    if l + 1 < heap.count && heap[l + 1] < heap[l] { c = l + 1 }
                    if !(heap[c] < heap[i]) { break }
                    heap.swapAt(i, c)
                    i = c
                }
            }
            return top
        }

        // MARK: - Unigram (Metaspace)

        private mutating func encodeMetaspace(
            _ bytes: UnsafeBufferPointer<UInt8>, first: Bool, scheme: String, split: Bool, into out: inout [UInt32]
        ) {
            // Spaces → ▁ (E2 96 81), with a leading ▁ per the prepend scheme.
            scratch.removeAll(keepingCapacity: true)
            let startsWithMeta = bytes.count >= 3 && bytes[0] == 0xE2 && bytes[1] == 0x96 && bytes[2] == 0x81
            let startsWithSpace = bytes.first == 0x20
            if tokenizer.normalizer.dummyPrefix && bytes.count > 0 {
                scratch += [0xE2, 0x96, 0x81]  // Prepend("▁") (HF skips empty text)
            } else if (scheme == "always" || (scheme == "first" && first)) && !startsWithMeta && !startsWithSpace {
                scratch += [0xE2, 0x96, 0x81]
            }
            for b in bytes { if b == 0x20 { scratch += [0xE2, 0x96, 0x81] } else { scratch.append(b) } }
            let s = scratch
            s.withUnsafeBufferPointer { text in
                guard split else {
                    viterbi(text, 0, text.count, into: &out)
                    return
                }
                // Pieces start at each ▁ (MergedWithNext).
                var start = 0
                var i = 3
                while i + 2 < text.count {
                    if text[i] == 0xE2 && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
                        viterbi(text, start, i, into: &out)
                        start = i
                        i += 3
                    } else {
                        i += 1
                    }
                }
                if start < text.count { viterbi(text, start, text.count, into: &out) }
            }
        }

        /// Best segmentation of `text[from..<to]` by summed piece log-probabilities (sentencepiece
        /// Viterbi); characters no piece covers become unk (fused), or bytes with byte fallback.
        private mutating func viterbi(_ text: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, into out: inout [UInt32]) {
            let n = to - from
            guard n > 0 else { return }
            best.removeAll(keepingCapacity: true)
            backID.removeAll(keepingCapacity: true)
            backStart.removeAll(keepingCapacity: true)
            best.append(contentsOf: repeatElement(-Double.infinity, count: n + 1))
            backID.append(contentsOf: repeatElement(-1, count: n + 1))
            backStart.append(contentsOf: repeatElement(-1, count: n + 1))
            best[0] = 0
            let base = text.baseAddress! + from
            let maxLen = tokenizer.maxPieceBytes
            let scores = tokenizer.scores
            var i = 0
            while i < n {
                let charLen = utf8Length(base[i])
                if best[i] > -Double.infinity {
                    var hasSingle = false
                    var j = i + charLen
                    while j <= n && j - i <= maxLen {
                        if let id = lookup(base + i, j - i) {
                            let sc = best[i] + (Int(id) < scores.count ? scores[Int(id)] : 0)
                            if sc > best[j] {
                                best[j] = sc
                                backID[j] = Int32(id)
                                backStart[j] = Int32(i)
                            }
                            if j == i + charLen { hasSingle = true }
                        }
                        if j < n { j += utf8Length(base[j]) } else { break }
                    }
                    if !hasSingle {
                        let e = min(n, i + charLen)
                        let sc = best[i] + tokenizer.unkScore
                        if sc > best[e] {
                            best[e] = sc
                            backID[e] = -2  // unk
                            backStart[e] = Int32(i)
                        }
                    }
                }
                i += charLen
            }
            // Walk back, then emit in order; consecutive unks fuse into one.
            path.removeAll(keepingCapacity: true)
            var e = n
            while e > 0 {
                let s = Int(backStart[e])
                path.append((Int32(s), Int32(e), backID[e]))
                e = s
            }
            var k = path.count - 1
            while k >= 0 {
                let (s, e0, id) = path[k]
                if id >= 0 {
                    out.append(UInt32(id))
                    k -= 1
                    continue
                }
                var end = e0
                while k - 1 >= 0 && path[k - 1].2 == -2 {
                    k -= 1
                    end = path[k].1
                }
                k -= 1
                if tokenizer.byteFallback {
                    for q in Int(s)..<Int(end) {
                        let b = tokenizer.fast.byteIDs[Int(base[q])]
                        if b != UInt32.max { out.append(b) } else if let u = tokenizer.unkID { out.append(u) }
                    }
                } else if let u = tokenizer.unkID {
                    out.append(u)
                }
            }
        }
    }
}

@inline(__always)
func utf8Length(_ b: UInt8) -> Int {
    b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
