// Pass 1 of `paragraph_dedup` (exact index): one task per document file hashes every unit and writes,
// per hash partition, sorted runs of (hash, hash, document key, unit index | length).
import Foundation
import SluiceCore

/// Hashes: task `t` reads document file `t`. Memory: the sort buffer (32 bytes per unit).
public struct ParagraphHashPass: CorpusPass {
    public let name = "hashes"
    public let settings: ParagraphSettings

    public init(settings: ParagraphSettings) { self.settings = settings }

    public func taskCount(environment: PassEnvironment) -> Int { environment.documentFiles.count }

    public func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
        let work = environment.workDirectory
        let parts = settings.partitions
        for p in 0..<parts {
            removeFiles(ParagraphLayout.partitionDirectory(work, p), prefix: zeroPadded(task, width: 5) + "-")
        }
        var splitter = UnitSplitter(unit: settings.unit)
        var runs = PartitionedRunWriter(
            partitions: parts, width: 4, magic: ParagraphLayout.hashMagic, sortBuffer: settings.sortBuffer,
            context: context, path: { ParagraphLayout.runPath(work, partition: $0, file: task, run: $1) },
            sort: sortQuads)

        var reader = try DocumentTextReader(path: environment.documentFiles[task])
        try reader.forEach(onBadLine: { _, at in
            context.reportBadRecord("paragraph_dedup:bad_document", file: at, "no string text field")
        }) { ordinal, text in
            splitter.split(text)
            let key = DocumentKey.make(file: task, ordinal: ordinal)
            for (u, r) in splitter.contents.enumerated() {
                let (h1, h2) = UnitSplitter.hash(text, r)
                try runs.append(h1, h2, key, ParagraphLayout.unitWord(index: u, length: r.count))
            }
        }
        try runs.finish()
    }
}
