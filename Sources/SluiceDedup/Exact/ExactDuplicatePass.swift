// Pass 2 of `exact_dedup`: one task per hash partition merges the runs of every file and lists
// each document whose hash an earlier (smaller key) document already had.
import Foundation
import SluiceCore

/// Duplicates: task `p` handles partition `p`. Memory: a read block per run plus the partition's
/// duplicate list (16 bytes per duplicate), sorted by key before it is written.
public struct ExactDuplicatePass: CorpusPass {
    public let name = "duplicates"
    public let settings: ExactSettings

    public init(settings: ExactSettings) { self.settings = settings }

    public func taskCount(environment: PassEnvironment) -> Int { settings.partitions }

    public func run(task partition: Int, environment: PassEnvironment, context: TaskContext) throws {
        let work = environment.workDirectory
        let runs = listFiles(ExactLayout.partitionDirectory(work, partition), suffix: ".bin")
        var merger = try SortedRunMerger(paths: runs, width: 3, magic: ExactLayout.hashMagic)
        var duplicates: [UInt64] = []  // (duplicate key, kept key)
        var h1: UInt64 = 0
        var h2: UInt64 = 0
        var kept: UInt64 = 0
        var copies = 0
        var documents = 0
        var distinct = 0
        var histogram: [String: Int] = [:]
        try merger.forEach { r in
            documents += 1
            if documents > 1 && r[0] == h1 && r[1] == h2 {
                duplicates.append(r[2])
                duplicates.append(kept)
                copies += 1
                return
            }
            if copies > 1 { histogram[String(copies), default: 0] += 1 }
            h1 = r[0]
            h2 = r[1]
            kept = r[2]
            copies = 1
            distinct += 1
        }
        if copies > 1 { histogram[String(copies), default: 0] += 1 }
        try sortPairs(&duplicates)
        try RecordFile.write(
            duplicates, width: 2, magic: ExactLayout.duplicateMagic,
            to: ExactLayout.duplicatePath(work, partition: partition))
        try writeJSON(
            ExactSummary(
                partition: partition, documents: documents, distinct: distinct, duplicates: duplicates.count / 2,
                copiesHistogram: histogram),
            to: ExactLayout.summaryPath(work, partition: partition))
        context.recordCommittedFile(ExactLayout.duplicatePath(work, partition: partition))
        context.recordCommittedFile(ExactLayout.summaryPath(work, partition: partition))
        context.count("duplicates", by: duplicates.count / 2)
    }
}
