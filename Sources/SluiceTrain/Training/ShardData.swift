// The one file that knows SluiceTokenize: token shards as `TokenStream`s, the tokenizer as a
// `TextCodec`, and opening a run's training and validation data with every identity check
// (tokenizer fingerprint, vocabulary) done before training starts.
import Foundation
import SluiceCore
import SluiceTokenize

/// One split of a shard directory (`DIR/train/*.shard` or `DIR/validation/*.shard`).
public final class ShardTokenStream: TokenStream {
    let dataset: ShardDataset
    public let label: String

    /// Opens `directory/split`; with `tokenizer`, its fingerprint and vocabulary must match the shards'.
    public init(directory: String, split: ShardSplit, tokenizer: Tokenizer?) throws {
        dataset = try ShardDataset(directory: directory, split: split, tokenizer: tokenizer)
        label = directory + "/" + split.rawValue
    }

    public var tokenCount: Int { dataset.tokenCount }
    public var vocabSize: Int { dataset.vocabSize }
    public var eosID: Int? { Int(dataset.eosID) }
    public var tokenizerFingerprint: UInt64? { dataset.tokenizerFingerprint }
    public func read(_ range: Range<Int>) throws -> [Int32] { try dataset.read(range).map { Int32(bitPattern: $0) } }
}

/// Several streams read as one (training on more than one shard directory); all must share a tokenizer.
public final class ConcatTokenStream: TokenStream {
    let parts: [any TokenStream]
    let starts: [Int]
    public init(_ parts: [any TokenStream]) throws {
        precondition(!parts.isEmpty)
        for p in parts.dropFirst()
        where p.tokenizerFingerprint != parts[0].tokenizerFingerprint || p.vocabSize != parts[0].vocabSize {
            throw SluiceError(
                .config,
                "\(p.label) was made by another tokenizer than \(parts[0].label) (fingerprint \(hex(p.tokenizerFingerprint ?? 0)) vs \(hex(parts[0].tokenizerFingerprint ?? 0)))"
            )
        }
        self.parts = parts
        var s = [0]
        for p in parts { s.append(s.last! + p.tokenCount) }
        starts = s
    }
    public var tokenCount: Int { starts.last! }
    public var vocabSize: Int { parts[0].vocabSize }
    public var eosID: Int? { parts[0].eosID }
    public var tokenizerFingerprint: UInt64? { parts[0].tokenizerFingerprint }
    public var label: String { parts.map(\.label).joined(separator: "+") }
    public func read(_ range: Range<Int>) throws -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(range.count)
        for (i, p) in parts.enumerated() {
            let lo = max(range.lowerBound, starts[i]), hi = min(range.upperBound, starts[i + 1])
            if lo < hi { out += try p.read((lo - starts[i])..<(hi - starts[i])) }
        }
        return out
    }
}

/// A `Tokenizer` seen as a `TextCodec`.
public struct TokenizerCodec: TextCodec {
    public let tokenizer: Tokenizer
    public init(_ tokenizer: Tokenizer) { self.tokenizer = tokenizer }
    public init(path: String) throws { tokenizer = try Tokenizer.load(path: path) }
    public var vocabSize: Int { tokenizer.vocabSize }
    public func encode(_ text: String) -> [Int32] { tokenizer.encode(text).map { Int32(bitPattern: $0) } }
    public func decode(_ ids: [Int32]) -> String {
        tokenizer.decode(ids.map { UInt32(bitPattern: $0) }, skipSpecialTokens: true)
    }
    /// The tokenizer.json inside a checkpoint folder.
    public static func load(checkpoint dir: String) throws -> TokenizerCodec {
        let path = dir + "/tokenizer.json"
        guard FileManager.default.fileExists(atPath: path) else {
            throw SluiceError(
                .io, "checkpoint has no tokenizer.json (copy the tokenizer the model was trained with into it)",
                file: dir)
        }
        return try TokenizerCodec(path: path)
    }
}

/// Throws when checkpoint folder `dir` carries a tokenizer.json that did not make `data` (its
/// fingerprint differs from the shards'), naming both; logs when there is none to compare.
func checkCheckpointTokenizer(_ dir: String, against data: any TokenStream, log: (String) -> Void) throws {
    guard let want = data.tokenizerFingerprint else { return }
    let path = dir + "/tokenizer.json"
    guard FileManager.default.fileExists(atPath: path) else {
        log("\(dir) has no tokenizer.json: its tokenizer cannot be checked against the data's (\(hex(want)))")
        return
    }
    let tokenizer = try Tokenizer.load(path: path)
    let have = tokenizer.fingerprint
    // An MLM checkpoint carries the data's tokenizer with [MASK] appended (MaskedLM.prepare).
    let dataFingerprint = have == want ? have : try MaskedLM.dataTokenizer(tokenizer).fingerprint
    guard dataFingerprint == want else {
        throw SluiceError(
            .config,
            "the checkpoint \(dir) was trained with another tokenizer than the data \(data.label): its "
                + "tokenizer.json has fingerprint \(hex(have)), the data's tokenizer \(hex(want)); "
                + "tokenize the data with \(path), or train from scratch",
            file: path)
    }
}

/// Whether `folder` holds at least one `.shard` file (a split with few documents may get none).
func hasShards(_ folder: String) -> Bool {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).contains { $0.hasSuffix(".shard") }
}

/// The data of a training run, opened and checked.
public struct TrainingData {
    public var train: any TokenStream
    public var val: (any TokenStream)?
    /// The tokenizer.json copied into checkpoints.
    public var tokenizerPath: String?

    /// Opens `options.trainData` (shard directories) and the validation data: `options.valData`,
    /// else each directory's `validation` split when present, else none (the trainer holds out a tail).
    /// The tokenizer is `options.tokenizer`, else the first directory's `tokenizer.json`.
    /// - Throws: config errors for missing data or shards from another tokenizer.
    public static func open(_ options: TrainOptions) throws -> TrainingData {
        let fm = FileManager.default
        if !options.textData.isEmpty {
            guard options.trainData.isEmpty else {
                throw SluiceError(.config, "data: give train (shards) or text, not both")
            }
            guard let tokPath = options.tokenizer else { throw SluiceError(.config, "data.text needs data.tokenizer") }
            let tokenizer = try Tokenizer.load(path: tokPath)
            var ids: [Int32] = []
            for path in options.textData {
                guard let d = fm.contents(atPath: path) else { throw SluiceError(.io, "cannot read", file: path) }
                guard let text = String(data: d, encoding: .utf8) else {
                    throw SluiceError(.corruptInput, "not valid UTF-8", file: path)
                }
                ids += tokenizer.encode(text).map { Int32(bitPattern: $0) }
                if let eos = tokenizer.eosID { ids.append(Int32(bitPattern: eos)) }
            }
            let stream = ArrayTokenStream(
                ids, vocabSize: tokenizer.vocabSize, eosID: tokenizer.eosID.map { Int($0) },
                fingerprint: tokenizer.fingerprint,
                label: options.textData.joined(separator: "+"))
            return TrainingData(train: stream, val: nil, tokenizerPath: tokPath)
        }
        guard !options.trainData.isEmpty else {
            throw SluiceError(.config, "data.train: no training shards (or data.text files) given")
        }
        var tokPath = options.tokenizer
        if tokPath == nil, fm.fileExists(atPath: options.trainData[0] + "/tokenizer.json") {
            tokPath = options.trainData[0] + "/tokenizer.json"
        }
        let tokenizer = try tokPath.map { try Tokenizer.load(path: $0) }
        let trains = try options.trainData.map {
            try ShardTokenStream(directory: $0, split: .train, tokenizer: tokenizer) as any TokenStream
        }
        let train: any TokenStream = trains.count == 1 ? trains[0] : try ConcatTokenStream(trains)
        var vals: [any TokenStream] = []
        if !options.valData.isEmpty {
            for d in options.valData {
                let split: ShardSplit = hasShards(d + "/validation") ? .validation : .train
                vals.append(try ShardTokenStream(directory: d, split: split, tokenizer: tokenizer))
            }
        } else {
            for d in options.trainData where hasShards(d + "/validation") {
                vals.append(try ShardTokenStream(directory: d, split: .validation, tokenizer: tokenizer))
            }
        }
        let val: (any TokenStream)? = vals.isEmpty ? nil : (vals.count == 1 ? vals[0] : try ConcatTokenStream(vals))
        if let v = val, v.tokenizerFingerprint != train.tokenizerFingerprint {
            throw SluiceError(
                .config,
                "validation shards \(v.label) were made by another tokenizer than \(train.label) (fingerprint \(hex(v.tokenizerFingerprint ?? 0)) vs \(hex(train.tokenizerFingerprint ?? 0)))"
            )
        }
        return TrainingData(train: train, val: val, tokenizerPath: tokPath)
    }
}
