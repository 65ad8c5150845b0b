// Pass 1 of `exact_dedup`: one task per document file hashes each document's normalized text and
// writes, per hash partition, sorted runs of (hash, hash, document key). No cross-file work here.
import Foundation
import SluiceCore

/// Hashes: task `t` reads document file `t`. Memory: the sort buffer (24 bytes per document).
public struct ExactHashPass: CorpusPass {
    public let name = "hashes"
    public let settings: ExactSettings

    public init(settings: ExactSettings) { self.settings = settings }

    public func taskCount(environment: PassEnvironment) -> Int { environment.documentFiles.count }

    public func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
        let work = environment.workDirectory
        let parts = settings.partitions
        for p in 0..<parts {
            removeFiles(ExactLayout.partitionDirectory(work, p), prefix: zeroPadded(task, width: 5) + "-")
        }
        let hasher = ExactHasher(settings: settings)
        var runs = PartitionedRunWriter(
            partitions: parts, width: 3, magic: ExactLayout.hashMagic, sortBuffer: settings.sortBuffer,
            context: context, path: { ExactLayout.runPath(work, partition: $0, file: task, run: $1) },
            sort: sortTriples)

        var reader = try DocumentTextReader(path: environment.documentFiles[task])
        try reader.forEach(onBadLine: { _, at in
            context.reportBadRecord("exact_dedup:bad_document", file: at, "no string text field")
        }) { ordinal, text in
            let (h1, h2) = hasher.hash(text)
            try runs.append(h1, h2, DocumentKey.make(file: task, ordinal: ordinal))
        }
        try runs.finish()
    }
}

/// Sorts a flat array of (x, y, z) word triples.
func sortTriples(_ flat: inout [UInt64]) {
    flat.withUnsafeMutableBytes { raw in
        raw.withMemoryRebound(to: WordTriple.self) { t in
            var t = t
            t.sort()
        }
    }
}

struct WordTriple: Comparable {
    var x: UInt64
    var y: UInt64
    var z: UInt64
    @inline(__always) static func < (a: WordTriple, b: WordTriple) -> Bool {
        a.x != b.x ? a.x < b.x : a.y != b.y ? a.y < b.y : a.z < b.z
    }
}
