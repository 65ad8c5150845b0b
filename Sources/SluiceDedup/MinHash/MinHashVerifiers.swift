// Verification of `minhash_dedup` candidates: the clusters pass checks the members of each loose
// component (documents linked by band collisions) against a few representatives, with the full
// MinHash signatures (`verify: signature`) or the exact shingle sets (`verify: exact`) the
// signatures pass stored.
import Foundation
import SluiceCore

/// Splits one loose component (documents linked by band collisions, in key order) into verified
/// groups.
///
/// Up to `window` representatives are kept, with a small union-find of what they are known to be
/// similar to. Each document is checked against every representative not already joined to it
/// and joins the groups of those it passes; it becomes a representative itself while the window
/// has room, and, when it joined a group, only while that group holds fewer than `perGroup`
/// representatives (so a big group of copies leaves room for the component's other groups). So
/// a copy of a copy joins its group even when it fails against the original, a pair that never
/// shared a band is found through the third document that linked them, one component can hold
/// several groups, and a document that passes against nobody stays apart. At most `window`
/// checks per document, whatever the component's size; a component of identical documents costs
/// one check each.
struct ComponentJoiner {
    static let window = 32
    static let perGroup = 8
    private var members: [UInt64] = []  // the representatives' keys
    private var positions: [Int] = []  // their positions in the component
    private var parent: [Int] = []  // union-find over representatives
    private var count: [Int] = []  // representatives per group, valid at roots
    /// Per document of the last component: the representative whose group it joined, or −1.
    private var label: [Int32] = []

    init() {
        members.reserveCapacity(Self.window)
        positions.reserveCapacity(Self.window)
        parent.reserveCapacity(Self.window)
        count.reserveCapacity(Self.window)
    }

    private func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x { x = parent[x] }
        return x
    }

    /// Calls `pair(representative, document)` for each verified pair that joins two groups and
    /// returns how many documents after the first passed against nobody.
    mutating func join<V: CandidateVerifier>(
        _ component: UnsafeBufferPointer<UInt64>, verifier: V, pair: (UInt64, UInt64) -> Void
    ) throws -> Int {
        members.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        parent.removeAll(keepingCapacity: true)
        count.removeAll(keepingCapacity: true)
        label.removeAll(keepingCapacity: true)
        var rejected = 0
        for (p, k) in component.enumerated() {
            var mine = -1  // root of the group k has joined
            for j in members.indices {
                let rj = find(j)
                if mine >= 0 && rj == mine { continue }  // already joined through another representative
                guard try verifier.accepts(members[j], k) else { continue }
                pair(members[j], k)
                if mine < 0 {
                    mine = rj
                } else {
                    // k links two groups: the smaller root becomes the parent, stays a root.
                    let (lo, hi) = (min(mine, rj), max(mine, rj))
                    parent[hi] = lo
                    count[lo] += count[hi]
                    mine = lo
                }
            }
            if mine < 0 && p > 0 { rejected += 1 }
            if members.count < Self.window && (mine < 0 || count[mine] < Self.perGroup) {
                let me = members.count
                parent.append(mine < 0 ? me : mine)
                count.append(1)
                if mine >= 0 { count[mine] += 1 }
                members.append(k)
                positions.append(p)
                label.append(Int32(me))
            } else {
                label.append(Int32(mine))
            }
        }
        return rejected
    }

    /// The position in the last component of the first document of `p`'s group (its smallest
    /// key), `p` itself when it joined nobody.
    func leader(of p: Int) -> Int {
        let l = Int(label[p])
        return l < 0 ? p : positions[find(l)]
    }
}

/// Decides whether two documents that share a band are a candidate pair.
protocol CandidateVerifier {
    func accepts(_ a: UInt64, _ b: UInt64) throws -> Bool
}

/// Read access to the full signatures the signatures pass stored for `verify: signature`:
/// per document file, one record per ordinal of `permutations` 32-bit values.
///
/// Records are read with `pread` into a small direct-mapped cache (256 records, 57 KB at 14 × 8)
/// rather than memory-mapped: a component compares each member with its few representatives,
/// so the same few records are read again and again, while a mapping would count every touched
/// page in the process's RSS (448 bytes per document at 14 × 8).
final class SignatureStore: CandidateVerifier {
    private let descriptors: [Int32]
    private let paths: [String]
    private let counts: [Int]
    private let permutations: Int
    private let minimumMatches: Int
    /// Bytes per record: ⌈permutations / 2⌉ words.
    private let recordBytes: Int
    private static let cacheSlots = 256
    /// `cacheSlots` records of `recordBytes / 4` values, and the key each slot holds.
    private let cache: UnsafeMutablePointer<UInt32>
    private var tags: [UInt64]
    /// One record set aside when two keys share a cache slot.
    private let aside: UnsafeMutablePointer<UInt32>

    /// Opens every file's signatures and checks their headers.
    /// - Throws: `SluiceError(.io)` when a file is missing (the signatures pass ran with another
    ///   `verify` mode), `.corruptInput` when its header or size does not match the settings.
    init(workDirectory: String, files count: Int, permutations: Int, minimumMatches: Int) throws {
        let width = MinHashLayout.fullSignatureWidth(permutations: permutations)
        var descriptors: [Int32] = []
        var paths: [String] = []
        var counts: [Int] = []
        do {
            for f in 0..<count {
                let path = MinHashLayout.fullSignaturePath(workDirectory, file: f)
                try requireVerificationFile(path, "full signatures", file: f, mode: .signature)
                // Checks magic, width and size.
                let header = try RecordFileReader(
                    path: path, width: width, magic: MinHashLayout.fullSignatureMagic, blockRecords: 1)
                let fd = open(path, O_RDONLY)
                guard fd >= 0 else {
                    throw SluiceError(.io, "cannot open: \(String(cString: strerror(errno)))", file: path)
                }
                descriptors.append(fd)
                paths.append(path)
                counts.append(header.count)
            }
        } catch {
            for fd in descriptors { close(fd) }
            throw error
        }
        self.descriptors = descriptors
        self.paths = paths
        self.counts = counts
        self.permutations = permutations
        self.minimumMatches = minimumMatches
        recordBytes = 8 * width
        cache = .allocate(capacity: Self.cacheSlots * 2 * width)
        aside = .allocate(capacity: 2 * width)
        tags = Array(repeating: UInt64.max, count: Self.cacheSlots)  // no document key is all ones
    }

    deinit {
        for fd in descriptors { close(fd) }
        cache.deallocate()
        aside.deallocate()
    }

    /// The cached record of `key`, read on a miss.
    @inline(__always)
    private func record(_ key: UInt64) throws -> UnsafePointer<UInt32> {
        let slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 56)  // 8 bits: 256 slots
        let p = cache + slot * (recordBytes / 4)
        if tags[slot] != key { try read(key, into: p, slot: slot) }
        return UnsafePointer(p)
    }

    @inline(never)
    private func read(_ key: UInt64, into p: UnsafeMutablePointer<UInt32>, slot: Int) throws {
        let f = DocumentKey.file(key)
        let o = DocumentKey.ordinal(key)
        precondition(
            f < descriptors.count && o < counts[f], "document key \(DocumentKey.describe(key)) has no stored signature")
        let offset = RecordFile.headerBytes + o * recordBytes
        var done = 0
        while done < recordBytes {
            let n = pread(descriptors[f], UnsafeMutableRawPointer(p) + done, recordBytes - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                tags[slot] = .max
                throw SluiceError(
                    .io, "cannot read signature \(o): \(String(cString: strerror(errno)))", file: paths[f])
            }
            done += n
        }
        tags[slot] = key
    }

    /// How many of the two documents' MinHash values are equal (in their low 32 bits).
    func matches(_ a: UInt64, _ b: UInt64) throws -> Int {
        let pa = try record(a)
        let pb = try record(b)
        if pa == pb { return a == b ? permutations : try copyMatches(a, b) }
        var equal = 0
        for i in 0..<permutations where pa[i] == pb[i] { equal += 1 }
        return equal
    }

    /// Two keys that share a cache slot: compare `a`'s record copied aside.
    @inline(never)
    private func copyMatches(_ a: UInt64, _ b: UInt64) throws -> Int {
        aside.update(from: try record(a), count: permutations)
        let pb = try record(b)
        var equal = 0
        for i in 0..<permutations where aside[i] == pb[i] { equal += 1 }
        return equal
    }

    func accepts(_ a: UInt64, _ b: UInt64) throws -> Bool { try matches(a, b) >= minimumMatches }
}

/// Read access to the sorted, unique shingle sets the signatures pass stored for `verify: exact`:
/// per document file, the sets' offsets (documents + 1) in memory and the sets themselves read
/// with `pread` into a small direct-mapped cache (256 sets), as `SignatureStore` reads
/// signatures. A mapping would count every page a component touches in the process's RSS: on a
/// million documents with 1–5 % edits that is most of the file (over a gigabyte), where the cache
/// holds the few representatives a component compares against.
final class ShingleSetStore: CandidateVerifier {
    private let descriptors: [Int32]
    private let paths: [String]
    private let counts: [Int]
    private let offsets: [[UInt64]]
    private let threshold: Double
    private static let cacheSlots = 256
    /// A set larger than this many shingles (1 MiB) is read into `aside` and not cached, so the
    /// cache stays bounded by 256 MiB whatever the documents' sizes.
    private static let cachedShingles = 1 << 17
    /// Per slot: the key it holds, the buffer, its capacity and the set's length.
    private var tags: [UInt64]
    private var buffers: [UnsafeMutablePointer<UInt64>?]
    private var capacities: [Int]
    private var lengths: [Int]
    /// One set copied aside when two keys share a slot, or one too large to cache.
    private var aside: UnsafeMutablePointer<UInt64>?
    private var asideCapacity = 0
    private var scratch: UnsafeMutablePointer<UInt64>?
    private var scratchCapacity = 0

    /// Opens every file's shingle sets and reads their offsets.
    /// - Throws: `SluiceError(.io)` when a file is missing (the signatures pass ran with another
    ///   `verify` mode), `.corruptInput` when a header, a size or the offsets do not match.
    init(workDirectory: String, files: Int, threshold: Double) throws {
        self.threshold = threshold
        var descriptors: [Int32] = []
        var paths: [String] = []
        var counts: [Int] = []
        var offsets: [[UInt64]] = []
        do {
            for f in 0..<files {
                let path = MinHashLayout.shinglePath(workDirectory, file: f)
                try requireVerificationFile(path, "shingle sets", file: f, mode: .exact)
                // Checks magic, width and size.
                let header = try RecordFileReader(
                    path: path, width: 1, magic: MinHashLayout.shingleMagic, blockRecords: 1)
                let offsetPath = MinHashLayout.offsetPath(workDirectory, file: f)
                let o = try RecordFile.readAll(offsetPath, width: 1, magic: MinHashLayout.offsetMagic)
                var previous: UInt64 = 0
                for v in o {
                    guard v >= previous, v <= UInt64(header.count) else {
                        throw SluiceError(
                            .corruptInput, "shingle set offsets are not ascending within the set file",
                            file: offsetPath)
                    }
                    previous = v
                }
                guard !o.isEmpty else {
                    throw SluiceError(.corruptInput, "shingle set offsets are empty", file: offsetPath)
                }
                let fd = open(path, O_RDONLY)
                guard fd >= 0 else {
                    throw SluiceError(.io, "cannot open: \(String(cString: strerror(errno)))", file: path)
                }
                descriptors.append(fd)
                paths.append(path)
                counts.append(o.count - 1)
                offsets.append(o)
            }
        } catch {
            for fd in descriptors { close(fd) }
            throw error
        }
        self.descriptors = descriptors
        self.paths = paths
        self.counts = counts
        self.offsets = offsets
        tags = Array(repeating: UInt64.max, count: Self.cacheSlots)  // no document key is all ones
        buffers = Array(repeating: nil, count: Self.cacheSlots)
        capacities = Array(repeating: 0, count: Self.cacheSlots)
        lengths = Array(repeating: 0, count: Self.cacheSlots)
    }

    deinit {
        for fd in descriptors { close(fd) }
        for b in buffers { b?.deallocate() }
        aside?.deallocate()
        scratch?.deallocate()
    }

    func accepts(_ a: UInt64, _ b: UInt64) throws -> Bool { try jaccard(a, b) >= threshold }

    /// Exact Jaccard similarity of two documents' shingle sets.
    func jaccard(_ a: UInt64, _ b: UInt64) throws -> Double {
        let sa = try set(a)
        if a == b { return 1 }
        if Self.slot(a) == Self.slot(b) || sa.count > Self.cachedShingles {
            // `b`'s read would replace `a`'s set: keep `a`'s in `aside` first.
            let copy = Self.grow(&aside, &asideCapacity, to: sa.count)
            if let base = sa.baseAddress { copy.update(from: base, count: sa.count) }
            let sb = try set(b)
            return sortedJaccard(UnsafeBufferPointer(start: copy, count: sa.count), sb)
        }
        return sortedJaccard(sa, try set(b))
    }

    @inline(__always)
    private static func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 56)  // 8 bits: 256 slots
    }

    /// Grows `buffer` to hold at least `n` values (contents are not kept).
    private static func grow(
        _ buffer: inout UnsafeMutablePointer<UInt64>?, _ capacity: inout Int, to n: Int
    ) -> UnsafeMutablePointer<UInt64> {
        if let b = buffer, capacity >= n { return b }
        buffer?.deallocate()
        let c = max(n, 64, capacity * 2)
        let b = UnsafeMutablePointer<UInt64>.allocate(capacity: c)
        buffer = b
        capacity = c
        return b
    }

    /// The set of `key`: from its cache slot, read on a miss; a set too large to cache is read
    /// into `scratch`.
    private func set(_ key: UInt64) throws -> UnsafeBufferPointer<UInt64> {
        let f = DocumentKey.file(key)
        let o = DocumentKey.ordinal(key)
        precondition(
            f < descriptors.count && o < counts[f],
            "document key \(DocumentKey.describe(key)) has no stored shingle set")
        let start = Int(offsets[f][o])
        let n = Int(offsets[f][o + 1]) - start
        if n > Self.cachedShingles {
            let p = Self.grow(&scratch, &scratchCapacity, to: n)
            try read(file: f, ordinal: o, start: start, count: n, into: p)
            return UnsafeBufferPointer(start: p, count: n)
        }
        let s = Self.slot(key)
        if tags[s] == key { return UnsafeBufferPointer(start: buffers[s], count: lengths[s]) }
        tags[s] = .max
        let p = Self.grow(&buffers[s], &capacities[s], to: n)
        try read(file: f, ordinal: o, start: start, count: n, into: p)
        tags[s] = key
        lengths[s] = n
        return UnsafeBufferPointer(start: p, count: n)
    }

    @inline(never)
    private func read(file f: Int, ordinal o: Int, start: Int, count n: Int, into p: UnsafeMutablePointer<UInt64>)
        throws
    {
        let bytes = n * 8
        let offset = RecordFile.headerBytes + start * 8
        var done = 0
        while done < bytes {
            let r = pread(descriptors[f], UnsafeMutableRawPointer(p) + done, bytes - done, off_t(offset + done))
            if r < 0 && errno == EINTR { continue }
            guard r > 0 else {
                let why = r < 0 ? String(cString: strerror(errno)) : "the file ends early"
                throw SluiceError(.io, "cannot read shingle set \(o): \(why)", file: paths[f])
            }
            done += r
        }
    }
}

/// Throws a clear error when the signatures pass left no `what` for document file `file`: it ran
/// with another `verify` mode than `mode`.
private func requireVerificationFile(_ path: String, _ what: String, file: Int, mode: VerifyMode) throws {
    guard !FileManager.default.fileExists(atPath: path) else { return }
    throw SluiceError(
        .io,
        "\(what) of file \(file) are missing: the signatures pass ran without verify: \(mode.rawValue); "
            + "rerun it (or use a new output folder)", file: path)
}

/// Jaccard similarity of two sorted sets without duplicates.
func sortedJaccard(_ a: UnsafeBufferPointer<UInt64>, _ b: UnsafeBufferPointer<UInt64>) -> Double {
    if a.isEmpty && b.isEmpty { return 1 }
    var i = 0
    var j = 0
    var common = 0
    while i < a.count && j < b.count {
        if a[i] == b[j] {
            common += 1
            i += 1
            j += 1
        } else if a[i] < b[j] {
            i += 1
        } else {
            j += 1
        }
    }
    return Double(common) / Double(a.count + b.count - common)
}
