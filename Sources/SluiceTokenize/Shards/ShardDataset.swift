// A directory of token shards as one token stream per split (`DIR/train/*.shard`,
// `DIR/validation/*.shard`), as the `tokenize` stage writes them. What the trainer reads.
import Foundation
import SluiceCore

/// The train/validation split of a shard directory (its subfolder name).
public enum ShardSplit: String, Sendable, CaseIterable {
    case train
    case validation
}

/// All shards of one split of a shard directory, concatenated in file-name order.
///
/// ```swift
/// let data = try ShardDataset(directory: "out/shards", split: .train, tokenizer: tok)
/// let window = try data.read(1_000..<2_025)   // 1 025 ids, across shard files if needed
/// ```
/// Every shard must agree on dtype, vocab size, EOS id and tokenizer fingerprint. Not
/// thread-safe (each shard caches its last frame): open one dataset per thread.
public final class ShardDataset {
    public let directory: String
    public let split: ShardSplit
    /// The shard files, sorted by name.
    public let files: [String]
    /// One open reader per file.
    public let shards: [ShardReader]
    /// Cumulative token starts of the shards, plus the total (files + 1 entries).
    public let tokenStarts: [Int]

    /// Default memory for decoded frames, shared by the split's shards (64 MiB).
    public static let defaultCacheBytes = 64 << 20

    /// Opens `directory/split/*.shard`.
    /// - Parameters:
    ///   - tokenizer: when given, its fingerprint and vocab size must match the shards'.
    ///   - cacheBytes: memory for decoded frames kept for later reads, split evenly over the
    ///     shards (0: each shard keeps only its last frame).
    /// - Throws: `SluiceError(.io)` when the split folder is missing or holds no shard;
    ///   `.corruptInput` naming the file for a damaged shard or shards that disagree;
    ///   `.config` naming the file when the tokenizer's fingerprint differs from the shard's.
    public init(
        directory: String, split: ShardSplit = .train, tokenizer: Tokenizer? = nil,
        cacheBytes: Int = ShardDataset.defaultCacheBytes
    ) throws {
        self.directory = directory
        self.split = split
        let folder = directory + "/" + split.rawValue
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw SluiceError(.io, "no \(split.rawValue) split: folder missing", file: folder)
        }
        files = names.filter { $0.hasSuffix(".shard") }.sorted().map { folder + "/" + $0 }
        guard !files.isEmpty else {
            throw SluiceError(.io, "no .shard files in the \(split.rawValue) split", file: folder)
        }
        let perShard = cacheBytes / files.count
        shards = try files.map { try ShardReader(path: $0, cacheBytes: perShard) }
        var starts = [0]
        for s in shards { starts.append(starts.last! + s.tokenCount) }
        tokenStarts = starts
        let first = shards[0].header
        for s in shards.dropFirst() {
            let h = s.header
            if h.tokenizerFingerprint != first.tokenizerFingerprint {
                throw SluiceError(
                    .corruptInput,
                    "tokenizer fingerprint \(zeroPaddedHex(h.tokenizerFingerprint)) differs from \(zeroPaddedHex(first.tokenizerFingerprint)) in \(files[0])",
                    file: s.path)
            }
            if h.vocabSize != first.vocabSize || h.eosID != first.eosID || h.dtype != first.dtype {
                throw SluiceError(.corruptInput, "vocab size, EOS id or dtype differs from \(files[0])", file: s.path)
            }
        }
        if let tokenizer {
            try Self.check(header: first, file: files[0], against: tokenizer)
        }
    }

    /// Throws when `tokenizer` is not the one the shard was written with.
    static func check(header: ShardHeader, file: String, against tokenizer: Tokenizer) throws {
        if header.tokenizerFingerprint != tokenizer.fingerprint {
            throw SluiceError(
                .config,
                "tokenizer fingerprint mismatch: shard has \(zeroPaddedHex(header.tokenizerFingerprint)), tokenizer has \(zeroPaddedHex(tokenizer.fingerprint))",
                file: file)
        }
        if Int(header.vocabSize) != tokenizer.vocabSize {
            throw SluiceError(
                .config, "vocab size mismatch: shard \(header.vocabSize), tokenizer \(tokenizer.vocabSize)", file: file)
        }
    }

    /// Total tokens in the split.
    public var tokenCount: Int { tokenStarts.last! }
    /// Total documents in the split.
    public var documentCount: Int { shards.reduce(0) { $0 + $1.documentCount } }
    /// The vocabulary size the shards were written with.
    public var vocabSize: Int { Int(shards[0].header.vocabSize) }
    /// The id appended after every document.
    public var eosID: UInt32 { shards[0].header.eosID }
    /// The fingerprint of the tokenizer that wrote the shards (`Tokenizer.fingerprint`).
    public var tokenizerFingerprint: UInt64 { shards[0].header.tokenizerFingerprint }
    /// The id width on disk.
    public var dtype: ShardDType { shards[0].header.dtype }

    /// Reads tokens [a, b) of the split (across shard boundaries) into `buffer`.
    /// - Throws: `.usage` for a range outside the split; `.corruptInput` for a damaged frame.
    public func read(_ range: Range<Int>, into buffer: UnsafeMutableBufferPointer<UInt32>) throws {
        guard range.lowerBound >= 0, range.upperBound <= tokenCount else {
            throw SluiceError(
                .usage, "token range \(range) outside 0..<\(tokenCount)", file: directory + "/" + split.rawValue)
        }
        precondition(buffer.count >= range.count, "buffer of \(buffer.count) for \(range.count) tokens")
        var position = range.lowerBound
        var out = 0
        // The shard holding `position`: the last start ≤ position (binary search).
        var lo = 0
        var hi = shards.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if tokenStarts[mid] <= position { lo = mid } else { hi = mid - 1 }
        }
        var s = lo
        while position < range.upperBound {
            while position >= tokenStarts[s + 1] { s += 1 }
            let local = position - tokenStarts[s]
            let n = min(tokenStarts[s + 1] - position, range.upperBound - position)
            try shards[s].read(local..<(local + n), into: UnsafeMutableBufferPointer(rebasing: buffer[out..<(out + n)]))
            out += n
            position += n
        }
    }

    /// Tokens [a, b) of the split as an array.
    public func read(_ range: Range<Int>) throws -> [UInt32] {
        try [UInt32](unsafeUninitializedCapacity: range.count) { buf, n in
            try read(range, into: buf)
            n = range.count
        }
    }
}
