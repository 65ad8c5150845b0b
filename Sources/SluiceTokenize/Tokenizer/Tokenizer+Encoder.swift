// Encoding: added tokens split the text, then the pre-tokenizer, then the model (byte-level BPE
// merges by rank, or Unigram Viterbi). All scratch is in the Encoder, reused across calls.
import SluiceCore

extension Tokenizer {
    /// Per-thread encoding state over a shared tokenizer; reuse one per task or thread.
    public struct Encoder {
        public let tokenizer: Tokenizer
        private var scratch: [UInt8] = []
        private var best: [Double] = []
        private var backID: [Int32] = []
        private var backStart: [Int32] = []
        private var path: [(Int32, Int32, Int32)] = []
        /// Direct-mapped cache of recent pre-tokens (≤ 32 bytes) → ids: per slot the hash, the
        /// piece's bytes (checked on a hit) and up to 32 ids.
        private let cache: UnsafeMutableRawPointer
        /// Raw copies of the tokenizer's byte and pair tables (kept alive by `tokenizer`).
        private let byteIDs: UnsafeMutablePointer<UInt32>
        private let fast: FastTables
        private let idBits: UInt64
        /// Merge scratch: symbols, pair values, links, heap; owned (and freed) by `work`.
        private let work: MergeScratch
        /// Per byte, whether an added token starts with it (256 entries, in `work`): read
        /// unchecked for every byte of the text, and a byte cannot index out of it.
        private let addedFirst: UnsafeMutablePointer<Bool>
        private var addedBytes: [[UInt8]] = []
        private let unicodeNormalizer: UnicodeNormalizer?

        /// Whether added tokens written in the text (`<|endoftext|>`) become their ids, as HF
        /// does. The `tokenize` stage turns this off so document text never injects an EOS.
        public var recognizeAddedTokens = true

        public init(_ tokenizer: Tokenizer, recognizeAddedTokens: Bool = true) {
            self.tokenizer = tokenizer
            self.recognizeAddedTokens = recognizeAddedTokens
            unicodeNormalizer = tokenizer.normalizer.nfkc ? UnicodeNormalizer(form: .nfkc) : nil
            work = MergeScratch(cacheBytes: Self.cacheSlots * Self.slotBytes)
            cache = work.cache
            fast = tokenizer.fast
            byteIDs = fast.byteIDs
            idBits = fast.idBits
            addedFirst = work.addedFirst
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
                        if a.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress! + i, a.count) == 0 })
                        {
                            matched = k
                            matchedLength = a.count
                        }
                    }
                    if matched >= 0 {
                        if i > segmentStart {
                            encodeSegment(
                                UnsafeBufferPointer(rebasing: bytes[segmentStart..<i]), first: segmentStart == 0,
                                into: &out)
                        }
                        out.append(tokenizer.addedTokens[matched].id)
                        i += matchedLength
                        segmentStart = i
                        continue
                    }
                }
                i &+= 1  // < n
            }
            if segmentStart < n {
                encodeSegment(
                    UnsafeBufferPointer(rebasing: bytes[segmentStart..<n]), first: segmentStart == 0, into: &out)
            }
        }

        private mutating func encodeSegment(_ bytes: UnsafeBufferPointer<UInt8>, first: Bool, into out: inout [UInt32])
        {
            if let n = unicodeNormalizer, !bytes.allSatisfy({ $0 < 0x80 }) {
                // NFKC (ICU through SluiceCore); ASCII is already normal.
                let text = String(decoding: bytes, as: UTF8.self)
                var normalized = (try? n.normalize(text)) ?? text
                normalized.withUTF8 { b in encodeNormalized(b, first: first, into: &out) }
                return
            }
            encodeNormalized(bytes, first: first, into: &out)
        }

        private mutating func encodeNormalized(
            _ bytes: UnsafeBufferPointer<UInt8>, first: Bool, into out: inout [UInt32]
        ) {
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

        /// Ids go to raw scratch first (a piece gives at most one id per byte, so one reservation
        /// covers the segment), then into `out` in one copy: no per-token Array bookkeeping.
        private mutating func splitBPE(
            _ bytes: UnsafeBufferPointer<UInt8>, pattern: SplitPattern?, into out: inout [UInt32]
        ) {
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            work.reserveOutput(bytes.count)
            let o = work.output
            var k = 0
            if let pattern {
                var splitter = PreTokenSplitter(bytes, pattern: pattern)
                while let r = splitter.next() { k += bpe(base + r.lowerBound, r.count, into: o + k) }
            } else {
                k = bpe(base, bytes.count, into: o)
            }
            out.append(contentsOf: UnsafeBufferPointer(start: o, count: k))
        }

        static let cacheSlots = 1 << 14
        /// A cache slot is one 64-byte line: hash (8 bytes), key length, id count, the key (up to
        /// 22 bytes), up to 8 ids. Larger slots made every lookup a cache miss (2.8 MB of slots).
        static let slotBytes = 64
        static let maxKeyBytes = 22
        static let maxCachedIDs = 8
        /// Pieces up to this many bytes merge by rescanning pair ranks; longer ones use a heap.
        static let scanLimit = 24

        /// BPE of one pre-token: repeatedly merge the adjacent pair of lowest rank (leftmost on ties).
        @inline(__always)
        mutating func bpe(_ p: UnsafePointer<UInt8>, _ n: Int, into o: UnsafeMutablePointer<UInt32>) -> Int {
            if n == 1 {
                o[0] = byteIDs[Int(p[0])]
                return 1
            }
            guard n <= Self.maxKeyBytes else {
                if tokenizer.ignoreMerges, let id = lookup(p, n) {
                    o[0] = id
                    return 1
                }
                return merge(p, n, into: o)
            }
            let h = fnv1aHash(p, n)
            let slot = cache + (Int(truncatingIfNeeded: h) & (Self.cacheSlots - 1)) * Self.slotBytes
            if slot.load(as: UInt64.self) == h && Int(slot.load(fromByteOffset: 8, as: UInt8.self)) == n
                && memcmp(slot + 10, p, n) == 0
            {
                let count = Int(slot.load(fromByteOffset: 9, as: UInt8.self))
                let ids = (slot + 32).assumingMemoryBound(to: UInt32.self)
                o.update(from: ids, count: count)
                return count
            }
            let count: Int
            if tokenizer.ignoreMerges, let id = lookup(p, n) {
                o[0] = id
                count = 1
            } else {
                count = merge(p, n, into: o)
            }
            guard count <= Self.maxCachedIDs else { return count }
            slot.storeBytes(of: h, as: UInt64.self)
            slot.storeBytes(of: UInt8(n), toByteOffset: 8, as: UInt8.self)
            slot.storeBytes(of: UInt8(count), toByteOffset: 9, as: UInt8.self)
            (slot + 10).copyMemory(from: p, byteCount: n)
            (slot + 32).copyMemory(from: o, byteCount: 4 * count)
            return count
        }

        @inline(__always)
        private func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32? {
            tokenizer.tokenBytes.withUnsafeBufferPointer { b in
                tokenizer.tokenOffsets.withUnsafeBufferPointer { o in
                    tokenizer.bytesTable.get(p, n, bytes: b, offsets: o)
                }
            }
        }

        /// The pair's value (rank order, merged id in the low `idBits`), or UInt64.max.
        @inline(__always)
        private func pair(_ a: UInt32, _ b: UInt32) -> UInt64 { fast.value(a, b) }

        /// The merged id in pair value `v` (`idBits` is 16 or 32: the mask cannot wrap).
        @inline(__always)
        private func mergedID(_ v: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: v & ((1 << idBits) &- 1)) }

        /// Short pieces: rescan the pair ranks (O(n²) over n ≤ `scanLimit`, in place).
        /// Long pieces: a linked list and a min-heap of rank << 32 | position, O(n log n), as HF.
        private mutating func merge(_ p: UnsafePointer<UInt8>, _ n: Int, into o: UnsafeMutablePointer<UInt32>) -> Int {
            work.reserve(n)
            let s = work.symbols
            for k in 0..<n { s[k] = byteIDs[Int(p[k])] }
            if n > Self.scanLimit {
                return mergeHeap(n, into: o)
            }
            let r = work.values
            var m = n
            for k in 0..<(m - 1) { r[k] = pair(s[k], s[k + 1]) }
            while m > 1 {
                var best = UInt64.max
                var bk = -1
                for k in 0..<(m - 1) where r[k] < best {
                    best = r[k]
                    bk = k
                }
                if bk < 0 { break }
                // Symbol bk becomes the merged id; symbol bk + 1 and pair bk go; the pairs on
                // both sides of the new symbol are looked up again.
                s[bk] = mergedID(best)
                m -= 1
                // j < m ≤ n ≤ scanLimit: `&+` cannot wrap.
                var j = bk &+ 1
                while j < m {
                    s[j] = s[j &+ 1]
                    j &+= 1
                }
                j = bk
                while j < m &- 1 {
                    r[j] = r[j &+ 1]
                    j &+= 1
                }
                if bk > 0 { r[bk - 1] = pair(s[bk - 1], s[bk]) }
                if bk < m - 1 { r[bk] = pair(s[bk], s[bk + 1]) }
            }
            o.update(from: s, count: m)
            return m
        }

        private mutating func mergeHeap(_ n: Int, into o: UnsafeMutablePointer<UInt32>) -> Int {
            let s = work.symbols
            let r = work.values
            let next = work.next
            let prev = work.prev
            var heap = MinHeap(work.heap)
            for k in 0..<n {
                next[k] = Int32(k + 1 < n ? k + 1 : -1)
                prev[k] = Int32(k - 1)
            }
            for k in 0..<(n - 1) {
                let v = pair(s[k], s[k + 1])
                r[k] = v
                if v != .max { heap.push((v >> idBits) << 32 | UInt64(k)) }
            }
            r[n - 1] = .max
            while let top = heap.pop() {
                let pos = Int(top & 0xFFFF_FFFF)
                let v = r[pos]
                // Stale entries: the position was merged away (value .max) or its pair changed.
                guard v != .max, v >> idBits == top >> 32 else { continue }
                let right = Int(next[pos])
                s[pos] = mergedID(v)
                r[right] = .max  // dead
                let after = Int(next[right])
                next[pos] = Int32(after)
                if after >= 0 { prev[after] = Int32(pos) }
                let w = after >= 0 ? pair(s[pos], s[after]) : .max
                r[pos] = w
                if w != .max { heap.push((w >> idBits) << 32 | UInt64(pos)) }
                let before = Int(prev[pos])
                if before >= 0 {
                    let u = pair(s[before], s[pos])
                    r[before] = u
                    if u != .max { heap.push((u >> idBits) << 32 | UInt64(before)) }
                }
            }
            var k = 0
            var count = 0
            while k >= 0 {
                o[count] = s[k]
                count += 1
                k = Int(next[k])
            }
            return count
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
        private mutating func viterbi(
            _ text: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, into out: inout [UInt32]
        ) {
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
                        let b = byteIDs[Int(base[q])]
                        if b != UInt32.max { out.append(b) } else if let u = tokenizer.unkID { out.append(u) }
                    }
                } else if let u = tokenizer.unkID {
                    out.append(u)
                }
            }
        }
    }
}

/// Raw scratch for the merge loops and the piece cache, grown on demand; one per Encoder.
final class MergeScratch {
    private(set) var capacity = 0
    private(set) var symbols = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    private(set) var values = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    private(set) var next = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private(set) var prev = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private(set) var heap = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    let cache: UnsafeMutableRawPointer
    /// The encoder's 256 added-token first-byte flags.
    let addedFirst = UnsafeMutablePointer<Bool>.allocate(capacity: 256)
    /// Ids of the segment being encoded (at most one per byte).
    private(set) var output = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    private(set) var outputCapacity = 0

    init(cacheBytes: Int) {
        cache = UnsafeMutableRawPointer.allocate(byteCount: cacheBytes, alignment: 64)
        cache.initializeMemory(as: UInt8.self, repeating: 0, count: cacheBytes)
        addedFirst.initialize(repeating: false, count: 256)
        reserve(256)
    }

    /// Room for the ids of a segment of `n` bytes.
    @inline(__always)
    func reserveOutput(_ n: Int) {
        if n > outputCapacity { growOutput(n) }
    }

    @inline(never)
    private func growOutput(_ n: Int) {
        output.deallocate()
        outputCapacity = max(n, 2 * outputCapacity, 4096)
        output = .allocate(capacity: outputCapacity)
    }

    /// Room for a piece of `n` bytes (the heap holds at most 3n entries).
    @inline(__always)
    func reserve(_ n: Int) {
        if n > capacity { grow(n) }
    }

    @inline(never)
    private func grow(_ n: Int) {
        free()
        capacity = max(n, 2 * capacity)
        symbols = .allocate(capacity: capacity)
        values = .allocate(capacity: capacity)
        next = .allocate(capacity: capacity)
        prev = .allocate(capacity: capacity)
        heap = .allocate(capacity: 3 * capacity)
    }

    private func free() {
        symbols.deallocate()
        values.deallocate()
        next.deallocate()
        prev.deallocate()
        heap.deallocate()
    }

    deinit {
        free()
        output.deallocate()
        cache.deallocate()
        addedFirst.deallocate()
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
