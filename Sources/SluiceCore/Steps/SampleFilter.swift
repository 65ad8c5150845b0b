// The `sample` filter: keeps a deterministic fraction of documents, chosen by a seeded 64-bit hash
// of the id (xxHash64, Text/Hashing.swift), so the same documents are kept whatever the task split or worker count.

/// Keeps about `fraction` of the documents: those whose `xxHash64(id, seed)` falls below
/// `fraction · 2⁶⁴`. Others are dropped as `sample:not_sampled`. A different `seed` draws a
/// different (independent) sample; the same seed always draws the same one.
public struct SampleFilter: Filter {
    public static let name = "sample"
    public static let summary = "Keeps a deterministic fraction of documents, chosen by a hash of the id."

    public static let notSampled = DropReason("sample:not_sampled")

    public var fraction: Double
    public var seed: UInt64
    private var threshold: UInt64 = 0
    private var keepAll = false

    public init(options: inout StageOptions) throws {
        let f = try options.double("fraction", default: 0.5, range: 0...1, "fraction of documents kept (0…1)")
        let s = try options.int("seed", default: 0, range: 0...Int.max, "hash seed; change it for another sample")
        self.init(fraction: f, seed: UInt64(s))
    }

    /// - Precondition: `fraction` is in 0…1.
    public init(fraction: Double, seed: UInt64 = 0) {
        precondition((0...1).contains(fraction), "fraction \(fraction) outside 0…1")
        self.fraction = fraction
        self.seed = seed
        let scaled = fraction * 0x1p64
        keepAll = scaled >= 0x1p64
        threshold = keepAll ? .max : UInt64(scaled)
    }

    public mutating func verdict(for document: inout Document, context: TaskContext) -> Verdict {
        if keepAll { return .keep }
        return xxHash64(document.id, seed: seed) < threshold ? .keep : .drop(Self.notSampled)
    }
}
