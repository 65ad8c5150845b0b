// The filter of `exact_dedup`: drops the documents the duplicates pass listed, by key. It reads the
// current file's slice of every partition's sorted duplicate list; it never rehashes text.
import SluiceCore

/// Drops exact duplicates (reason `exact_dedup`).
///
/// Memory: the duplicate ordinals of the current document file (8 bytes each).
public struct ExactDedupFilter: Filter {
    public static let name = "exact_dedup_filter"
    public static let summary = "internal: the filter step of exact_dedup"

    private let lists: [MappedRecordFile]
    private var file = -1
    private var ordinals: [Int] = []

    /// Maps every partition's duplicate list.
    /// - Throws: `SluiceError(.io)` when the duplicates pass has not run.
    public init(workDirectory: String, partitions: Int) throws {
        lists = try (0..<partitions).map {
            try MappedRecordFile(
                path: ExactLayout.duplicatePath(workDirectory, partition: $0), width: 2,
                magic: ExactLayout.duplicateMagic)
        }
    }

    public init(options: inout StageOptions) throws {
        throw options.error("-", "exact_dedup_filter is created by exact_dedup, not named in a pipeline")
    }

    public mutating func verdict(for document: inout Document, context: TaskContext) throws -> Verdict {
        if context.currentInputIndex != file { load(file: context.currentInputIndex) }
        var lo = 0
        var hi = ordinals.count
        let o = context.documentOrdinal
        while lo < hi {
            let mid = (lo + hi) / 2
            if ordinals[mid] < o { lo = mid + 1 } else { hi = mid }
        }
        return lo < ordinals.count && ordinals[lo] == o ? .drop(ExactDedup.dropReason) : .keep
    }

    private mutating func load(file f: Int) {
        file = f
        ordinals.removeAll(keepingCapacity: true)
        for list in lists {
            let lo = list.lowerBound(DocumentKey.make(file: f, ordinal: 0))
            let hi = list.lowerBound(DocumentKey.make(file: f + 1, ordinal: 0))
            list.withRecords { r in
                for i in lo..<hi { ordinals.append(DocumentKey.ordinal(r[2 * i])) }
            }
        }
        ordinals.sort()
    }
}
