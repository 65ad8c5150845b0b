// Pass 2 of `paragraph_dedup` (exact index): one task per hash partition merges every file's runs
// and lists each unit whose hash an earlier unit (smaller document key, then position) already had.
import Foundation
import SluiceCore

/// Duplicates: task `p` handles partition `p`. Memory: a read block per run plus the partition's
/// duplicate list (16 bytes per repeated unit), sorted by document key before it is written.
public struct ParagraphDuplicatePass: CorpusPass {
    public let name = "duplicates"
    public let settings: ParagraphSettings

    public init(settings: ParagraphSettings) { self.settings = settings }

    public func taskCount(environment: PassEnvironment) -> Int { settings.partitions }

    public func run(task partition: Int, environment: PassEnvironment, context: TaskContext) throws {
        let work = environment.workDirectory
        let runs = listFiles(ParagraphLayout.partitionDirectory(work, partition), suffix: ".bin")
        var merger = try SortedRunMerger(paths: runs, width: 4, magic: ParagraphLayout.hashMagic)
        var duplicates: [UInt64] = []  // (document key, unit index | length)
        var h1: UInt64 = 0
        var h2: UInt64 = 0
        var units = 0
        var distinct = 0
        var bytes = 0
        try merger.forEach { r in
            units += 1
            if units > 1 && r[0] == h1 && r[1] == h2 {
                duplicates.append(r[2])
                duplicates.append(r[3])
                bytes += Int(r[3] & 0xFFFF_FFFF)
                return
            }
            h1 = r[0]
            h2 = r[1]
            distinct += 1
        }
        try sortPairs(&duplicates)
        let path = ParagraphLayout.duplicatePath(work, partition: partition)
        try RecordFile.write(duplicates, width: 2, magic: ParagraphLayout.duplicateMagic, to: path)
        let summary = ParagraphLayout.summaryPath(work, partition: partition)
        try writeJSON(
            ParagraphSummary(
                partition: partition, units: units, distinct: distinct, duplicateUnits: duplicates.count / 2,
                duplicateBytes: bytes),
            to: summary)
        context.recordCommittedFile(path)
        context.recordCommittedFile(summary)
        context.count("duplicate_units", by: duplicates.count / 2)
    }
}
