// A loaded tokenizer: byte-level BPE (GPT-2 / cl100k split) or Unigram (Metaspace), with added
// (special) tokens, read from and written to HF `tokenizer.json`. Immutable and Sendable;
// encoding scratch lives in `Tokenizer.Encoder`, one per thread.
import Foundation
import SluiceCore

/// A tokenizer as Hugging Face `tokenizers` defines it, for the models Sluice trains.
///
/// ```swift
/// let tok = try Tokenizer.load(path: "tokenizer.json")
/// let ids = tok.encode("Hello world")          // no special tokens added
/// let text = tok.decode(ids)                    // "Hello world"
/// ```
/// `decode(encode(x)) == x` for every string with byte-level BPE, and for every string the
/// normalizer leaves unchanged with Unigram.
public final class Tokenizer: @unchecked Sendable {
    /// The model kind.
    public enum Kind: String, Sendable { case bpe, unigram }

    /// How text is split before the model sees it.
    public enum PreTokenizer: Sendable, Equatable {
        /// Byte-level BPE: split by `pattern` (nil = no split), then bytes.
        case byteLevel(pattern: SplitPattern?, addPrefixSpace: Bool)
        /// SentencePiece style: spaces become `▁`, a `▁` is prepended per `prependScheme`
        /// ("always", "first", "never"), and pieces start at each `▁` when `split`.
        case metaspace(prependScheme: String, split: Bool)
    }

    /// An added token (`added_tokens` in tokenizer.json): matched in raw text before splitting.
    public struct AddedToken: Sendable, Equatable {
        public var id: UInt32
        public var content: String
        public var special: Bool
        public init(id: UInt32, content: String, special: Bool = true) {
            self.id = id
            self.content = content
            self.special = special
        }
    }

    public let kind: Kind
    public let preTokenizer: PreTokenizer
    /// Normalizer applied before pre-tokenization (only `nfkc` or none are supported).
    public let normalizer: Normalizer
    /// The vocabulary strings as tokenizer.json spells them (byte-level characters for BPE).
    public let vocab: [String]
    /// BPE merges in rank order, as token ids (left, right) → merged = the id of left+right.
    public let merges: [(UInt32, UInt32)]
    /// Unigram log-probabilities by id (empty for BPE).
    public let scores: [Double]
    /// Unigram unknown-token id.
    public let unkID: UInt32?
    /// Unigram / BPE byte fallback (`<0xNN>` pieces).
    public let byteFallback: Bool
    /// BPE `ignore_merges`: a pre-token already in the vocab is emitted whole (tiktoken's rule).
    public let ignoreMerges: Bool
    /// Added tokens, by id.
    public let addedTokens: [AddedToken]
    /// Template for `addSpecialTokens: true`: ids before and after the sequence.
    public let templatePrefix: [UInt32]
    public let templateSuffix: [UInt32]

    // Encoder tables.
    let tokenBytes: [UInt8]
    let tokenOffsets: [Int]
    let bytesTable: BytesTable
    let pairTable: PairTable
    let byteIDs: [UInt32]
    let maxPieceBytes: Int
    let unkScore: Double
    let isSpecialID: [Bool]
    /// Raw copies of the hot tables for the encoder (owned here, freed in deinit; immutable).
    let fast: FastTables

    /// The number of ids (model vocabulary plus added tokens).
    public var vocabSize: Int { vocab.count }

    /// Ids of the special added tokens by content (`<|endoftext|>` → 0).
    public var specialTokens: [String: UInt32] {
        Dictionary(addedTokens.filter(\.special).map { ($0.content, $0.id) }, uniquingKeysWith: { a, _ in a })
    }

    /// The end-of-text id shards append after each document: the first special token among
    /// `<|endoftext|>`, `</s>`, `<eos>`, `<|end_of_text|>`, `[SEP]`, or nil when none exists.
    public var eosID: UInt32? {
        let s = specialTokens
        for name in ["<|endoftext|>", "</s>", "<eos>", "<|end_of_text|>", "[SEP]"] { if let id = s[name] { return id } }
        return nil
    }

    /// A 64-bit hash of everything that decides the ids: model kind, vocabulary, merges or
    /// scores, added tokens, pre-tokenizer and normalizer. Stored in every shard header.
    public let fingerprint: UInt64

    /// Builds a tokenizer from its parts (the trainers and the tokenizer.json reader call this).
    /// - Throws: `SluiceError(.config)` when the parts are inconsistent (a merge whose result is
    ///   not in the vocabulary, a byte missing from a byte-level alphabet).
    public init(
        kind: Kind, vocab: [String], merges: [(UInt32, UInt32)] = [], scores: [Double] = [], unkID: UInt32? = nil,
        byteFallback: Bool = false, ignoreMerges: Bool = false, preTokenizer: PreTokenizer,
        normalizer: Normalizer = .none,
        addedTokens: [AddedToken] = [], templatePrefix: [UInt32] = [], templateSuffix: [UInt32] = [],
        source: String = "tokenizer"
    ) throws {
        self.kind = kind
        self.vocab = vocab
        self.merges = merges
        self.scores = scores
        self.unkID = unkID
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        self.preTokenizer = preTokenizer
        self.normalizer = normalizer
        self.addedTokens = addedTokens.sorted { $0.id < $1.id }
        self.templatePrefix = templatePrefix
        self.templateSuffix = templateSuffix
        let added = Set(addedTokens.map(\.id))
        var special = [Bool](repeating: false, count: vocab.count)
        for a in addedTokens where a.special && Int(a.id) < vocab.count { special[Int(a.id)] = true }
        isSpecialID = special

        // Raw bytes of every token: byte-level strings decode to bytes; `<0xNN>` pieces of a
        // byte-fallback model are the byte NN; added tokens and other pieces are their UTF-8.
        var bytes: [UInt8] = []
        var offsets = [0]
        let isByteLevel = if case .byteLevel = preTokenizer { true } else { false }
        for (id, s) in vocab.enumerated() {
            if isByteLevel && !added.contains(UInt32(id)), let b = ByteLevel.decode(s) {
                bytes += b
            } else if byteFallback, let b = Self.fallbackByte(s) {
                bytes.append(b)
            } else {
                bytes += Array(s.utf8)
            }
            offsets.append(bytes.count)
        }
        tokenBytes = bytes
        tokenOffsets = offsets
        // Only model pieces are looked up by bytes (never added tokens, never byte-fallback pieces).
        bytesTable = Self.makeTable(
            bytes: bytes, offsets: offsets,
            suppressed: { id in
                added.contains(UInt32(id)) || (byteFallback && Self.fallbackByte(vocab[id]) != nil)
            })
        maxPieceBytes = (0..<vocab.count).reduce(0) { max($0, offsets[$1 + 1] - offsets[$1]) }

        var ids = [UInt32](repeating: UInt32.max, count: 256)
        var table = PairTable(capacity: max(merges.count, 1))
        if kind == .bpe {
            guard isByteLevel else {
                throw SluiceError(
                    .config, "BPE without a ByteLevel pre-tokenizer is not supported (only byte-level BPE)",
                    file: source)
            }
            for id in 0..<vocab.count where !added.contains(UInt32(id)) && offsets[id + 1] - offsets[id] == 1 {
                let b = Int(bytes[offsets[id]])
                if ids[b] == UInt32.max { ids[b] = UInt32(id) }
            }
            if let missing = ids.firstIndex(of: UInt32.max) {
                throw SluiceError(
                    .config, "byte-level vocabulary lacks the byte 0x\(String(missing, radix: 16))", file: source)
            }
            let lookup = BytesTable(bytes: bytes, offsets: offsets)
            for (rank, (a, b)) in merges.enumerated() {
                guard Int(a) < vocab.count, Int(b) < vocab.count else {
                    throw SluiceError(.config, "merge \(rank) refers to an id outside the vocabulary", file: source)
                }
                let merged =
                    Array(bytes[offsets[Int(a)]..<offsets[Int(a) + 1]])
                    + Array(bytes[offsets[Int(b)]..<offsets[Int(b) + 1]])
                let id = merged.withUnsafeBufferPointer { m in
                    bytes.withUnsafeBufferPointer { bb in
                        offsets.withUnsafeBufferPointer { oo in
                            lookup.get(m.baseAddress!, m.count, bytes: bb, offsets: oo)
                        }
                    }
                }
                guard let id else {
                    throw SluiceError(
                        .config,
                        "merge \(rank) (\(vocab[Int(a)]) \(vocab[Int(b)])) makes a token not in the vocabulary",
                        file: source)
                }
                let key = UInt64(a) << 32 | UInt64(b)
                if table.get(key) == nil { table.insert(key, UInt64(rank) << 32 | UInt64(id)) }
            }
        } else {
            // Added tokens may sit past the scored pieces; every scored piece is in the vocabulary.
            guard scores.count <= vocab.count, !scores.contains(where: { !$0.isFinite }) else {
                throw SluiceError(
                    .config, "Unigram scores do not match the vocabulary (or are not finite)", file: source)
            }
            if byteFallback {
                for id in 0..<vocab.count { if let b = Self.fallbackByte(vocab[id]) { ids[Int(b)] = UInt32(id) } }
            }
        }
        byteIDs = ids
        pairTable = table
        let minScore = scores.min() ?? 0
        unkScore = minScore - 10  // sentencepiece's kUnkPenalty
        fast = FastTables(
            byteIDs: ids, pairs: table, mergeCount: merges.count, vocabSize: vocab.count, bytes: bytes, offsets: offsets
        )
        fingerprint = Self.computeFingerprint(
            kind: kind, vocab: vocab, merges: merges, scores: scores, added: self.addedTokens, pre: preTokenizer,
            normalizer: normalizer, byteFallback: byteFallback, ignoreMerges: ignoreMerges)
    }

    private static func makeTable(bytes: [UInt8], offsets: [Int], suppressed: (Int) -> Bool) -> BytesTable {
        // Suppressed ids get a key no piece can equal: a 0xFF-prefixed copy of the id (0xFF never
        // occurs in UTF-8 and pieces are looked up only from pre-token bytes).
        var b: [UInt8] = []
        var o = [0]
        for id in 0..<(offsets.count - 1) {
            if suppressed(id) {
                b += [0xFF, 0xFF, UInt8(id & 0xFF), UInt8((id >> 8) & 0xFF), UInt8((id >> 16) & 0xFF), UInt8(id >> 24)]
            } else {
                b += bytes[offsets[id]..<offsets[id + 1]]
            }
            o.append(b.count)
        }
        return BytesTable(bytes: b, offsets: o)
    }

    /// `<0x41>` → 0x41.
    static func fallbackByte(_ s: String) -> UInt8? {
        let u = Array(s.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        return UInt8(String(decoding: u[3...4], as: UTF8.self), radix: 16)
    }

    // MARK: - Loading and saving

    /// Loads a Hugging Face `tokenizer.json`.
    /// - Throws: `SluiceError(.io)` when the file cannot be read; `.config` naming the file for
    ///   invalid JSON or an unsupported model, normalizer, pre-tokenizer or decoder type.
    public static func load(path: String) throws -> Tokenizer {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SluiceError(.io, "cannot read tokenizer", file: path)
        }
        return try TokenizerJSON.parse(data, source: path)
    }

    /// The tokenizer.json text (HF serialization "1.0", field order as HF writes it).
    public func jsonString() -> String { TokenizerJSON.serialize(self) }

    /// Writes tokenizer.json to `path` (through a temporary name and a rename).
    public func save(path: String) throws {
        let tmp = path + ".tmp"
        do {
            try jsonString().write(toFile: tmp, atomically: false, encoding: .utf8)
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: tmp, toPath: path)
        } catch {
            throw SluiceError(.io, "cannot write tokenizer: \(error)", file: path)
        }
    }

    // MARK: - Lookups

    /// The id of a vocabulary string (as tokenizer.json spells it).
    public func id(forToken token: String) -> UInt32? { vocab.firstIndex(of: token).map { UInt32($0) } }

    /// The raw bytes of token `id`.
    public func bytes(of id: UInt32) -> ArraySlice<UInt8> {
        tokenBytes[tokenOffsets[Int(id)]..<tokenOffsets[Int(id) + 1]]
    }

    // MARK: - Encoding and decoding

    /// Encodes `text`. Added tokens in the text are recognized (as HF does); nothing is added
    /// around the text unless `addSpecialTokens` (then the post-processor template applies).
    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [UInt32] {
        var e = Encoder(self)
        var out: [UInt32] = []
        e.encode(text, into: &out, addSpecialTokens: addSpecialTokens)
        return out
    }

    /// Encodes many texts on `workers` threads (all cores by default); order is kept.
    public func encodeBatch(_ texts: [String], workers: Int = ProcessInfo.processInfo.activeProcessorCount)
        -> [[UInt32]]
    {
        var results = [[UInt32]](repeating: [], count: texts.count)
        let n = max(1, min(workers, texts.count))
        results.withUnsafeMutableBufferPointer { r in
            nonisolated(unsafe) let out = r
            // Blocks of 64 texts dealt round-robin: balanced, and threads never write neighbouring slots.
            DispatchQueue.concurrentPerform(iterations: n) { w in
                var e = Encoder(self)
                var block = w * 64
                while block < texts.count {
                    for i in block..<min(block + 64, texts.count) {
                        var ids: [UInt32] = []
                        e.encode(texts[i], into: &ids)
                        out[i] = ids
                    }
                    block += n * 64
                }
            }
        }
        return results
    }

    /// Decodes ids to text. Invalid UTF-8 (a split multi-byte character) becomes U+FFFD, as HF.
    /// - Parameters:
    ///   - skipSpecialTokens: leave special added tokens out.
    public func decode(_ ids: [UInt32], skipSpecialTokens: Bool = false) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids {
            let i = Int(id)
            guard i < vocab.count else { continue }
            if skipSpecialTokens && isSpecialID[i] { continue }
            bytes += tokenBytes[tokenOffsets[i]..<tokenOffsets[i + 1]]
        }
        if case .metaspace(let scheme, _) = preTokenizer {
            // ▁ (E2 96 81) → space; the prepended first space goes away.
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var i = 0
            while i < bytes.count {
                if i + 2 < bytes.count, bytes[i] == 0xE2, bytes[i + 1] == 0x96, bytes[i + 2] == 0x81 {
                    out.append(0x20)
                    i += 3
                } else {
                    out.append(bytes[i])
                    i += 1
                }
            }
            if scheme != "never" || normalizer.dummyPrefix, out.first == 0x20 { out.removeFirst() }
            bytes = out
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Fingerprint

    static func computeFingerprint(
        kind: Kind, vocab: [String], merges: [(UInt32, UInt32)], scores: [Double], added: [AddedToken],
        pre: PreTokenizer,
        normalizer: Normalizer, byteFallback: Bool, ignoreMerges: Bool
    ) -> UInt64 {
        var h = FingerprintHasher()
        h.add("sluice-tokenizer-v1|\(kind.rawValue)|\(pre)|\(normalizer)|\(byteFallback)|\(ignoreMerges)|")
        for s in vocab { h.add(s); h.add("\u{0}") }
        for (a, b) in merges { h.add(UInt64(a) << 32 | UInt64(b)) }
        // Scores are hashed at 1e-6: a JSON round trip may move the last bit of a double.
        // Clamped, so that a score no loader admits still cannot trap the conversion.
        for s in scores {
            let q = (s * 1e6).rounded()
            h.add(UInt64(bitPattern: q.magnitude < 9e18 ? Int64(q) : q < 0 ? Int64.min : Int64.max))
        }
        for a in added { h.add("\(a.id)|\(a.content)|\(a.special)\u{0}") }
        return h.value
    }
}

/// Unmanaged copies of the encoder's lookup tables: no reference counting in the hot loop.
///
/// Pair lookups are the encoder's cache misses (a profile of 12 MB of mixed text spent half of
/// the merge loop waiting on them), so the pair table is as small as it can be: while ids and
/// ranks fit 16 bits, one UInt64 per slot holds the pair, its rank and the merged id (512 KB for
/// 32k merges, not 1 MB). A pair's value `v` orders as its rank; `v & idMask` is the merged id.
final class FastTables: @unchecked Sendable {
    let byteIDs: UnsafeMutablePointer<UInt32>
    /// Compact: `(a << 16 | b) << 32 | rank << 16 | merged`; wide: key, then `rank << 32 | merged`,
    /// in two words. Empty: UInt64.max.
    let pairs: UnsafeMutablePointer<UInt64>
    let pairMask: Int
    /// Whether ids and ranks fit 16 bits (the compact layout).
    let compact: Bool
    /// Bits of the merged id in a pair value (16 compact, 32 wide).
    let idBits: UInt64
    let bytes: UnsafeMutablePointer<UInt8>
    let offsets: UnsafeMutablePointer<Int>

    init(byteIDs: [UInt32], pairs table: PairTable, mergeCount: Int, vocabSize: Int, bytes: [UInt8], offsets: [Int]) {
        func copy<T>(_ a: [T]) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(a.count, 1))
            p.initialize(from: a, count: a.count)
            return p
        }
        self.byteIDs = copy(byteIDs)
        compact = vocabSize < 1 << 16 && mergeCount < 1 << 16
        idBits = compact ? 16 : 32
        let size = table.keys.count
        pairs = .allocate(capacity: compact ? size : 2 * size)
        pairs.initialize(repeating: .max, count: compact ? size : 2 * size)
        pairMask = size - 1
        for i in 0..<size where table.keys[i] != .max {
            let key = table.keys[i]
            let value = table.values[i]  // rank << 32 | merged
            if compact {
                let k32 = (key >> 32) << 16 | (key & 0xFFFF)
                var j = Int(truncatingIfNeeded: mixBits(k32)) & pairMask
                while pairs[j] != .max { j = (j + 1) & pairMask }
                pairs[j] = k32 << 32 | (value >> 32) << 16 | (value & 0xFFFF)
            } else {
                pairs[2 * i] = key
                pairs[2 * i + 1] = value
            }
        }
        self.bytes = copy(bytes)
        self.offsets = copy(offsets)
    }

    deinit {
        byteIDs.deallocate()
        pairs.deallocate()
        bytes.deallocate()
        offsets.deallocate()
    }

    /// The value of the pair (a, b): ordered as the merge's rank, the merged id in the low `idBits`;
    /// UInt64.max when the pair does not merge.
    @inline(__always)
    func value(_ a: UInt32, _ b: UInt32) -> UInt64 {
        if compact {
            let k32 = UInt64(a) << 16 | UInt64(b)
            var i = Int(truncatingIfNeeded: mixBits(k32)) & pairMask
            while true {
                let e = pairs[i]
                if e >> 32 == k32 { return e & 0xFFFF_FFFF }  // rank << 16 | merged
                if e == .max { return .max }
                i = (i &+ 1) & pairMask  // i ≤ pairMask: cannot wrap
            }
        }
        let key = UInt64(a) << 32 | UInt64(b)
        var i = Int(truncatingIfNeeded: mixBits(key)) & pairMask
        while true {
            let k = pairs[2 * i]
            if k == key { return pairs[2 * i + 1] }
            if k == .max { return .max }
            i = (i &+ 1) & pairMask
        }
    }
}

/// FNV-1a 64 with a final mix: the tokenizer fingerprint.
struct FingerprintHasher {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(_ s: String) { for b in s.utf8 { add(b) } }
    mutating func add(_ b: UInt8) { value = (value ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    mutating func add(_ v: UInt64) { for i in 0..<8 { add(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
}

/// Text normalization before pre-tokenization (the subset of HF normalizers Sluice runs).
public struct Normalizer: Sendable, Equatable, CustomStringConvertible {
    /// Unicode NFKC (ICU, through SluiceCore's UnicodeNormalizer).
    public var nfkc: Bool
    /// sentencepiece's dummy prefix: `Prepend("▁")` then `Replace(" ", "▁")`, so every space
    /// (a leading one too) survives decoding, which drops only the prepended `▁`.
    public var dummyPrefix: Bool

    public init(nfkc: Bool = false, dummyPrefix: Bool = false) {
        self.nfkc = nfkc
        self.dummyPrefix = dummyPrefix
    }

    public static let none = Normalizer()
    public static let nfkc = Normalizer(nfkc: true)

    public var description: String {
        var parts: [String] = []
        if nfkc { parts.append("NFKC") }
        if dummyPrefix { parts += ["Prepend(▁)", "Replace(' ', ▁)"] }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}
