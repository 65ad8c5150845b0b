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

    /// Reads one band's merged records, and per bucket (equal band key) writes candidate pairs.
    ///
    /// Without a verifier every non-first member is paired with the first. With one, each
    /// document joins the first accepted member it is really similar to (checking at most 16),
    /// so a bucket can hold several true clusters, and one that joins none starts its own.
    private func emit<V: CandidateVerifier>(
        _ merger: inout SortedRunMerger, _ writer: RecordStreamWriter, context: TaskContext, verifier: V?,
        counter: String
    ) throws {
        var bucket: [UInt64] = []
        var accepted: [UInt64] = []
        var currentHash: UInt64 = 0
        var rejected = 0

        func close() {
            defer { bucket.removeAll(keepingCapacity: true) }
            guard bucket.count > 1 else { return }
            guard let verifier else {
                for k in bucket.dropFirst() { writer.append2(bucket[0], k) }
                return
            }
            accepted.removeAll(keepingCapacity: true)
            for k in bucket {
                var joined = false
                for m in accepted.prefix(16) where verifier.accepts(m, k) {
                    writer.append2(m, k)
                    joined = true
                    break
                }
                if !joined {
                    if !accepted.isEmpty { rejected += 1 }
                    accepted.append(k)
                }
            }
        }

        try merger.forEach { r in
            if r[0] != currentHash || bucket.isEmpty {
                close()
                currentHash = r[0]
            }
            bucket.append(r[1])
        }
        close()
        try writer.finish()
        context.count("candidate_pairs", by: writer.count)
        if verifier != nil { context.count(counter, by: rejected) }
    }
}

/// Decides whether two documents that share a band are a candidate pair.
protocol CandidateVerifier {
    func accepts(_ a: UInt64, _ b: UInt64) -> Bool
}

/// Read access to the full signatures the signatures pass stored for `verify: signature`:
/// per document file, one record per ordinal of `permutations` 32-bit values (memory-mapped).
final class SignatureStore: CandidateVerifier {
    private let files: [MappedRecordFile]
    private let permutations: Int
    private let minimumMatches: Int

    /// Maps every file's signatures.
    /// - Throws: `SluiceError(.io)` when a file is missing (the signatures pass ran with another
    ///   `verify` mode), `.corruptInput` when its header does not match the settings.
    init(workDirectory: String, files count: Int, permutations: Int, minimumMatches: Int) throws {
        let width = MinHashLayout.fullSignatureWidth(permutations: permutations)
        files = try (0..<count).map { f in
            let path = MinHashLayout.fullSignaturePath(workDirectory, file: f)
            guard FileManager.default.fileExists(atPath: path) else {
                throw SluiceError(
                    .io,
                    "full signatures of file \(f) are missing: the signatures pass ran without verify: signature; "
                        + "rerun it (or use a new output folder)", file: path)
            }
            return try MappedRecordFile(path: path, width: width, magic: MinHashLayout.fullSignatureMagic)
        }
        self.permutations = permutations
        self.minimumMatches = minimumMatches
    }

    /// How many of the two documents' MinHash values are equal (in their low 32 bits).
    func matches(_ a: UInt64, _ b: UInt64) -> Int {
        let fa = files[DocumentKey.file(a)]
        let fb = files[DocumentKey.file(b)]
        let oa = DocumentKey.ordinal(a)
        let ob = DocumentKey.ordinal(b)
        precondition(oa < fa.count && ob < fb.count, "document key beyond the stored signatures")
        let width = fa.width
        let m = permutations
        return fa.withRecords { ra in
            fb.withRecords { rb in
                // Record o starts at word o × width; both hold ≥ m 32-bit values (checked above).
                let pa = UnsafeRawPointer(ra.baseAddress! + oa * width).assumingMemoryBound(to: UInt32.self)
                let pb = UnsafeRawPointer(rb.baseAddress! + ob * width).assumingMemoryBound(to: UInt32.self)
                var equal = 0
                for i in 0..<m where pa[i] == pb[i] { equal += 1 }
                return equal
            }
        }
    }

    func accepts(_ a: UInt64, _ b: UInt64) -> Bool { matches(a, b) >= minimumMatches }
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
