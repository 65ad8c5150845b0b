// `sluice dev …`: measuring modes that only the benchmarks call (Benchmarks/*/bench.py). A
// developer command, not part of the user interface: flags and output follow the benchmarks.
// Thin like the rest: parse, call the libraries, print one JSON summary.
import ArgumentParser
import Foundation
import SluiceCore
import SluiceIngest
import SluiceTokenize
import SluiceTrain

/// `sluice dev`: groups the benchmark-only commands.
struct DevCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Developer measurements the benchmarks call (not a stable interface).",
        subcommands: [
            TrainSpeed.self, EncodeSpeed.self, ShardsSample.self, WARCCount.self, DecodeSpeedCommand.self,
            ExtractThreads.self,
        ]
    )
}

/// `sluice dev train-speed`: training steps on random tokens, timed.
struct TrainSpeed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-speed", abstract: "Time training steps on random tokens (JSON summary).")

    @Option var layers = 4
    @Option var width = 256
    @Option var heads = 4
    @Option var context = 256
    @Option var batchSize = 8
    @Option var vocab = 8192
    @Option var steps = 10
    @Option var warmupSteps = 2
    @Option var threads = 2
    @Flag var recompute = false
    @Option(help: "causal, or mlm (bidirectional attention, BERT's masking; [MASK] is the last id).") var objective =
        "causal"

    func run() throws {
        try reportingErrors {
            var config = GPTConfig(vocabSize: vocab, contextLength: context, layers: layers, heads: heads, width: width)
            guard let o = GPTConfig.Objective(rawValue: objective) else {
                throw ValidationError("--objective is causal or mlm")
            }
            config.objective = o
            if o == .mlm { config.maskTokenID = vocab - 1 }
            let r = try TrainingSpeed.measure(
                config: config,
                batchSize: batchSize, steps: steps, warmupSteps: warmupSteps, threads: threads, recompute: recompute)
            print(r.json)
        }
    }
}

/// `sluice dev encode-speed`: encodes every line of a file and prints counts and the encode time
/// (was `sluice tokenizer encode --summary`).
struct EncodeSpeed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode-speed",
        abstract: "Encode each input line; print lines, bytes, tokens, encode seconds and a checksum as JSON.")
    @Option(help: "tokenizer.json") var tokenizer: String
    @Flag(help: "Apply the post-processor template (BOS/EOS).") var addSpecialTokens = false
    @Option(help: "Threads (encodeBatch when more than one).") var workers: Int = 1
    @Argument(help: "Input file, or - for standard input.") var input: String = "-"

    func run() throws {
        try reportingErrors {
            let tok = try Tokenizer.load(path: tokenizer)
            var lines: [String] = []
            try forEachInputLine(input) { lines.append($0) }
            let start = Date()
            let ids =
                workers > 1
                ? tok.encodeBatch(lines, workers: workers)
                : { () -> [[UInt32]] in
                    var e = Tokenizer.Encoder(tok)
                    return lines.map { l in
                        var out: [UInt32] = []
                        e.encode(l, into: &out, addSpecialTokens: addSpecialTokens)
                        return out
                    }
                }()
            let seconds = Date().timeIntervalSince(start)
            let bytes = lines.reduce(0) { $0 + $1.utf8.count }
            let tokens = ids.reduce(0) { $0 + $1.count }
            let checksum = ids.reduce(UInt64(0)) { acc, l in l.reduce(acc) { $0 &* 31 &+ UInt64($1) } }
            // Written by hand: the checksum is a full UInt64, which JSONValue's Int64 cannot hold.
            print(
                "{\"lines\": \(lines.count), \"bytes\": \(bytes), \"tokens\": \(tokens), \"seconds\": \(seconds), "
                    + "\"checksum\": \(checksum)}")
        }
    }
}

/// `sluice dev shards-sample`: random token windows read from shards (was `sluice shards sample`).
struct ShardsSample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shards-sample", abstract: "Read random token windows (a spot check; prints a JSON summary).")
    @Option(help: "Number of windows.") var windows: Int = 10_000
    @Option(help: "Tokens per window.") var length: Int = 1_025
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "train or validation.") var split: String = "train"
    @Option(help: "MiB of decoded frames kept for reuse (0: none).") var cacheMb: Int = 64
    @Argument(help: "Shard directory.") var directory: String

    func run() throws {
        try reportingErrors {
            guard let sp = ShardSplit(rawValue: split) else {
                throw SluiceError(.usage, "--split must be train or validation")
            }
            let data = try ShardDataset(directory: directory, split: sp, cacheBytes: cacheMb << 20)
            let s = try ShardTools.sample(data, windows: windows, length: length, seed: seed)
            // Written by hand: id_sum is a full UInt64, which JSONValue's Int64 cannot hold.
            print(
                "{\"windows\": \(s.windows), \"tokens\": \(s.tokens), \"seconds\": \(s.seconds), \"id_sum\": \(s.idSum)}"
            )
        }
    }
}

/// `sluice dev warc-count`: every record read through the warc reader, totals printed (was
/// `sluice inspect warc --count`).
struct WARCCount: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warc-count",
        abstract: "Read every record through the warc reader (HTTP parsed, payload decoded); print totals as JSON.")
    @Argument(help: "WARC files (.warc, .warc.gz, .warc.zst).") var files: [String]

    func run() throws {
        try reportingErrors { print(try WARCInspector.count(paths: files)) }
    }
}

/// `sluice dev extract-threads`: one HTML file extracted on N threads that start at the same moment,
/// the first libxml2 use of the process (Tests/SluiceCLITests/LibXML2ThreadsTests.swift; libxml2's
/// global set-up must not race, Sources/SluiceIngest/LibXML2.swift).
struct ExtractThreads: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract-threads",
        abstract: "Extract one HTML file on N threads started together; print each thread's character count as JSON.")
    @Option var threads = 4
    @Argument var file: String

    /// The threads' meeting point and their results.
    final class Start: @unchecked Sendable {
        let gate = NSCondition()
        var arrived = 0
        var counts: [Int]
        init(_ n: Int) { counts = Array(repeating: -1, count: n) }
    }

    func run() throws {
        try reportingErrors {
            let bytes = try openByteSource(file).readAll()
            let n = max(1, threads), start = Start(n), group = DispatchGroup()
            for t in 0..<n {
                group.enter()
                Thread.detachNewThread {
                    let extractor = HTMLExtractor()  // made first, so the threads reach libxml2 together
                    start.gate.lock()
                    start.arrived += 1
                    start.gate.broadcast()
                    while start.arrived < n { start.gate.wait() }
                    start.gate.unlock()
                    let page = bytes.withUnsafeBytes { extractor.extract(utf8: $0) }
                    start.gate.lock()
                    start.counts[t] = page?.text.utf8.count ?? 0
                    start.gate.unlock()
                    group.leave()
                }
            }
            group.wait()
            print("{\"characters\": [\(start.counts.map(String.init).joined(separator: ", "))]}")
        }
    }
}
