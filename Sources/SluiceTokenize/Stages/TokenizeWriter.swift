// The `tokenize` writer stage: encodes each document and appends it to packed zstd token shards
// (docs/shards.md), `train/` or `validation/` by a hash of the document id, rolling over to a new
// shard file at `shard_tokens`. Deterministic: the same input and options give the same bytes.
import Foundation
import SluiceCore

/// Writes documents as token shards.
public struct TokenizeWriter: DocumentWriter {
    public static let name = "tokenize"
    public static let summary =
        "Encodes documents with a tokenizer.json into packed zstd token shards (train/validation split)."

    public var tokenizerPath: String
    public var shardTokens: Int
    public var frameTokens: Int
    public var validationFraction: Double
    public var dtype: String
    public var compressionLevel: Int

    private var tokenizer: Tokenizer?
    private var encoder: Tokenizer.Encoder?
    private var writers: [ShardSplit: ShardWriter] = [:]
    private var shardNumbers: [ShardSplit: Int] = [:]
    private var ids: [UInt32] = []
    /// Tokens (without the end-of-text token) and text bytes per document source, counted as
    /// `source_tokens:<source>` and `source_bytes:<source>` when the task finishes (the report's
    /// bytes per token per source); gathered here so a document costs a lookup, not a string.
    private var perSource: [String: (tokens: Int, bytes: Int)] = [:]

    public init(options: inout StageOptions) throws {
        tokenizerPath = try options.string(
            "tokenizer", default: "tokenizer.json",
            "tokenizer.json path; a relative path is looked up in the working folder, then in the output folder (where train_tokenizer writes it)"
        )
        shardTokens = try options.int(
            "shard_tokens", default: 100_000_000, range: 1...Int(Int32.max),
            "tokens per shard file before a new one starts")
        frameTokens = try options.int(
            "frame_tokens", default: ShardWriter.defaultFrameTokens, range: 1...(1 << 24),
            "tokens per zstd frame (random-access granularity)")
        validationFraction = try options.double(
            "validation_fraction", default: 0.005, range: 0...1,
            "share of documents (by id hash) written to validation/")
        dtype = try options.choice(
            "dtype", default: "auto", ["auto", "uint16", "uint32"], "id width; auto = uint16 when the vocab fits")
        compressionLevel = try options.int("compression_level", default: 3, range: 1...19, "zstd level of the frames")
    }

    public init(
        tokenizerPath: String, shardTokens: Int = 100_000_000, frameTokens: Int = ShardWriter.defaultFrameTokens,
        validationFraction: Double = 0.005, dtype: String = "auto", compressionLevel: Int = 3
    ) {
        self.tokenizerPath = tokenizerPath
        self.shardTokens = shardTokens
        self.frameTokens = frameTokens
        self.validationFraction = validationFraction
        self.dtype = dtype
        self.compressionLevel = compressionLevel
    }

    /// Where the tokenizer is: the path as given, else under the output folder.
    static func resolve(_ path: String, outputDirectory: String) -> String {
        if path.hasPrefix("/") || FileManager.default.fileExists(atPath: path) { return path }
        return outputDirectory + "/" + path
    }

    public mutating func prepare(context: TaskContext) throws {
        let resolved = Self.resolve(tokenizerPath, outputDirectory: context.outputDirectory)
        let tok = try Tokenizer.load(path: resolved)
        guard tok.eosID != nil else {
            throw SluiceError(
                .config, "tokenize: the tokenizer has no end-of-text special token (<|endoftext|>, </s>, <eos>)",
                file: tokenizerPath)
        }
        if dtype == "uint16" && tok.vocabSize > 65_536 {
            throw SluiceError(.config, "tokenize.dtype: uint16 cannot hold \(tok.vocabSize) ids", file: tokenizerPath)
        }
        // The shard folder carries the tokenizer its fingerprint names, wherever it was read from,
        // so that training finds it and copies it into checkpoints (committed with the task's shards).
        let carried = context.outputDirectory + "/tokenizer.json"
        if !FileManager.default.contentsEqual(atPath: resolved, andPath: carried) {
            let copy = context.outputPath("tokenizer.json")
            guard let bytes = FileManager.default.contents(atPath: resolved),
                FileManager.default.createFile(atPath: copy, contents: bytes)
            else {
                throw SluiceError(.io, "tokenize: cannot copy the tokenizer into the shard folder", file: copy)
            }
        }
        tokenizer = tok
        encoder = Tokenizer.Encoder(tok, recognizeAddedTokens: false)
        try FileManager.default.createDirectory(
            atPath: context.temporaryDirectory + "/train", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            atPath: context.temporaryDirectory + "/validation", withIntermediateDirectories: true)
    }

    /// Validation when the document id's hash falls below the fraction (stable across runs and task layouts).
    func split(of document: Document) -> ShardSplit {
        guard validationFraction > 0 else { return .train }
        var key = document.id.isEmpty ? document.text : document.id
        let h = key.withUTF8 { xxHash64(UnsafeRawBufferPointer($0), seed: 0x5EED_70C3) }
        return Double(h >> 11) / Double(1 << 53) < validationFraction ? .validation : .train
    }

    public mutating func write(_ document: Document, context: TaskContext) throws {
        guard let tok = tokenizer else { preconditionFailure("tokenize.write before prepare") }
        ids.removeAll(keepingCapacity: true)
        encoder!.encode(document.text, into: &ids)
        let s = split(of: document)
        if writers[s] == nil {
            let n = shardNumbers[s, default: 0]
            shardNumbers[s] = n + 1
            let name = "\(s.rawValue)/\(context.taskStem)_\(zeroPadded(n, width: 5)).shard"
            writers[s] = try ShardWriter(
                path: context.outputPath(name), dtype: dtype == "auto" ? nil : (dtype == "uint16" ? .uint16 : .uint32),
                vocabSize: tok.vocabSize, eosID: tok.eosID!, tokenizerFingerprint: tok.fingerprint,
                frameTokens: frameTokens,
                compressionLevel: compressionLevel)
        }
        try writers[s]!.appendDocument(ids)
        perSource[document.source, default: (0, 0)].tokens += ids.count
        perSource[document.source, default: (0, 0)].bytes += document.text.utf8.count
        context.count("tokens_\(s.rawValue)", by: ids.count + 1)
        context.count("documents_\(s.rawValue)")
        if writers[s]!.tokenCount >= shardTokens {
            try writers[s]!.finish()
            writers[s] = nil
        }
    }

    public mutating func finish(context: TaskContext) throws {
        for (_, w) in writers { try w.finish() }
        writers = [:]
        for (source, n) in perSource.sorted(by: { $0.key < $1.key }) {
            context.count("source_tokens:\(source)", by: n.tokens)
            context.count("source_bytes:\(source)", by: n.bytes)
        }
        perSource = [:]
    }
}
