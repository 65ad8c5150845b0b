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
        for p in 0..<parts { removeFiles(ExactLayout.partitionDirectory(work, p), prefix: zeroPadded(task, width: 5) + "-") }
        let hasher = ExactHasher(settings: settings)
        var buffers = [[UInt64]](repeating: [], count: parts)
        let perSpill = max(1, settings.sortBuffer / 24)
        var buffered = 0
        var run = 0

        func spill() throws {
            for p in 0..<parts where !buffers[p].isEmpty || run == 0 {
                sortTriples(&buffers[p])
                let path = ExactLayout.runPath(work, partition: p, file: task, run: run)
                try RecordFile.write(buffers[p], width: 3, magic: ExactLayout.hashMagic, to: path)
                context.recordCommittedFile(path)
                buffers[p].removeAll(keepingCapacity: true)
            }
            buffered = 0
            run += 1
        }

        var reader = try DocumentTextReader(path: environment.documentFiles[task])
        try reader.forEach(onBadLine: { _, at in
            context.reportBadRecord("exact_dedup:bad_document", file: at, "no string text field")
        }) { ordinal, text in
            let (h1, h2) = hasher.hash(text)
            let p = Int(h1 % UInt64(parts))
            buffers[p].append(h1)
            buffers[p].append(h2)
            buffers[p].append(DocumentKey.make(file: task, ordinal: ordinal))
            buffered += 1
            if buffered >= perSpill { try spill() }
        }
        // The last spill always writes every partition's run 0, so each task leaves a file per partition.
        if buffered > 0 || run == 0 { try spill() }
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
