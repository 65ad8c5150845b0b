// The filter of `minhash_dedup`, applied as the engine reads the documents again: it looks up each
// document's key in the clusters pass's member file, drops all but the smallest key of a
// cluster, and notes cluster id and size. It never reads text; the key decides.
import SluiceCore

/// Drops near-duplicates found by the clusters pass (reason `minhash_dedup`).
///
/// Memory: the members of the current document file (24 bytes each), from a mapped file.
public struct MinHashFilter: Filter {
    public static let name = "minhash_dedup_filter"
    public static let summary = "internal: the filter step of minhash_dedup"
    /// Metadata keys written on every document of a cluster.
    public static let clusterKey = "minhash_cluster_id"
    public static let sizeKey = "minhash_cluster_size"

    private let members: MappedRecordFile
    private var file = -1
    /// (ordinal, cluster id, size) of the current file's clustered documents, by ordinal.
    private var current: [(ordinal: Int, root: UInt64, size: Int)] = []
    private var cursor = 0

    /// Maps the member file of the clusters pass.
    /// - Throws: `SluiceError(.io)` when the clusters pass has not run.
    public init(workDirectory: String) throws {
        members = try MappedRecordFile(
            path: MinHashLayout.memberPath(workDirectory), width: 3, magic: MinHashLayout.memberMagic)
    }

    public init(options: inout StageOptions) throws {
        throw options.error("-", "minhash_dedup_filter is created by minhash_dedup, not named in a pipeline")
    }

    public mutating func verdict(for document: inout Document, context: TaskContext) throws -> Verdict {
        if context.currentInputIndex != file { load(file: context.currentInputIndex) }
        let ordinal = context.documentOrdinal
        // Documents arrive in ordinal order, so the cursor only moves forward; fall back to a
        // binary search if a caller skips around.
        if cursor < current.count,
            current[cursor].ordinal > ordinal || (cursor > 0 && current[cursor - 1].ordinal >= ordinal)
        {
            cursor = lowerBound(ordinal)
        }
        while cursor < current.count, current[cursor].ordinal < ordinal { cursor += 1 }
        guard cursor < current.count, current[cursor].ordinal == ordinal else { return .keep }
        let m = current[cursor]
        document.metadata[Self.clusterKey] = .int(Int64(bitPattern: m.root))
        document.metadata[Self.sizeKey] = .int(Int64(m.size))
        let key = DocumentKey.make(file: file, ordinal: ordinal)
        return key == m.root ? .keep : .drop(MinHashDedup.dropReason)
    }

    private mutating func load(file f: Int) {
        file = f
        cursor = 0
        current.removeAll(keepingCapacity: true)
        let lo = members.lowerBound(DocumentKey.make(file: f, ordinal: 0))
        let hi = members.lowerBound(DocumentKey.make(file: f + 1, ordinal: 0))
        members.withRecords { r in
            for i in lo..<hi {
                current.append((DocumentKey.ordinal(r[3 * i]), r[3 * i + 1], Int(r[3 * i + 2])))
            }
        }
    }

    private func lowerBound(_ ordinal: Int) -> Int {
        var lo = 0
        var hi = current.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if current[mid].ordinal < ordinal { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
