// The step of `paragraph_dedup`: cuts the units the duplicates pass listed out of each document (or
// tags them), by document key and unit index; it re-splits the text but never rehashes it.
import SluiceCore

/// Removes repeated units; counts `units_removed`, `bytes_removed` and `documents_edited`.
///
/// Memory: the repeat list of the current document file (16 bytes per repeated unit).
public struct ParagraphDedupStep: Step {
    public static let name = "paragraph_dedup_step"
    public static let summary = "internal: the editing step of paragraph_dedup"

    private let lists: [MappedRecordFile]
    private let settings: ParagraphSettings
    private var splitter: UnitSplitter
    private var file = -1
    private var entries: [UInt64] = []  // flat (ordinal, unit index), sorted
    private var remove: [Int] = []
    private var output: [UInt8] = []

    /// Maps every partition's repeat list.
    /// - Throws: `SluiceError(.io)` when the passes have not run.
    public init(workDirectory: String, partitions: Int, settings: ParagraphSettings) throws {
        lists = try (0..<partitions).map {
            try MappedRecordFile(
                path: ParagraphLayout.duplicatePath(workDirectory, partition: $0), width: 2,
                magic: ParagraphLayout.duplicateMagic)
        }
        self.settings = settings
        splitter = UnitSplitter(unit: settings.unit)
    }

    public init(options: inout StageOptions) throws {
        throw options.error("-", "paragraph_dedup_step is created by paragraph_dedup, not named in a pipeline")
    }

    public mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
        if context.currentInputIndex != file { load(file: context.currentInputIndex) }
        // Binary search for the first entry of this document.
        let o = UInt64(context.documentOrdinal)
        var lo = 0
        var hi = entries.count / 2
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[2 * mid] < o { lo = mid + 1 } else { hi = mid }
        }
        remove.removeAll(keepingCapacity: true)
        var bytes = 0
        while lo < entries.count / 2 && entries[2 * lo] == o {
            remove.append(Int(entries[2 * lo + 1] >> 32))
            bytes += Int(entries[2 * lo + 1] & 0xFFFF_FFFF)
            lo += 1
        }
        guard !remove.isEmpty else { return .keep }
        context.count("units_removed", by: remove.count)
        context.count("bytes_removed", by: bytes)
        context.count("documents_edited")
        if settings.mode == .tag {
            document.metadata["paragraph_dedup_units"] = .int(Int64(remove.count))
            document.metadata["paragraph_dedup_bytes"] = .int(Int64(bytes))
            return .keep
        }
        let words = withUTF8Bytes(document.text) { b in cut(b) }
        if words < max(1, settings.minWords) { return .drop(ParagraphDedup.tooShort) }
        document.text = String(decoding: output, as: UTF8.self)
        return .keep
    }

    /// Fills `output` with `b` minus the spans of the units in `remove` (sorted); returns the words left.
    private mutating func cut(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        splitter.split(b)
        output.removeAll(keepingCapacity: true)
        var at = 0
        var k = 0
        for (u, span) in splitter.spans.enumerated() where k < remove.count && remove[k] == u {
            output.append(contentsOf: UnsafeBufferPointer(rebasing: b[at..<span.lowerBound]))
            at = span.upperBound
            k += 1
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: b[at...]))
        // A text that did not end in a line break keeps not ending in one.
        if b.last != 10 { while output.last == 10 || output.last == 13 { output.removeLast() } }
        var words = 0
        var inWord = false
        for c in output {
            let space = c == 32 || (c >= 9 && c <= 13)
            if !space && !inWord { words += 1 }
            inWord = !space
        }
        return words
    }

    private mutating func load(file f: Int) {
        file = f
        var pairs: [UInt64] = []
        for list in lists {
            let lo = list.lowerBound(DocumentKey.make(file: f, ordinal: 0))
            let hi = list.lowerBound(DocumentKey.make(file: f + 1, ordinal: 0))
            list.withRecords { r in
                for i in lo..<hi {
                    pairs.append(UInt64(DocumentKey.ordinal(r[2 * i])))
                    pairs.append(r[2 * i + 1])
                }
            }
        }
        try? sortPairs(&pairs)
        entries = pairs
    }
}
