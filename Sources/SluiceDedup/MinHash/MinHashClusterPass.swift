// Pass 3 of `minhash_dedup`: one task joins every band's candidate pairs with union-find into
// loose components; with `verify: signature` or `exact` it then splits each component into
// verified groups (`ComponentJoiner`). It writes, for each document in a cluster of two or more,
// its cluster (the smallest key, which is the document kept) and the cluster size, plus a
// summary for `sluice dedup report`.
import Foundation
import SluiceCore

/// Clusters: a single task.
///
/// Memory: the union-find table, 4 bytes per document, plus a 4-byte size per document while
/// the members are written (8 bytes per document in all), independent of the number of pairs.
/// Verification adds, before the sizes, 8 bytes per document in a loose component of two or
/// more (its (root, index), sorted to group the components) and 12 bytes per document of the
/// largest component (its key and joiner label).
public struct MinHashClusterPass: CorpusPass {
    public let name = "clusters"
    public let settings: MinHashSettings

    public init(settings: MinHashSettings) { self.settings = settings }

    public func taskCount(environment: PassEnvironment) -> Int { 1 }

    public func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
        let work = environment.workDirectory
        let files = environment.documentFiles.count
        // Dense index of a key = documents in earlier files + ordinal.
        var firstIndex = [Int](repeating: 0, count: files + 1)
        var signedTotal = 0
        for f in 0..<files {
            let path = MinHashLayout.countPath(work, file: f)
            guard FileManager.default.fileExists(atPath: path) else {
                throw SluiceError(.io, "the signatures pass has not finished file \(f)", file: path)
            }
            let c = try RecordFile.readAll(path, width: 3, magic: MinHashLayout.countMagic)
            firstIndex[f + 1] = firstIndex[f] + Int(c[0])
            signedTotal += Int(c[1])
        }
        let total = firstIndex[files]
        guard total < Int(UInt32.max) else {
            throw SluiceError(.config, "minhash_dedup handles at most 4294967294 documents per stage (got \(total))")
        }
        @inline(__always) func index(_ key: UInt64) -> Int {
            firstIndex[DocumentKey.file(key)] + DocumentKey.ordinal(key)
        }

        var parent = [UInt32](unsafeUninitializedCapacity: total) { b, n in
            for i in 0..<total { b[i] = UInt32(i) }
            n = total
        }
        var pairs = 0
        var examples: [(UInt64, UInt64)] = []
        try parent.withUnsafeMutableBufferPointer { parent in
            // Union by smaller index, so every root is its set's smallest key: the kept document
            // does not depend on the order of pairs, bands or tasks.
            @inline(__always) func find(_ x: Int) -> Int {
                var x = x
                while Int(parent[x]) != x {
                    let p = Int(parent[x])
                    parent[x] = parent[p]  // path halving
                    x = p
                }
                return x
            }
            for band in 0..<settings.bands {
                let path = MinHashLayout.pairPath(work, band: band)
                guard FileManager.default.fileExists(atPath: path) else {
                    throw SluiceError(.io, "the buckets pass has not finished band \(band)", file: path)
                }
                let reader = try RecordFileReader(path: path, width: 2, magic: MinHashLayout.pairMagic)
                while let r = try reader.next() {
                    pairs += 1
                    let a = find(index(r[0]))
                    let b = find(index(r[1]))
                    if a == b { continue }
                    if examples.count < 12 { examples.append((r[0], r[1])) }
                    if a < b { parent[b] = UInt32(a) } else { parent[a] = UInt32(b) }
                }
            }
            for i in 0..<total { parent[i] = UInt32(find(i)) }
        }
        if settings.verify != .none {
            examples.removeAll()
            let files = environment.documentFiles.count
            let rejected: Int
            switch settings.verify {
            case .none: rejected = 0
            case .signature:
                let store = try SignatureStore(
                    workDirectory: work, files: files, permutations: settings.bands * settings.rows,
                    minimumMatches: settings.signatureMinimumMatches)
                rejected = try verifyComponents(&parent, firstIndex: firstIndex, verifier: store, examples: &examples)
            case .exact:
                let store = try ShingleSetStore(workDirectory: work, files: files, threshold: settings.threshold)
                rejected = try verifyComponents(&parent, firstIndex: firstIndex, verifier: store, examples: &examples)
            }
            context.count(
                settings.verify == .signature ? "candidates_rejected_by_signature" : "candidates_rejected_by_jaccard",
                by: rejected)
        }

        // Sizes per root, then members in key order (the dense index follows key order).
        var size = [UInt32](repeating: 0, count: total)
        for i in 0..<total { size[Int(parent[i])] &+= 1 }
        let writer = try RecordStreamWriter(
            path: MinHashLayout.memberPath(work), width: 3, magic: MinHashLayout.memberMagic)
        var histogram: [Int: Int] = [:]
        var clusters = 0
        var largest: [(size: Int, key: UInt64)] = []
        var file = 0
        for i in 0..<total {
            while i >= firstIndex[file + 1] { file += 1 }
            let root = Int(parent[i])
            let s = Int(size[root])
            guard s >= 2 else { continue }
            let key = DocumentKey.make(file: file, ordinal: i - firstIndex[file])
            var rootFile = file
            while root < firstIndex[rootFile] { rootFile -= 1 }
            let rootKey = DocumentKey.make(file: rootFile, ordinal: root - firstIndex[rootFile])
            writer.append3(key, rootKey, UInt64(s))
            if root == i {
                clusters += 1
                histogram[s, default: 0] += 1
                largest.append((s, key))
                if largest.count > 32 {
                    largest.sort { $0.size > $1.size || ($0.size == $1.size && $0.key < $1.key) }
                    largest.removeLast(largest.count - 5)
                }
            }
        }
        try writer.finish()
        context.recordCommittedFile(MinHashLayout.memberPath(work))
        largest.sort { $0.size > $1.size || ($0.size == $1.size && $0.key < $1.key) }
        let duplicates = writer.count - clusters
        context.count("clusters", by: clusters)
        context.count("documents_in_clusters", by: writer.count)
        context.count("duplicates", by: duplicates)

        let summary = try MinHashSummary(
            settings: settings, documents: total, signed: signedTotal, candidatePairs: pairs, clusters: clusters,
            documentsInClusters: writer.count, histogram: histogram, largest: Array(largest.prefix(5)),
            examples: examples, documentFiles: environment.documentFiles)
        try summary.write(to: MinHashLayout.summaryPath(work))
        context.recordCommittedFile(MinHashLayout.summaryPath(work))
    }

    /// Replaces each loose component in `parent` (every entry already its root) by its verified
    /// groups: afterwards `parent[i]` is the index of the first document of `i`'s group, `i`
    /// itself when it joined nobody. Returns the documents rejected (see `ComponentJoiner`).
    private func verifyComponents<V: CandidateVerifier>(
        _ parent: inout [UInt32], firstIndex: [Int], verifier: V, examples: inout [(UInt64, UInt64)]
    ) throws -> Int {
        // (root, index) of every document that is not its component's root, sorted: components
        // in the order of their roots (the smallest index), members in index order.
        var grouped: [UInt64] = []
        parent.withUnsafeBufferPointer { parent in
            var n = 0
            for i in parent.indices where Int(parent[i]) != i { n += 1 }
            grouped.reserveCapacity(n)
            for i in parent.indices where Int(parent[i]) != i {
                grouped.append(UInt64(parent[i]) << 32 | UInt64(i))
            }
        }
        grouped.sort()
        let files = firstIndex.count - 1
        @inline(__always) func key(_ index: Int) -> UInt64 {
            // Last file whose first index is <= index (files without documents are skipped).
            var lo = 0
            var hi = files - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if firstIndex[mid] <= index { lo = mid } else { hi = mid - 1 }
            }
            return DocumentKey.make(file: lo, ordinal: index - firstIndex[lo])
        }
        var joiner = ComponentJoiner()
        var keys: [UInt64] = []  // the current component's keys, reused
        var rejected = 0
        try grouped.withUnsafeBufferPointer { grouped in
            try parent.withUnsafeMutableBufferPointer { parent in
                var start = 0
                while start < grouped.count {
                    let root = Int(grouped[start] >> 32)
                    var end = start
                    while end < grouped.count && Int(grouped[end] >> 32) == root { end += 1 }
                    keys.removeAll(keepingCapacity: true)
                    keys.append(key(root))
                    for g in start..<end { keys.append(key(Int(grouped[g] & 0xFFFF_FFFF))) }
                    rejected += try keys.withUnsafeBufferPointer { component in
                        try joiner.join(component, verifier: verifier) { a, b in
                            if examples.count < 12 { examples.append((a, b)) }
                        }
                    }
                    @inline(__always) func index(_ p: Int) -> Int {
                        p == 0 ? root : Int(grouped[start + p - 1] & 0xFFFF_FFFF)
                    }
                    for p in 0...(end - start) { parent[index(p)] = UInt32(index(joiner.leader(of: p))) }
                    start = end
                }
            }
        }
        return rejected
    }
}
