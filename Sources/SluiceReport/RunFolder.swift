// A run folder as `sluice report` and `sluice show` see it: merged stats, the run record, which
// passes are unfinished, the kept-drop sample files, the outputs, dedup summaries, and the
// tokenizer, shards and training metrics when present. It lists files; it reads no documents.
import Foundation
import SluiceCore

/// What a run folder holds, found by listing it (documents are read by `DocumentSample`).
public struct RunFolder: Sendable {
    /// The folder as given.
    public let root: String
    /// Merged per-pass, per-stage stats (empty when no task finished).
    public var stats = StatsReport(passes: [])
    /// The configuration record (`_stats/run.json`), when the run wrote one.
    public var record: RunRecord?
    /// One line per pass that is not complete (`segment-0: 1 of 2 tasks finished`).
    public var unfinished: [String] = []
    /// Kept-drop sample files, relative to `root`, sorted.
    public var droppedFiles: [String] = []
    /// The run's JSONL outputs directly in `root`, relative, sorted.
    public var outputFiles: [String] = []
    /// `minhash_dedup` summaries: (work folder relative to root, summary).
    public var dedup: [(directory: String, summary: MinHashDigest)] = []
    /// `tokenizer.json` in the folder: its vocabulary size.
    public var tokenizerVocabulary: Int?
    /// Its model type (`BPE`, `Unigram`) and special tokens, when it has them.
    public var tokenizerModel: String?
    public var specialTokens: [String] = []
    /// Token shards per split folder (`train`, `validation`): (split, files, bytes).
    public var shards: [(split: String, files: Int, bytes: Int)] = []
    /// Training metrics (`metrics.jsonl`), one object per line, in order.
    public var metrics: [[String: Double]] = []
    /// Evaluation results: `eval*.json` files in the folder (what `sluice eval` prints), by file
    /// name, each field as text, in file order.
    public var evaluations: [(name: String, fields: [(key: String, value: String)])] = []

    /// Lists `root`.
    /// - Throws: `SluiceError(.usage)` when it is missing or is not a run folder (no `_stats`,
    ///   `_markers` or `metrics.jsonl`), `.corruptInput` when a stats file does not parse.
    public static func open(_ root: String) throws -> RunFolder {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isFolder) else {
            throw SluiceError(.usage, "no such folder", file: root)
        }
        guard isFolder.boolValue else {
            throw SluiceError(.usage, "not a folder: give the output folder of a run", file: root)
        }
        let layout = OutputLayout(root: root)
        let hasStats = fm.fileExists(atPath: layout.statsDirectory)
        let hasMarkers = fm.fileExists(atPath: root + "/_markers")
        let hasMetrics = fm.fileExists(atPath: root + "/metrics.jsonl")
        guard hasStats || hasMarkers || hasMetrics else {
            throw SluiceError(
                .usage,
                "not a run folder: it has no _stats or _markers (written by `sluice run`) and no metrics.jsonl (written by `sluice train`)",
                file: root)
        }
        var run = RunFolder(root: root)
        if hasStats { run.stats = try StatsReport.load(outputDirectory: root) }
        run.record = RunRecord.load(root: root)
        run.findUnfinished()
        run.listFiles()
        run.readExtras()
        return run
    }

    init(root: String) { self.root = root }

    /// Passes with fewer finished tasks than they have, from the stats and the run record.
    mutating func findUnfinished() {
        var seen = Set<String>()
        for p in stats.passes {
            seen.insert(p.pass)
            if p.tasksReported < p.taskCount {
                unfinished.append("\(p.pass): \(p.tasksReported) of \(p.taskCount) tasks finished")
            }
        }
        for entry in record?.passes ?? [] {
            let parts = entry.split(separator: " ")
            guard parts.count == 2, let count = Int(parts[1]), count > 0, !seen.contains(String(parts[0])) else {
                continue
            }
            unfinished.append("\(parts[0]): 0 of \(count) tasks finished")
        }
        if unfinished.isEmpty && FileManager.default.fileExists(atPath: OutputLayout(root: root).temporaryRoot) {
            unfinished.append("_tmp holds the work of tasks that have not finished")
        }
    }

    /// Sample files anywhere outside `_` folders; outputs directly in the folder.
    mutating func listFiles() {
        let fm = FileManager.default
        for name in ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted() {
            let path = root + "/" + name
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isFolder) else { continue }
            if isFolder.boolValue {
                if name.hasPrefix("_") { continue }
                if name == "train" || name == "validation" || name == "test" {
                    let shardFiles = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).filter {
                        $0.hasSuffix(".shard")
                    }
                    if !shardFiles.isEmpty {
                        let bytes = shardFiles.reduce(0) { $0 + Self.fileSize(path + "/" + $1) }
                        shards.append((name, shardFiles.count, bytes))
                    }
                }
                guard let e = fm.enumerator(atPath: path) else { continue }
                while let rel = e.nextObject() as? String {
                    if rel.hasSuffix(DropAudit.fileSuffix) { droppedFiles.append(name + "/" + rel) }
                }
            } else if name.contains(".jsonl") && !name.hasSuffix(DropAudit.fileSuffix) {
                outputFiles.append(name)
            }
        }
        droppedFiles.sort()
    }

    /// Dedup summaries, the tokenizer, training metrics.
    mutating func readExtras() {
        let fm = FileManager.default
        let work = root + "/_work"
        for name in ((try? fm.contentsOfDirectory(atPath: work)) ?? []).sorted() {
            let path = "\(work)/\(name)/clusters/minhash-summary.json"
            if let data = fm.contents(atPath: path), let s = try? JSONDecoder().decode(MinHashDigest.self, from: data) {
                dedup.append(("_work/\(name)", s))
            }
        }
        if let data = fm.contents(atPath: root + "/tokenizer.json"),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let model = object["model"] as? [String: Any]
        {
            let added = (object["added_tokens"] as? [[String: Any]]) ?? []
            if let vocab = model["vocab"] as? [String: Any] {
                // Added tokens outside the model's vocabulary count too (HF's `get_vocab_size`).
                tokenizerVocabulary =
                    vocab.count + added.filter { ($0["content"] as? String).map { vocab[$0] == nil } ?? false }.count
            } else if let vocab = model["vocab"] as? [Any] {
                tokenizerVocabulary = vocab.count
            }
            tokenizerModel = model["type"] as? String
            specialTokens = added.filter { $0["special"] as? Bool ?? false }.compactMap { $0["content"] as? String }
        }
        if let data = fm.contents(atPath: root + "/metrics.jsonl") {
            for line in data.split(separator: 0x0A) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                    continue
                }
                var row: [String: Double] = [:]
                for (k, v) in object {
                    if let d = v as? Double { row[k] = d } else if let i = v as? Int { row[k] = Double(i) }
                }
                if !row.isEmpty { metrics.append(row) }
            }
        }
        let names = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).filter {
            $0.hasPrefix("eval") && $0.hasSuffix(".json")
        }
        for name in names.sorted() {
            // One JSON object (or several, one per line: the last of each key wins).
            guard let data = fm.contents(atPath: root + "/" + name) else { continue }
            var fields: [(key: String, value: String)] = []
            var parser = JSONParser()
            for line in data.split(separator: 0x0A) {
                guard case .object(let object)? = try? parser.parse(String(decoding: line, as: UTF8.self)) else {
                    continue
                }
                for (key, value) in object {
                    let text: String
                    switch value {
                    case .bool(let b): text = b ? "true" : "false"
                    case .int(let i): text = StatsReport.grouped(Int(i))
                    case .double(let d): text = String(format: "%.4f", d)
                    case .string(let v): text = v
                    default: continue
                    }
                    fields.removeAll { $0.key == key }
                    fields.append((key, text))
                }
            }
            if !fields.isEmpty { evaluations.append((String(name.dropLast(5)), fields)) }
        }
    }

    // MARK: - Tokens

    /// Counters of the `tokenize` stages of every pass, summed.
    public var tokenizeCounters: [String: Int] {
        var c: [String: Int] = [:]
        for p in stats.passes {
            for s in p.stages where s.name == "tokenize" { c.merge(s.counters, uniquingKeysWith: +) }
        }
        return c
    }

    /// Tokens and text bytes per document source (from the tokenize stage's `source_tokens:` and
    /// `source_bytes:` counters), sorted by source.
    public var tokensPerSource: [(source: String, tokens: Int, bytes: Int)] {
        let c = tokenizeCounters
        return c.keys.filter { $0.hasPrefix("source_tokens:") }.sorted().map { key in
            let source = String(key.dropFirst("source_tokens:".count))
            return (source, c[key] ?? 0, c["source_bytes:" + source] ?? 0)
        }
    }

    /// Text bytes per token over everything tokenized (the end-of-text tokens not counted), or nil
    /// when the folder tokenized nothing.
    public var bytesPerToken: Double? {
        let perSource = tokensPerSource
        let tokens = perSource.reduce(0) { $0 + $1.tokens }
        if tokens > 0 { return Double(perSource.reduce(0) { $0 + $1.bytes }) / Double(tokens) }
        // Runs from before the per-source counters: the stage's bytes in over its tokens.
        var bytes = 0
        var counted = 0
        for p in stats.passes {
            for s in p.stages where s.name == "tokenize" {
                bytes += s.bytesIn
                counted += (s.counters["tokens_train"] ?? 0) + (s.counters["tokens_validation"] ?? 0) - s.documentsIn
            }
        }
        return counted > 0 ? Double(bytes) / Double(counted) : nil
    }

    /// Whether the folder holds anything of the tokenizer, shards, training or evaluation.
    public var hasModelFiles: Bool {
        tokenizerVocabulary != nil || !shards.isEmpty || !metrics.isEmpty || !evaluations.isEmpty
            || !tokenizeCounters.isEmpty
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}

/// The parts of a `minhash_dedup` summary (SluiceDedup's `MinHashSummary`) the report shows.
public struct MinHashDigest: Codable, Sendable, Equatable {
    public struct Example: Codable, Sendable, Equatable {
        public var kept: String
        public var duplicate: String
        public var jaccard: Double
        public var keptText: String
        public var duplicateText: String
    }
    public var bands: Int
    public var rows: Int
    public var ngram: Int
    public var threshold: Double?
    public var documents: Int
    public var clusters: Int
    public var duplicates: Int
    /// Cluster size → clusters.
    public var sizeHistogram: [String: Int]
    public var examples: [Example]
}
