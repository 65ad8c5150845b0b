// `sluice tokenizer train|encode|decode|info` and `sluice shards inspect|verify|export`: thin
// commands that parse flags and call SluiceTokenize. Errors print as one line (ErrorReporting.swift).
import ArgumentParser
import Foundation
import SluiceCore
import SluiceTokenize

/// Each line of `path` (standard input for `-`) through SluiceCore's `LineReader`: `\n` ends a
/// line and a `\r` before it is dropped; `.gz`, `.zst` and `.bz2` files are decompressed.
func forEachInputLine(_ path: String, _ body: (String) throws -> Void) throws {
    let lines = try LineReader(path: path == "-" ? "/dev/stdin" : path)
    while let line = try lines.next() { try body(String(decoding: line, as: UTF8.self)) }
}

/// Buffered standard output.
private struct Output {
    var buffer: [UInt8] = []
    mutating func line(_ s: String) {
        buffer += s.utf8
        buffer.append(0x0A)
        if buffer.count > 1 << 20 { flush() }
    }
    mutating func flush() {
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer", abstract: "Train, run and describe tokenizers (HF tokenizer.json).",
        subcommands: [Train.self, Encode.self, Decode.self, Info.self])

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a byte-level BPE or Unigram tokenizer on text or JSONL files.")
        @Option(help: "bpe or unigram.") var model: String = "bpe"
        @Option(help: "Vocabulary size, special tokens included.") var vocabSize: Int
        @Option(parsing: .upToNextOption, help: "Special tokens, ids 0… (the first is the end-of-text token).")
        var specialTokens: [String] = []
        @Option(help: "BPE: stop merging below this pair count.") var minFrequency: UInt64 = 0
        @Option(help: "BPE: no token longer than this many bytes.") var maxTokenLength: Int?
        @Option(help: "BPE split pattern: gpt2 or cl100k.") var pattern: String = "gpt2"
        @Flag(help: "Unigram: no <0xNN> byte pieces.") var noByteFallback = false
        @Flag(help: "Unigram: do not NFKC-normalize.") var noNfkc = false
        @Option(help: "Threads for counting.") var workers: Int = ProcessInfo.processInfo.activeProcessorCount
        @Option(help: "Where to write tokenizer.json.") var output: String
        @Argument(help: "Text files (a sequence per line) or JSONL files (the text field).") var inputs: [String]

        func validate() throws {
            guard ["bpe", "unigram"].contains(model) else { throw ValidationError("--model must be bpe or unigram") }
            guard SplitPattern(rawValue: pattern) != nil else {
                throw ValidationError("--pattern must be gpt2 or cl100k")
            }
            guard vocabSize > 0 else { throw ValidationError("--vocab-size must be positive") }
            guard !inputs.isEmpty else { throw ValidationError("give at least one input file") }
        }

        func run() throws {
            try reportingErrors {
                let start = Date()
                var settings = TokenizerTrainingSettings(
                    model: model, vocabSize: vocabSize, specialTokens: specialTokens,
                    pattern: SplitPattern(rawValue: pattern)!)
                settings.minFrequency = Int(minFrequency)
                settings.maxTokenLength = maxTokenLength
                settings.byteFallback = !noByteFallback
                settings.nfkc = !noNfkc
                let (tok, counts) = try settings.train(paths: inputs, workers: workers)
                stderrLine(
                    "counted \(counts.distinct) distinct words (\(counts.total) total, \(counts.memoryBytes / 1_048_576) MiB)"
                )
                try tok.save(path: output)
                stderrLine(
                    String(
                        format: "wrote %@: %d tokens, fingerprint %@, %.2f s", output, tok.vocabSize,
                        zeroPaddedHex(tok.fingerprint),
                        Date().timeIntervalSince(start)))
            }
        }
    }

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Encode each input line to a JSON array of ids.")
        @Option(help: "tokenizer.json") var tokenizer: String
        @Flag(help: "Apply the post-processor template (BOS/EOS).") var addSpecialTokens = false
        @Argument(help: "Input file, or - for standard input.") var input: String = "-"

        func run() throws {
            try reportingErrors {
                let tok = try Tokenizer.load(path: tokenizer)
                var enc = Tokenizer.Encoder(tok)
                var out = Output()
                var ids: [UInt32] = []
                try forEachInputLine(input) { line in
                    ids.removeAll(keepingCapacity: true)
                    enc.encode(line, into: &ids, addSpecialTokens: addSpecialTokens)
                    out.line("[" + ids.map(String.init).joined(separator: ",") + "]")
                }
                out.flush()
            }
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decode each line's JSON array of ids to text.")
        @Option(help: "tokenizer.json") var tokenizer: String
        @Flag(help: "Leave special tokens out.") var skipSpecialTokens = false
        @Argument(help: "Input file, or - for standard input.") var input: String = "-"

        func run() throws {
            try reportingErrors {
                let tok = try Tokenizer.load(path: tokenizer)
                var out = Output()
                var lineNumber = 0
                try forEachInputLine(input) { line in
                    lineNumber += 1
                    guard let arr = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [NSNumber] else {
                        throw SluiceError(.corruptInput, "not a JSON array of ids", file: input, line: lineNumber)
                    }
                    var ids: [UInt32] = []
                    for n in arr {
                        let v = n.intValue
                        guard v >= 0 && v < tok.vocabSize else {
                            throw SluiceError(
                                .corruptInput, "id \(v) is outside the vocabulary (size \(tok.vocabSize))", file: input,
                                line: lineNumber)
                        }
                        ids.append(UInt32(v))
                    }
                    out.line(tok.decode(ids, skipSpecialTokens: skipSpecialTokens))
                }
                out.flush()
            }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe a tokenizer.json.")
        @Argument(help: "tokenizer.json") var tokenizer: String

        func run() throws {
            try reportingErrors {
                let tok = try Tokenizer.load(path: tokenizer)
                print("model: \(tok.kind.rawValue)")
                print("vocab size: \(tok.vocabSize)")
                if tok.kind == .bpe { print("merges: \(tok.merges.count)") }
                print("pre-tokenizer: \(tok.preTokenizer)")
                print("normalizer: \(tok.normalizer)")
                print(
                    "special tokens: "
                        + tok.specialTokens.sorted { $0.value < $1.value }.map { "\($0.key)=\($0.value)" }.joined(
                            separator: " "))
                print("end-of-text id: \(tok.eosID.map(String.init) ?? "none")")
                print("fingerprint: \(zeroPaddedHex(tok.fingerprint))")
            }
        }
    }
}

struct ShardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shards", abstract: "Inspect, verify and export packed token shards.",
        subcommands: [Write.self, Inspect.self, Verify.self, Export.self])

    struct Write: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encode text files (a document per line) or JSONL files into shards, without a pipeline.")
        @Option(help: "tokenizer.json") var tokenizer: String
        @Option(help: "Output shard directory.") var output: String
        @Option(help: "Tokens per shard file.") var shardTokens: Int = 100_000_000
        @Option(help: "Tokens per zstd frame.") var frameTokens: Int = ShardWriter.defaultFrameTokens
        @Option(help: "Share of documents (by id hash) for validation/.") var validationFraction: Double = 0.005
        @Option(help: "Threads (one input file per task).") var workers: Int = ProcessInfo.processInfo
            .activeProcessorCount
        @Argument(help: "Input files.") var inputs: [String]

        func run() throws {
            try reportingErrors {
                let writer = TokenizeWriter(
                    tokenizerPath: tokenizer, shardTokens: shardTokens, frameTokens: frameTokens,
                    validationFraction: validationFraction)
                let s = try ShardTools.write(
                    inputs: inputs, tokenizerPath: tokenizer, output: output, writer: writer, workers: workers)
                print(
                    JSONSerializer.spacedString([
                        "documents": .int(Int64(s.documents)), "tokens": .int(Int64(s.tokens)),
                        "text_bytes": .int(Int64(s.textBytes)), "seconds": .double(s.seconds),
                    ]))
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Counts, compression ratio, fingerprint and a decoded sample.")
        @Option(help: "tokenizer.json for the sample (default: DIR/tokenizer.json when present).") var tokenizer:
            String?
        @Argument(help: "Shard directory (with train/ and validation/).") var directory: String

        func run() throws {
            try reportingErrors {
                let tokPath =
                    tokenizer
                    ?? (FileManager.default.fileExists(atPath: directory + "/tokenizer.json")
                        ? directory + "/tokenizer.json" : nil)
                let tok = try tokPath.map { try Tokenizer.load(path: $0) }
                var any = false
                for split in ShardSplit.allCases {
                    guard FileManager.default.fileExists(atPath: directory + "/" + split.rawValue) else { continue }
                    let data = try ShardDataset(directory: directory, split: split, tokenizer: tok)
                    any = true
                    let bytes = data.shards.reduce(0) { $0 + $1.fileSize }
                    let raw = data.tokenCount * data.dtype.width
                    print(
                        "\(split.rawValue): \(data.files.count) shards, \(data.documentCount) documents, \(data.tokenCount) tokens"
                    )
                    print(
                        String(
                            format: "  %@ ids, %d bytes on disk, compression ratio %.2f", data.dtype.description, bytes,
                            Double(raw) / Double(max(bytes, 1))))
                    print(
                        "  vocab size \(data.vocabSize), end-of-text id \(data.eosID), tokenizer fingerprint \(zeroPaddedHex(data.tokenizerFingerprint))"
                    )
                    if let tok, data.documentCount > 0 {
                        let r = data.shards[0].documentRange(0)
                        let ids = try data.shards[0].read(r.lowerBound..<min(r.upperBound, r.lowerBound + 64))
                        print("  sample: \(tok.decode(ids).debugDescription)")
                    }
                }
                if !any { throw SluiceError(.io, "no train/ or validation/ split", file: directory) }
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check every frame's checksum and the indexes.")
        @Option(help: "tokenizer.json whose fingerprint the shards must carry.") var tokenizer: String?
        @Argument(help: "Shard directory.") var directory: String

        func run() throws {
            try reportingErrors {
                let tok = try tokenizer.map { try Tokenizer.load(path: $0) }
                var shards = 0
                for split in ShardSplit.allCases
                where FileManager.default.fileExists(atPath: directory + "/" + split.rawValue) {
                    let data = try ShardDataset(directory: directory, split: split, tokenizer: tok)
                    for s in data.shards { try s.verify() }
                    shards += data.shards.count
                }
                if shards == 0 { throw SluiceError(.io, "no shards found", file: directory) }
                print("ok: \(shards) shards verified")
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a split to Megatron .bin/.idx or nanoGPT/llm.c .bin.")
        @Option(help: "megatron or nanogpt.") var format: String
        @Option(help: "train or validation.") var split: String = "train"
        @Argument(help: "Shard directory.") var directory: String
        @Argument(help: "Output path prefix (.bin/.idx are added).") var output: String

        func validate() throws {
            guard ShardExport.Format(rawValue: format) != nil else {
                throw ValidationError("--format must be megatron or nanogpt")
            }
            guard ShardSplit(rawValue: split) != nil else {
                throw ValidationError("--split must be train or validation")
            }
        }

        func run() throws {
            try reportingErrors {
                let data = try ShardDataset(directory: directory, split: ShardSplit(rawValue: split)!)
                let r = try ShardExport.export(data, format: ShardExport.Format(rawValue: format)!, to: output)
                print("wrote \(r.files.joined(separator: ", ")): \(r.documents) documents, \(r.tokens) tokens")
            }
        }
    }
}
