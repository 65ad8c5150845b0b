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
        /// Direct-mapped cache of recent pre-tokens → ids (hash, slot of ids).
        private var cacheKeys: [UInt64]
        private var cacheIDs: [[UInt32]]
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
            cacheKeys = [UInt64](repeating: 0, count: 1 << 14)
            cacheIDs = [[UInt32]](repeating: [], count: 1 << 14)
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

        /// BPE of one pre-token: repeatedly merge the adjacent pair of lowest rank (leftmost on ties).
        @inline(__always)
        mutating func bpe(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
            if n == 1 {
                out.append(tokenizer.byteIDs[Int(p[0])])
                return
            }
            let h = hashBytes(p, n)
            let slot = Int(truncatingIfNeeded: h) & (cacheKeys.count - 1)
            if n <= 32 && cacheKeys[slot] == h && !cacheIDs[slot].isEmpty && verifyCached(slot, p, n) {
                out += cacheIDs[slot]
                return
            }
            let start = out.count
            if tokenizer.ignoreMerges, let id = lookup(p, n) {
                out.append(id)
            } else {
                merge(p, n, into: &out)
            }
            if n <= 32 {
                cacheKeys[slot] = h
                cacheIDs[slot] = Array(out[start...])
            }
        }

        /// The cached ids of a slot spell exactly `p[0..<n]` (guards against hash collisions).
        @inline(__always)
        private func verifyCached(_ slot: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
            var k = 0
            return tokenizer.tokenBytes.withUnsafeBufferPointer { tb in
                for id in cacheIDs[slot] {
                    let a = tokenizer.tokenOffsets[Int(id)]
                    let len = tokenizer.tokenOffsets[Int(id) + 1] - a
                    if k + len > n || memcmp(tb.baseAddress! + a, p + k, len) != 0 { return false }
                    k += len
                }
                return k == n
            }
        }

        @inline(__always)
        private func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32? {
            tokenizer.tokenBytes.withUnsafeBufferPointer { b in
                tokenizer.tokenOffsets.withUnsafeBufferPointer { o in tokenizer.bytesTable.get(p, n, bytes: b, offsets: o) }
            }
        }

        private mutating func merge(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
            symbols.removeAll(keepingCapacity: true)
            ranks.removeAll(keepingCapacity: true)
            let pairs = tokenizer.pairTable
            tokenizer.byteIDs.withUnsafeBufferPointer { ids in
                for k in 0..<n { symbols.append(ids[Int(p[k])]) }
            }
            for k in 0..<(n - 1) { ranks.append(pairs.get(UInt64(symbols[k]) << 32 | UInt64(symbols[k + 1])) ?? .max) }
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
                if bestK > 0 {
                    ranks[bestK - 1] = pairs.get(UInt64(symbols[bestK - 1]) << 32 | UInt64(symbols[bestK])) ?? .max
                }
                if bestK < symbols.count - 1 {
                    ranks[bestK] = pairs.get(UInt64(symbols[bestK]) << 32 | UInt64(symbols[bestK + 1])) ?? .max
                }
            }
            out += symbols
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
                        let b = tokenizer.byteIDs[Int(base[q])]
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
