// Pass 2 of `minhash_dedup`: one task per band merges that band's sorted signature runs from
// every file and emits a candidate pair for each document that shares a bucket (equal band key)
// with the bucket's first one. It neither verifies nor clusters: with `verify: signature` or
// `exact` the clusters pass checks candidates per connected component.
import Foundation
import SluiceCore

/// Buckets: task `b` handles band `b`.
///
/// Memory: one 128 KB read block per run, plus the current bucket's first key.
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
        // Records arrive sorted by (band key, document key): the first of a bucket is its smallest key.
        var currentHash: UInt64 = 0
        var first: UInt64 = 0
        var started = false
        try merger.forEach { r in
            if !started || r[0] != currentHash {
                started = true
                currentHash = r[0]
                first = r[1]
            } else {
                writer.append2(first, r[1])
            }
        }
        try writer.finish()
        context.recordCommittedFile(MinHashLayout.pairPath(work, band: band))
        context.count("candidate_pairs", by: writer.count)
    }
}
