// Pass 2 of `minhash_dedup`: one task per band merges that band's sorted signature runs from
// every file and emits candidate pairs for documents that share the band key, optionally
// verified by full signature or exact Jaccard. It does not cluster.
import Foundation
import SluiceCore

/// Buckets: task `b` handles band `b`.
///
/// Memory: one 128 KB read block per run, plus the current bucket's keys; with verification the
/// stored signatures or shingle sets are memory-mapped (file-backed, reclaimable pages).
public struct MinHashBucketPass: CorpusPass {
    public let name = "buckets"
    public let settings: MinHashSettings

    public init(settings: MinHashSettings) { self.settings = settings }

    public func taskCount(environment: PassEnvironment) -> Int { settings.bands }

    public func run(task band: Int, environment: PassEnvironment, context: TaskContext) throws {
        let work = environment.workDirectory
        let runs = listFiles(MinHashLayout.bandDirectory(work, band), suffix: ".bin")
        var merger = try SortedRunMerger(paths: runs, width: 2, magic: MinHashLayout.signatureMagic)
        let writer = try RecordStreamWriter(
            path: MinHashLayout.pairPath(work, band: band), width: 2, magic: MinHashLayout.pairMagic)
        let files = environment.documentFiles.count
        switch settings.verify {
        case .none:
            try emit(&merger, writer, context: context, verifier: nil as SignatureStore?, counter: "")
        case .signature:
            let store = try SignatureStore(
                workDirectory: work, files: files, permutations: settings.bands * settings.rows,
                minimumMatches: settings.signatureMinimumMatches)
            try emit(&merger, writer, context: context, verifier: store, counter: "candidates_rejected_by_signature")
        case .exact:
            let store = try ShingleSetStore(workDirectory: work, files: files, threshold: settings.threshold)
            try emit(&merger, writer, context: context, verifier: store, counter: "candidates_rejected_by_jaccard")
        }
    }

    /// Reads one band's merged records, and per bucket (equal band key) writes candidate pairs:
    /// without a verifier every non-first member paired with the first, with one the pairs
    /// `BucketJoiner` finds.
    private func emit<V: CandidateVerifier>(
        _ merger: inout SortedRunMerger, _ writer: RecordStreamWriter, context: TaskContext, verifier: V?,
        counter: String
    ) throws {
        var bucket: [UInt64] = []
        var joiner = BucketJoiner()
        var currentHash: UInt64 = 0
        var rejected = 0

        func close() throws {
            defer { bucket.removeAll(keepingCapacity: true) }
            guard bucket.count > 1 else { return }
            guard let verifier else {
                for k in bucket.dropFirst() { writer.append2(bucket[0], k) }
                return
            }
            rejected += try joiner.join(bucket, verifier: verifier) { writer.append2($0, $1) }
        }

        try merger.forEach { r in
            if r[0] != currentHash || bucket.isEmpty {
                try close()
                currentHash = r[0]
            }
            bucket.append(r[1])
        }
        try close()
        try writer.finish()
        context.count("candidate_pairs", by: writer.count)
        if verifier != nil { context.count(counter, by: rejected) }
    }
}

/// Finds the verified pairs of one bucket.
///
/// The bucket's first `window` members are kept with a small union-find of what they are known
/// to be similar to; each document is checked against every window member not already joined
/// to it and paired with those it passes. So a copy of a copy joins its cluster even when it
/// fails against the original, one bucket can hold several true clusters, and a document that
/// shares the band but passes against nobody stays apart. At most `window` checks per
/// document; a bucket of identical documents costs one check each.
struct BucketJoiner {
    static let window = 16
    private var members: [UInt64] = []  // the bucket's first `window` documents
    private var parent: [Int] = []  // union-find over window positions

    init() {
        members.reserveCapacity(Self.window)
        parent.reserveCapacity(Self.window)
    }

    private func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x { x = parent[x] }
        return x
    }

    /// Calls `pair(member, document)` for each verified pair of `bucket` (in key order) and
    /// returns how many documents after the first passed against nobody.
    mutating func join<V: CandidateVerifier>(
        _ bucket: [UInt64], verifier: V, pair: (UInt64, UInt64) -> Void
    ) throws -> Int {
        members.removeAll(keepingCapacity: true)
        parent.removeAll(keepingCapacity: true)
        var rejected = 0
        for k in bucket {
            var mine = -1  // root of the window component k has joined
            for j in members.indices {
                let rj = find(j)
                if mine >= 0 && rj == mine { continue }  // already joined through another member
                guard try verifier.accepts(members[j], k) else { continue }
                pair(members[j], k)
                if mine < 0 {
                    mine = rj
                } else {
                    // k links two components: the smaller root becomes the parent, stays a root.
                    let (lo, hi) = (min(mine, rj), max(mine, rj))
                    parent[hi] = lo
                    mine = lo
                }
            }
            if mine < 0 && !members.isEmpty { rejected += 1 }
            if members.count < Self.window {
                parent.append(mine < 0 ? members.count : mine)
                members.append(k)
            }
        }
        return rejected
    }
}

/// Decides whether two documents that share a band are a candidate pair.
protocol CandidateVerifier {
    func accepts(_ a: UInt64, _ b: UInt64) throws -> Bool
}

/// Read access to the full signatures the signatures pass stored for `verify: signature`:
/// per document file, one record per ordinal of `permutations` 32-bit values.
///
/// Records are read with `pread` into a small direct-mapped cache rather than memory-mapped:
/// a bucket compares each member with its first few members, so the same few records are
/// read again and again, while a mapping would count every touched page in the process's RSS
/// (448 bytes per document at 14 × 8, once per concurrent buckets task).
final class SignatureStore: CandidateVerifier {
    private let descriptors: [Int32]
    private let paths: [String]
    private let counts: [Int]
    private let permutations: Int
    private let minimumMatches: Int
    /// Bytes per record: ⌈permutations / 2⌉ words.
    private let recordBytes: Int
    private static let cacheSlots = 64
    /// `cacheSlots` records of `recordBytes / 4` values, and the key each slot holds.
    private let cache: UnsafeMutablePointer<UInt32>
    private var tags: [UInt64]

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
                guard FileManager.default.fileExists(atPath: path) else {
                    throw SluiceError(
                        .io,
                        "full signatures of file \(f) are missing: the signatures pass ran without verify: signature; "
                            + "rerun it (or use a new output folder)", file: path)
                }
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
        tags = Array(repeating: UInt64.max, count: Self.cacheSlots)  // no document key is all ones
    }

    deinit {
        for fd in descriptors { close(fd) }
        cache.deallocate()
    }

    /// The cached record of `key`, read on a miss.
    @inline(__always)
    private func record(_ key: UInt64) throws -> UnsafePointer<UInt32> {
        let slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 58)  // 6 bits: 64 slots
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
        let saved = Array(UnsafeBufferPointer(start: try record(a), count: permutations))
        let pb = try record(b)
        var equal = 0
        for i in 0..<permutations where saved[i] == pb[i] { equal += 1 }
        return equal
    }

    func accepts(_ a: UInt64, _ b: UInt64) throws -> Bool { try matches(a, b) >= minimumMatches }
}

/// Read access to the sorted, unique shingle sets the signatures pass stored for verification.
final class ShingleSetStore: CandidateVerifier {
    private var data: [MappedRecordFile?]
    private var offsets: [[UInt64]?]
    private let work: String
    private let threshold: Double

    init(workDirectory: String, files: Int, threshold: Double) throws {
        work = workDirectory
        self.threshold = threshold
        data = Array(repeating: nil, count: files)
        offsets = Array(repeating: nil, count: files)
    }

    private func load(_ file: Int) {
        guard data[file] == nil else { return }
        // Missing files mean the signatures pass did not run with `verify`: a configuration bug.
        data[file] = try? MappedRecordFile(
            path: MinHashLayout.shinglePath(work, file: file), width: 1, magic: MinHashLayout.shingleMagic)
        offsets[file] = try? RecordFile.readAll(
            MinHashLayout.offsetPath(work, file: file), width: 1, magic: MinHashLayout.offsetMagic)
        precondition(
            data[file] != nil && offsets[file] != nil,
            "shingle sets of file \(file) are missing; rerun the signatures pass with verify: exact")
    }

    func accepts(_ a: UInt64, _ b: UInt64) -> Bool { jaccard(a, b) >= threshold }

    /// Exact Jaccard similarity of two documents' shingle sets.
    func jaccard(_ a: UInt64, _ b: UInt64) -> Double {
        let fa = DocumentKey.file(a)
        let fb = DocumentKey.file(b)
        load(fa)
        load(fb)
        let oa = DocumentKey.ordinal(a)
        let ob = DocumentKey.ordinal(b)
        let ra = Int(offsets[fa]![oa])..<Int(offsets[fa]![oa + 1])
        let rb = Int(offsets[fb]![ob])..<Int(offsets[fb]![ob + 1])
        return data[fa]!.withRecords { da in
            data[fb]!.withRecords { db in
                sortedJaccard(UnsafeBufferPointer(rebasing: da[ra]), UnsafeBufferPointer(rebasing: db[rb]))
            }
        }
    }
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
