// Pass 2 of `minhash_dedup`: one task per band merges that band's sorted signature runs from
// every file and emits candidate pairs for documents that share the band key. It does not
// cluster; pairs are chained to the bucket's first (smallest-key) document.
import Foundation
import SluiceCore

/// Buckets: task `b` handles band `b`.
///
/// Memory: one 128 KB read block per run, plus the current bucket's keys.
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
        let verifier =
            settings.verify ? try ShingleSetStore(workDirectory: work, files: environment.documentFiles.count) : nil
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
            // Verified: each document joins the first accepted member it is really similar to
            // (checking at most 16), so a bucket can hold several true clusters.
            accepted.removeAll(keepingCapacity: true)
            for k in bucket {
                var joined = false
                for m in accepted.prefix(16) where verifier.jaccard(m, k) >= settings.threshold {
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
        if settings.verify { context.count("candidates_rejected_by_jaccard", by: rejected) }
    }
}

/// Read access to the sorted, unique shingle sets the signatures pass stored for verification.
final class ShingleSetStore {
    private var data: [MappedRecordFile?]
    private var offsets: [[UInt64]?]
    private let work: String

    init(workDirectory: String, files: Int) throws {
        work = workDirectory
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
            "shingle sets of file \(file) are missing; rerun the signatures pass with verify")
    }

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
