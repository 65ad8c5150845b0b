// The `train_tokenizer` corpus stage: pass 1 counts words per document file (one task each,
// in parallel), pass 2 merges the counts and trains, writing tokenizer.json into the output
// folder. Documents pass through unchanged, so a `tokenize` stage can follow in the same pipeline.
import Foundation
import SluiceCore

/// Trains a tokenizer on the documents reaching this point of a pipeline.
public struct TrainTokenizerStage: CorpusStage {
    public static let name = "train_tokenizer"
    public static let summary =
        "Trains a byte-level BPE or Unigram tokenizer on the corpus; writes tokenizer.json to the output folder."

    public var settings: TokenizerTrainingSettings
    public var output: String

    public init(options: inout StageOptions) throws {
        settings = try TokenizerTrainingSettings(options: &options)
        output = try options.string(
            "output", default: "tokenizer.json", "file name of the tokenizer, relative to the output folder")
    }

    public init(settings: TokenizerTrainingSettings, output: String = "tokenizer.json") {
        self.settings = settings
        self.output = output
    }

    public func passes() -> [any CorpusPass] {
        [WordCountPass(settings: settings), TrainPass(settings: settings, output: output)]
    }

    public func makeStep(environment: PassEnvironment) throws -> (any Step)? { nil }

    /// Pass 1: word counts of one document file → `counts-TTTTT.bin` in the work folder.
    public struct WordCountPass: CorpusPass {
        public let settings: TokenizerTrainingSettings
        public var name: String { "word_counts" }
        public func taskCount(environment: PassEnvironment) -> Int { environment.documentFiles.count }

        public func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
            let file = environment.documentFiles[task]
            let counts: WordCounts
            if FileManager.default.fileExists(atPath: file) {
                counts = try TrainingCorpus.countWords(paths: [file], splitter: settings.splitter, workers: 1)
            } else {
                counts = WordCounts()  // a task that produced no documents leaves no file
            }
            context.count("distinct_words", by: counts.distinct)
            context.count("words", by: Int(clamping: counts.total))
            let final = environment.workDirectory + "/" + Self.fileName(task)
            let tmp = final + ".tmp"
            try counts.write(to: tmp)
            try FileManager.default.moveItem(atPath: tmp, toPath: final)
        }

        static func fileName(_ task: Int) -> String { "counts-\(zeroPadded(task, width: 5)).bin" }
    }

    /// Pass 2 (one task): merges all counts, trains, writes the tokenizer.
    public struct TrainPass: CorpusPass {
        public let settings: TokenizerTrainingSettings
        public let output: String
        public var name: String { "train" }
        public func taskCount(environment: PassEnvironment) -> Int { 1 }

        public func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
            var counts = WordCounts()
            for t in 0..<environment.documentFiles.count {
                try counts.read(from: environment.workDirectory + "/" + WordCountPass.fileName(t))
            }
            context.count("distinct_words", by: counts.distinct)
            context.count("word_count_bytes", by: counts.memoryBytes)
            let tok = try settings.train(counts)
            context.count("vocab_size", by: tok.vocabSize)
            try tok.save(path: context.outputPath(output))
            context.logger.info(
                "trained \(settings.model) tokenizer: \(tok.vocabSize) tokens, fingerprint \(zeroPaddedHex(tok.fingerprint))"
            )
        }
    }
}

/// Options shared by `train_tokenizer` and `sluice tokenizer train`.
public struct TokenizerTrainingSettings: Sendable {
    public var model: String = "bpe"
    public var vocabSize: Int = 32_768
    public var specialTokens: [String] = []
    public var minFrequency: Int = 0
    public var maxTokenLength: Int? = nil
    public var pattern: SplitPattern = .gpt2
    public var byteFallback: Bool = true
    public var nfkc: Bool = true

    public init(
        model: String = "bpe", vocabSize: Int = 32_768, specialTokens: [String] = [], pattern: SplitPattern = .gpt2
    ) {
        self.model = model
        self.vocabSize = vocabSize
        self.specialTokens = specialTokens
        self.pattern = pattern
    }

    public init(options: inout StageOptions) throws {
        model = try options.choice(
            "model", default: "bpe", ["bpe", "unigram"], "byte-level BPE or sentencepiece Unigram")
        vocabSize = try options.int(
            "vocab_size", default: 32_768, range: 260...(1 << 24), "vocabulary size, special tokens included")
        specialTokens = try options.stringList(
            "special_tokens", default: [],
            "special tokens at ids 0…; default [<|endoftext|>] for BPE, [<unk>, <s>, </s>] for Unigram")
        minFrequency = try options.int(
            "min_frequency", default: 0, range: 0...Int.max, "BPE: stop merging below this pair count")
        maxTokenLength = try options.optionalInt(
            "max_token_length", range: 1...1024, "BPE: no token longer than this many bytes")
        let p = try options.choice("pattern", default: "gpt2", ["gpt2", "cl100k"], "BPE split pattern")
        pattern = SplitPattern(rawValue: p)!
        byteFallback = try options.bool(
            "byte_fallback", default: true, "Unigram: <0xNN> pieces for characters outside the vocabulary")
        nfkc = try options.bool("nfkc", default: true, "Unigram: NFKC-normalize text first")
    }

    /// The special tokens to use (the model's defaults when none were given).
    public var effectiveSpecialTokens: [String] {
        specialTokens.isEmpty ? (model == "bpe" ? ["<|endoftext|>"] : ["<unk>", "<s>", "</s>"]) : specialTokens
    }

    /// How words are counted for this model.
    public var splitter: TrainingCorpus.Splitter {
        model == "bpe" ? .pattern(pattern) : .metaspace(nfkc: nfkc)
    }

    /// Trains on counted words.
    public func train(_ counts: WordCounts, workers: Int = ProcessInfo.processInfo.activeProcessorCount) throws
        -> Tokenizer
    {
        if model == "bpe" {
            var t = BPETrainer(
                vocabSize: vocabSize, minFrequency: UInt64(minFrequency), specialTokens: effectiveSpecialTokens,
                pattern: pattern)
            t.maxTokenLength = maxTokenLength
            return try t.train(counts)
        }
        var t = UnigramTrainer(vocabSize: vocabSize, specialTokens: effectiveSpecialTokens)
        t.byteFallback = byteFallback
        t.nfkc = nfkc
        t.workers = workers
        return try t.train(counts)
    }

    /// Counts `paths` and trains.
    public func train(paths: [String], workers: Int) throws -> (Tokenizer, WordCounts) {
        let counts = try TrainingCorpus.countWords(paths: paths, splitter: splitter, workers: workers)
        return (try train(counts, workers: workers), counts)
    }
}
