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
        for p in 0..<parts { removeFiles(ParagraphLayout.partitionDirectory(work, p), prefix: zeroPadded(task, width: 5) + "-") }
        var splitter = UnitSplitter(unit: settings.unit)
        var buffers = [[UInt64]](repeating: [], count: parts)
        let perSpill = max(1, settings.sortBuffer / 32)
        var buffered = 0
        var run = 0

        func spill() throws {
            for p in 0..<parts where !buffers[p].isEmpty || run == 0 {
                sortQuads(&buffers[p])
                let path = ParagraphLayout.runPath(work, partition: p, file: task, run: run)
                try RecordFile.write(buffers[p], width: 4, magic: ParagraphLayout.hashMagic, to: path)
                context.recordCommittedFile(path)
                buffers[p].removeAll(keepingCapacity: true)
            }
            buffered = 0
            run += 1
        }

        var reader = try DocumentTextReader(path: environment.documentFiles[task])
        try reader.forEach(onBadLine: { _, at in
            context.reportBadRecord("paragraph_dedup:bad_document", file: at, "no string text field")
        }) { ordinal, text in
            splitter.split(text)
            let key = DocumentKey.make(file: task, ordinal: ordinal)
            for (u, r) in splitter.contents.enumerated() {
                let (h1, h2) = UnitSplitter.hash(text, r)
                let p = Int(h1 % UInt64(parts))
                buffers[p].append(h1)
                buffers[p].append(h2)
                buffers[p].append(key)
                buffers[p].append(ParagraphLayout.unitWord(index: u, length: r.count))
                buffered += 1
                if buffered >= perSpill { try spill() }
            }
        }
        // The last spill always writes every partition's run 0, so each task leaves a file per partition.
        if buffered > 0 || run == 0 { try spill() }
    }
}
