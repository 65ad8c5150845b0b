// fastText supervised models as the fastText C++ library (0.9.x, file versions 11 and 12) writes
// them: `.bin` (dense matrices) and quantized `.ftz` (product-quantized input, optionally output and
// norms, pruned n-gram index). This file holds the model and its parser; tokenising and predicting
// are in FastTextModel+Predict.swift. Word-vector models (cbow, skipgram) are refused: they do not
// classify. Nothing here writes fastText files.
import CPrefetch
import Foundation
import SluiceCore

/// A fastText supervised classifier read from a `.bin` or `.ftz` file.
///
/// Layout (little-endian, as `FastText::saveModel` writes it): magic `793712314` and version (int32
/// each); the arguments (12 int32 and a double); the dictionary (sizes, then each entry as a
/// NUL-terminated string, an int64 count and an int8 type, then the pruned n-gram index pairs); a
/// quantization flag and the input matrix (dense: int64 rows, int64 columns, floats; quantized: the
/// product quantizer's codes and centroids); the `qout` flag and the output matrix.
public final class FastTextModel: @unchecked Sendable {
    /// `FASTTEXT_FILEFORMAT_MAGIC_INT32`: the first four bytes of every fastText model file.
    public static let magic: UInt32 = 793_712_314
    /// The file versions read here (12 is what fastText 0.9 writes; 11 is the version before it).
    public static let supportedVersions: ClosedRange<Int32> = 11...12
    /// The prefix fastText labels carry in the file (`__label__en`); `labels` has it removed.
    public static let labelPrefix: [UInt8] = Array("__label__".utf8)
    /// The end-of-sentence token fastText appends to every line.
    public static let eos: [UInt8] = Array("</s>".utf8)

    /// How label scores are computed (fastText's `-loss`).
    public enum Loss: Int32, Sendable {
        case hierarchicalSoftmax = 1, negativeSampling = 2, softmax = 3, oneVsAll = 4
        /// The name fastText's command line uses.
        public var name: String {
            switch self {
            case .hierarchicalSoftmax: "hs"
            case .negativeSampling: "ns"
            case .softmax: "softmax"
            case .oneVsAll: "ova"
            }
        }
    }

    /// Label names without the `__label__` prefix, in the model's order (most frequent first).
    public let labels: [String]
    /// Label names as stored in the file.
    public let rawLabels: [String]
    /// The file format version (11 or 12).
    public let version: Int32
    public let dim: Int
    public let wordNgrams: Int
    public let loss: Loss
    public let bucket: Int
    public let minn: Int
    public let maxn: Int
    /// Whether the input matrix is product-quantized (an `.ftz` file).
    public let isQuantized: Bool
    /// Number of words in the dictionary (labels follow them).
    public let wordCount: Int

    // MARK: - Dictionary

    /// Entry bytes, back to back; entry `e` is `entryBytes[entryStarts[e]..<entryStarts[e + 1]]`.
    let entryBytes: [UInt8]
    let entryStarts: [Int]
    /// FNV-1a hash of each entry (fastText's `Dictionary::hash`).
    let entryHashes: [UInt32]
    /// Open-addressing table of entry ids (−1: empty), indexed by hash & `tableMask`.
    let table: [Int32]
    let tableMask: Int
    /// Input rows of word `w`: `subwordIds[subwordStarts[w]..<subwordStarts[w + 1]]` (the word's own
    /// row, then its character n-gram rows), as `Dictionary::initNgrams` computes them.
    let subwordStarts: [Int32]
    let subwordIds: [Int32]
    /// Character and word n-gram hashing into input rows.
    let ngrams: NgramRows
    /// Pruned n-gram index of a quantized model: bucket → compact row (nil: not pruned).
    var pruned: PrunedIndex? { ngrams.pruned }
    /// `pruneidx_size_ == 0`: the model kept no n-gram rows at all.
    var dropsAllNgrams: Bool { ngrams.dropsAll }
    /// Hash and id (−1 if absent) of `</s>`.
    let eosHash: UInt32
    let eosId: Int32

    // MARK: - Matrices and output

    let input: FastTextMatrix
    let output: FastTextMatrix
    /// Hierarchical softmax: children of each node (−1 for leaves); nodes `0..<labels` are leaves.
    let treeLeft: [Int32]
    let treeRight: [Int32]
    /// Hierarchical softmax: for each label, its path from the root, (internal node, goes right)
    /// per step; empty for the other losses.
    let treePaths: [[(node: Int32, goesRight: Bool)]]
    /// The longest of `treePaths` (0 without a tree).
    let treeDepth: Int
    /// fastText's sigmoid lookup table (512 + 1 entries over [−8, 8]), used by `ova` and `ns`.
    let sigmoidTable: [Float]

    init(
        version: Int32, args: FastTextArgs, dictionary: FastTextDictionary, input: FastTextMatrix,
        output: FastTextMatrix, isQuantized: Bool
    ) {
        self.version = version
        dim = args.dim
        wordNgrams = args.wordNgrams
        loss = args.loss
        bucket = args.bucket
        minn = args.minn
        maxn = args.maxn
        self.isQuantized = isQuantized
        wordCount = dictionary.wordCount
        entryBytes = dictionary.bytes
        entryStarts = dictionary.starts
        entryHashes = dictionary.hashes
        let ngrams = NgramRows(
            minn: args.minn, maxn: args.maxn, bucket: args.bucket, wordCount: dictionary.wordCount,
            pruned: dictionary.pruned, dropsAll: dictionary.dropsAllNgrams)
        self.ngrams = ngrams
        let n = dictionary.starts.count - 1
        var raw: [String] = []
        var stripped: [String] = []
        for e in dictionary.wordCount..<n {
            let b = dictionary.bytes[dictionary.starts[e]..<dictionary.starts[e + 1]]
            raw.append(String(decoding: b, as: UTF8.self))
            let p = Self.labelPrefix
            let name = b.starts(with: p) ? b.dropFirst(p.count) : b
            stripped.append(String(decoding: name, as: UTF8.self))
        }
        rawLabels = raw
        labels = stripped
        // Table of entries: a power of two at least twice the entry count, linear probing.
        var capacity = 16
        while capacity < 2 * n { capacity <<= 1 }
        var t = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for e in 0..<n {
            var slot = Int(dictionary.hashes[e]) & mask
            while t[slot] != -1 {
                let o = Int(t[slot])
                if dictionary.hashes[o] == dictionary.hashes[e],
                    dictionary.bytes[dictionary.starts[o]..<dictionary.starts[o + 1]]
                        == dictionary.bytes[dictionary.starts[e]..<dictionary.starts[e + 1]]
                {
                    break  // a repeated entry: the later one wins, as in fastText's word2int_
                }
                slot = (slot + 1) & mask
            }
            t[slot] = Int32(e)
        }
        table = t
        tableMask = mask
        self.input = input
        self.output = output
        let eosHash = fastTextHash(Self.eos)
        self.eosHash = eosHash
        var eos: Int32 = -1
        for e in 0..<n
        where dictionary.hashes[e] == eosHash
            && dictionary.bytes[dictionary.starts[e]..<dictionary.starts[e + 1]].elementsEqual(Self.eos)
        {
            eos = Int32(e)
        }
        eosId = eos
        // The sigmoid table of fastText's Loss constructor.
        sigmoidTable = (0...512).map { i in
            let x = Float(i * 16) / 512 - 8
            return Float(1.0 / (1.0 + Double(expf(-x))))
        }
        let tree = args.loss == .hierarchicalSoftmax ? Self.huffmanTree(counts: dictionary.labelCounts) : ([], [])
        treeLeft = tree.0
        treeRight = tree.1
        treePaths = Self.paths(
            left: tree.0, right: tree.1, labels: dictionary.labelCounts.count,
            hierarchical: args.loss == .hierarchicalSoftmax)
        treeDepth = treePaths.map(\.count).max() ?? 0
        // Subword rows of every word, computed once (fastText's initNgrams).
        var starts: [Int32] = [0]
        var ids: [Int32] = []
        starts.reserveCapacity(dictionary.wordCount + 1)
        var padded: [UInt8] = []
        for w in 0..<dictionary.wordCount {
            ids.append(Int32(w))
            let b = dictionary.bytes[dictionary.starts[w]..<dictionary.starts[w + 1]]
            if !b.elementsEqual(Self.eos) {
                padded.removeAll(keepingCapacity: true)
                padded.append(0x3C)
                padded.append(contentsOf: b)
                padded.append(0x3E)
                padded.withUnsafeBufferPointer { p in
                    ngrams.forEachCharNgram(p) { ids.append($0) }
                }
            }
            starts.append(Int32(ids.count))
        }
        subwordStarts = starts
        subwordIds = ids
    }

    /// fastText's `HierarchicalSoftmaxLoss::buildTree`: a Huffman tree over the label counts
    /// (labels sorted by decreasing count), internal nodes `labels..<2·labels−1`, the root last.
    static func huffmanTree(counts: [Int64]) -> ([Int32], [Int32]) {
        let osz = counts.count
        let size = 2 * osz - 1
        var left = [Int32](repeating: -1, count: size)
        var right = [Int32](repeating: -1, count: size)
        var count = [Int64](repeating: 1_000_000_000_000_000, count: size)
        for i in 0..<osz { count[i] = counts[i] }
        var leaf = osz - 1
        var node = osz
        for i in osz..<size {
            var mini = (0, 0)
            for j in 0..<2 {
                let pick: Int
                if leaf >= 0 && count[leaf] < count[node] {
                    pick = leaf
                    leaf -= 1
                } else {
                    pick = node
                    node += 1
                }
                if j == 0 { mini.0 = pick } else { mini.1 = pick }
            }
            left[i] = Int32(mini.0)
            right[i] = Int32(mini.1)
            count[i] = count[mini.0] &+ count[mini.1]
        }
        return (left, right)
    }

    // MARK: - Dictionary lookup

    /// The dictionary entry of `token` with FNV hash `h`, or −1.
    @inline(__always)
    func entry(_ token: UnsafeBufferPointer<UInt8>, hash h: UInt32) -> Int {
        var slot = Int(h) & tableMask
        return table.withUnsafeBufferPointer { t in
            entryBytes.withUnsafeBufferPointer { bytes in
                while true {
                    let e = Int(t[slot])
                    if e < 0 { return -1 }
                    if entryHashes[e] == h {
                        let s = entryStarts[e]
                        let len = entryStarts[e + 1] - s
                        if len == token.count
                            && (len == 0 || memcmp(bytes.baseAddress! + s, token.baseAddress!, len) == 0)
                        {
                            return e
                        }
                    }
                    slot = (slot + 1) & tableMask
                }
            }
        }
    }
}

/// How a model turns n-gram hashes into input rows (`Dictionary::computeSubwords`, `pushHash`).
struct NgramRows: Sendable {
    let minn: Int
    let maxn: Int
    let bucket: Int
    let wordCount: Int
    let pruned: PrunedIndex?
    let dropsAll: Bool
    /// `UInt64.max / bucket + 1`, for `bucketOf` (0 when there are no buckets).
    private let bucketMagic: UInt64

    init(minn: Int, maxn: Int, bucket: Int, wordCount: Int, pruned: PrunedIndex?, dropsAll: Bool) {
        self.minn = minn
        self.maxn = maxn
        self.bucket = bucket
        self.wordCount = wordCount
        self.pruned = pruned
        self.dropsAll = dropsAll
        bucketMagic = bucket > 0 ? UInt64.max / UInt64(bucket) + 1 : 0
    }

    /// `h % bucket` without a division (Lemire, Kaser and Kurz's "fastmod", exact for every 32-bit
    /// `h` and `bucket`): a hardware divide per n-gram was a tenth of language ID's time on crawl
    /// pages. The parser guarantees `bucket > 0` whenever n-grams are used.
    @inline(__always)
    func bucketOf(_ h: UInt32) -> UInt32 {
        UInt32(truncatingIfNeeded: (bucketMagic &* UInt64(h)).multipliedFullWidth(by: UInt64(bucket)).high)
    }

    /// Calls `body` with the input row of each character n-gram of `word` (which includes the `<`
    /// and `>` boundaries), in fastText's order (`Dictionary::computeSubwords`), mapped through
    /// the pruned index when there is one.
    @inline(__always)
    func forEachCharNgram(_ word: UnsafeBufferPointer<UInt8>, _ body: (Int32) -> Void) {
        forEachCharNgramBucket(word) { b in
            if let row = ngramRow(b) { body(row) }
        }
    }

    /// Calls `body` with the bucket of each character n-gram of `word`, in fastText's order:
    /// n-grams of `minn…maxn` UTF-8 sequences, hashed with FNV-1a modulo `bucket`. The single `<`
    /// and `>` are not n-grams.
    @inline(__always)
    func forEachCharNgramBucket(_ word: UnsafeBufferPointer<UInt8>, _ body: (Int) -> Void) {
        let count = word.count
        guard maxn > 0 else { return }
        for i in 0..<count where word[i] & 0xC0 != 0x80 {
            var h: UInt32 = 2_166_136_261
            var j = i
            var n = 1
            while j < count && n <= maxn {
                h = fnvStep(h, word[j])
                j += 1
                while j < count && word[j] & 0xC0 == 0x80 {
                    h = fnvStep(h, word[j])
                    j += 1
                }
                if n >= minn && !(n == 1 && (i == 0 || j == count)) { body(Int(bucketOf(h))) }
                n += 1
            }
        }
    }

    /// The input row of n-gram bucket `id` (`Dictionary::pushHash`), or nil if pruned away.
    @inline(__always)
    func ngramRow(_ id: Int) -> Int32? {
        if dropsAll { return nil }
        if let pruned {
            guard let r = pruned.lookup(Int32(id)) else { return nil }
            return Int32(wordCount) + r
        }
        return Int32(wordCount + id)
    }

}

/// One FNV-1a step as fastText's `Dictionary::hash` takes it: the byte is sign-extended first
/// (`uint32_t(int8_t(c))`), so bytes ≥ 0x80 flip the high bits too.
@inline(__always)
func fnvStep(_ h: UInt32, _ byte: UInt8) -> UInt32 {
    (h ^ UInt32(bitPattern: Int32(Int8(bitPattern: byte)))) &* 16_777_619
}

/// fastText's 32-bit FNV-1a hash of `bytes`.
func fastTextHash<C: Collection<UInt8>>(_ bytes: C) -> UInt32 {
    var h: UInt32 = 2_166_136_261
    for b in bytes { h = fnvStep(h, b) }
    return h
}

/// fastText's arguments as the model file stores them (`Args::save`).
struct FastTextArgs {
    var dim = 0, ws = 0, epoch = 0, minCount = 0, neg = 0, wordNgrams = 0
    var loss = FastTextModel.Loss.softmax
    var model: Int32 = 0
    var bucket = 0, minn = 0, maxn = 0, lrUpdateRate = 0
    var t = 0.0
}

/// The parsed dictionary before the model indexes it.
struct FastTextDictionary {
    var bytes: [UInt8] = []
    var starts: [Int] = [0]
    var hashes: [UInt32] = []
    var wordCount = 0
    var labelCounts: [Int64] = []
    var pruned: PrunedIndex?
    var dropsAllNgrams = false
}

/// A quantized model's map from n-gram bucket to compact row (`Dictionary::pruneidx_`), as an
/// open-addressing table.
struct PrunedIndex: Sendable {
    /// Key in the low 32 bits, value in the high 32 bits, so that a probe touches one cache line
    /// (key −1: empty slot).
    private var slots: [UInt64]
    private let mask: Int
    /// The largest compact row, for bounds checks.
    private(set) var maxValue: Int32 = -1
    private static let empty = UInt64(UInt32(bitPattern: -1))

    init(pairs: [(Int32, Int32)]) {
        var capacity = 16
        while capacity < 2 * pairs.count { capacity <<= 1 }
        slots = [UInt64](repeating: Self.empty, count: capacity)
        mask = capacity - 1
        for (k, v) in pairs {
            var slot = home(k)
            while slots[slot] != Self.empty && Int32(truncatingIfNeeded: slots[slot]) != k { slot = (slot + 1) & mask }
            // A repeated key: the later pair wins, as in fastText's map.
            slots[slot] = UInt64(UInt32(bitPattern: k)) | UInt64(UInt32(bitPattern: v)) << 32
            maxValue = max(maxValue, v)
        }
    }

    @inline(__always)
    private func home(_ k: Int32) -> Int { Int(UInt32(bitPattern: k) &* 2_654_435_761) & mask }

    /// Asks for the slot of key `k` ahead of its `lookup` (the index is megabytes).
    @inline(__always)
    func prefetch(_ k: Int32) {
        slots.withUnsafeBufferPointer { s in
            sluice_prefetch(s.baseAddress! + home(k))
        }
    }

    @inline(__always)
    func lookup(_ k: Int32) -> Int32? {
        var slot = home(k)
        return slots.withUnsafeBufferPointer { s in
            while true {
                let pair = s[slot]
                let key = Int32(truncatingIfNeeded: pair)
                if key == k { return Int32(truncatingIfNeeded: pair >> 32) }
                if key == -1 { return nil }
                slot = (slot + 1) & mask
            }
        }
    }
}

/// A fastText matrix: dense rows of floats, or product-quantized rows (`QuantMatrix`).
final class FastTextMatrix: @unchecked Sendable {
    let rows: Int
    let cols: Int
    /// Dense: `rows × cols` floats. Quantized: the product quantizer's centroids (`256 × cols`).
    let values: UnsafeMutableBufferPointer<Float>
    /// Quantized only: `nsubq` codes per row.
    let codes: [UInt8]
    let nsubq: Int
    let dsub: Int
    let lastdsub: Int
    /// Quantized with norms (`qnorm`): one code per row into `normCentroids` (256 floats).
    let normCodes: [UInt8]
    let normCentroids: [Float]
    var isQuantized: Bool { nsubq > 0 }

    /// A dense matrix that takes ownership of `values`.
    init(rows: Int, cols: Int, values: UnsafeMutableBufferPointer<Float>) {
        self.rows = rows
        self.cols = cols
        self.values = values
        codes = []
        nsubq = 0
        dsub = 0
        lastdsub = 0
        normCodes = []
        normCentroids = []
    }

    /// A quantized matrix that takes ownership of `centroids`.
    init(
        rows: Int, cols: Int, codes: [UInt8], centroids: UnsafeMutableBufferPointer<Float>, nsubq: Int, dsub: Int,
        lastdsub: Int, normCodes: [UInt8], normCentroids: [Float]
    ) {
        self.rows = rows
        self.cols = cols
        values = centroids
        self.codes = codes
        self.nsubq = nsubq
        self.dsub = dsub
        self.lastdsub = lastdsub
        self.normCodes = normCodes
        self.normCentroids = normCentroids
    }

    deinit { values.deallocate() }

    /// Offset of centroid `code` of sub-quantizer `m` (`ProductQuantizer::get_centroids`).
    @inline(__always)
    private func centroid(_ m: Int, _ code: UInt8) -> Int {
        m == nsubq - 1 ? m * 256 * dsub + Int(code) * lastdsub : (m * 256 + Int(code)) * dsub
    }

    @inline(__always)
    private func norm(_ row: Int) -> Float {
        normCodes.isEmpty ? 1 : normCentroids[Int(normCodes[row])]
    }

    /// `x += row` (`Matrix::addRowToVector`). `row` is in range: the parser checked every row the
    /// dictionary can produce.
    @inline(__always)
    func addRow(_ row: Int, to x: UnsafeMutablePointer<Float>) {
        let v = UnsafePointer(values.baseAddress!)
        if nsubq == 0 {
            let r = v + row * cols
            for j in 0..<cols { x[j] += r[j] }
            return
        }
        let alpha = norm(row)
        codes.withUnsafeBufferPointer { c in
            let code = c.baseAddress! + nsubq * row
            var d = dsub
            for m in 0..<nsubq {
                let cen = v + centroid(m, code[m])
                if m == nsubq - 1 { d = lastdsub }
                let out = x + m * dsub
                for n in 0..<d { out[n] += alpha * cen[n] }
            }
        }
    }

    /// `row · x` (`Matrix::dotRow`), accumulated in float in fastText's order.
    @inline(__always)
    func dotRow(_ row: Int, _ x: UnsafePointer<Float>) -> Float {
        let v = UnsafePointer(values.baseAddress!)
        if nsubq == 0 {
            let r = v + row * cols
            var d: Float = 0
            for j in 0..<cols { d += r[j] * x[j] }
            return d
        }
        let alpha = norm(row)
        return codes.withUnsafeBufferPointer { c in
            let code = c.baseAddress! + nsubq * row
            var res: Float = 0
            var d = dsub
            for m in 0..<nsubq {
                let cen = v + centroid(m, code[m])
                if m == nsubq - 1 { d = lastdsub }
                let xin = x + m * dsub
                for n in 0..<d { res += xin[n] * cen[n] }
            }
            return res * alpha
        }
    }
}

extension FastTextModel {
    /// Each leaf's path from the root of a hierarchical-softmax tree (nodes 0..<k are the leaves,
    /// 2k−2 the root), as (internal node, goes right) steps.
    static func paths(left: [Int32], right: [Int32], labels k: Int, hierarchical: Bool)
        -> [[(node: Int32, goesRight: Bool)]]
    {
        guard hierarchical, k > 1, left.count >= 2 * k - 1, right.count >= 2 * k - 1 else {
            return Array(repeating: [], count: k)
        }
        var parent = [Int32](repeating: -1, count: 2 * k - 1)
        var isRight = [Bool](repeating: false, count: 2 * k - 1)
        for n in k..<(2 * k - 1) {
            for (child, r) in [(left[n], false), (right[n], true)] where child >= 0 && Int(child) < 2 * k - 1 {
                parent[Int(child)] = Int32(n)
                isRight[Int(child)] = r
            }
        }
        return (0..<k).map { leaf in
            var path: [(node: Int32, goesRight: Bool)] = []
            var n = leaf
            while parent[n] >= 0 && path.count < 2 * k {
                path.append((parent[n], isRight[n]))
                n = Int(parent[n])
            }
            return path.reversed()
        }
    }
}
