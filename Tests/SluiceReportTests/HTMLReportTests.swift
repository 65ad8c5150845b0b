// `sluice report` and `sluice show` on run folders built here (stats files, kept-drop samples and
// outputs written through SluiceCore, as a run writes them): sections, examples with what fired,
// offline-only markup, incomplete runs, folders that are not runs, two runs with different stages,
// damaged sample files. Rendering in a real browser is in SluiceCLITests/ReportBrowserTests.swift.
import Foundation
import SluiceCore
import SluiceReport
import SluiceTestSupport
import Testing

/// A run folder: stats of `stages` for `done` of `tasks` tasks, kept drops, and outputs.
func makeRunFolder(
    _ root: String, stages: [StageStats], tasks: Int = 1, done: Int = 1, dropped: [Document] = [],
    outputs: [Document] = []
) throws {
    for t in 0..<done {
        let file = TaskStatsFile(pass: "segment-0", passIndex: 0, task: t, taskCount: tasks, seconds: 1, stages: stages)
        let path = OutputLayout(root: root).stats(pass: "segment-0", task: t)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try file.json().write(to: URL(fileURLWithPath: path))
    }
    if !dropped.isEmpty {
        try FileManager.default.createDirectory(atPath: root + "/dropped/segment-0", withIntermediateDirectories: true)
        let w = try JSONLWriter(path: root + "/dropped/segment-0/00000" + DropAudit.fileSuffix)
        for d in dropped { try w.write(d) }
        try w.close()
    }
    if !outputs.isEmpty {
        let w = try JSONLWriter(path: root + "/00000.jsonl.zst")
        for d in outputs { try w.write(d) }
        try w.close()
    }
}

func stage(_ name: String, _ docsIn: Int, _ docsOut: Int, drops: [String: Int] = [:]) -> StageStats {
    var s = StageStats(name: name)
    s.documentsIn = docsIn
    s.documentsOut = docsOut
    s.bytesIn = docsIn * 100
    s.bytesOut = docsOut * 100
    s.drops = drops
    return s
}

/// A dropped document as the engine keeps it.
func droppedDocument(_ id: String, _ text: String, _ reason: String, fired: JSONObject? = nil) -> Document {
    var m = JSONObject()
    m["dropped_by"] = .string(reason)
    if let fired { m["dropped_fired"] = .object(fired) }
    return Document(id: id, text: text, source: "jsonl", metadata: m)
}

let spamText = String(repeating: "buy now ", count: 40) + "and read the rest of this page."

/// A finished run: 10 documents in, 2 short ones and 1 spam page dropped, 7 kept.
func standardRun(_ root: String) throws {
    var fired = JSONObject()
    fired["match"] = .array([.string("buy now")])
    fired["count"] = .int(40)
    var kept: [Document] = []
    for i in 0..<7 {
        var m = JSONObject()
        m["quality_score"] = .double(0.1 * Double(i))
        m["language"] = .string(i < 5 ? "en" : "de")
        kept.append(
            Document(
                id: "keep-\(i)", text: String(repeating: "a good sentence here. ", count: 5 + 10 * i), source: "jsonl",
                metadata: m))
    }
    try makeRunFolder(
        root,
        stages: [
            stage("jsonl", 0, 10), stage("length", 10, 8, drops: ["length:too_few_words": 2]),
            stage("gopher_repetition", 8, 7, drops: ["gopher_repetition:top_2_gram": 1]), stage("write", 7, 7),
        ],
        dropped: [
            droppedDocument("short-1", "tiny text", "length:too_few_words"),
            droppedDocument("short-2", "also tiny", "length:too_few_words"),
            droppedDocument("spam-1", spamText, "gopher_repetition:top_2_gram", fired: fired),
        ],
        outputs: kept)
}

func reportError(_ body: () throws -> Void) -> SluiceError? {
    do { try body() } catch let e as SluiceError { return e } catch { return nil }
    return nil
}

@Suite struct HTMLReportTests {
    @Test func aRunReportShowsFunnelDropsExamplesAndDistributions() throws {
        let root = try TestSupport.temporaryDirectory("report") + "/run"
        try standardRun(root)
        let path = try HTMLReport.write(runs: [root])
        #expect(path == root + "/report/index.html")
        let html = try String(contentsOfFile: path, encoding: .utf8)
        for section in ["id=\"funnel\"", "id=\"drops\"", "id=\"distributions\"", "id=\"config\""] {
            #expect(html.contains(section), "missing \(section)")
        }
        #expect(html.contains("length:too_few_words"))
        #expect(html.contains("<b>short-1</b>") && html.contains("tiny text"))
        // What fired is highlighted in the example and named above it.
        #expect(html.contains("<mark>buy now</mark>"))
        #expect(html.contains("count 40"))
        // The full sample file is linked relative to the report.
        #expect(html.contains("href=\"../dropped/segment-0/00000.dropped.jsonl.zst\""))
        // Scores and languages from the outputs' metadata.
        #expect(html.contains("<h3>quality_score</h3>"))
        #expect(html.contains("Language or script"))
        // Offline: a policy that forbids fetching anything, and no URL to fetch.
        #expect(html.contains("Content-Security-Policy\" content=\"default-src 'none'"))
        #expect(!html.contains("http://") && !html.contains("https://"))
        // Every chart has data.
        let charts = html.components(separatedBy: "<svg class=\"chart\"").count - 1
        #expect(charts >= 5)
        #expect(!html.contains("data-points=\"0\""))
        #expect(!html.contains("not complete"))
    }

    @Test func anIncompleteRunSaysSoAndShowsWhatExists() throws {
        let root = try TestSupport.temporaryDirectory("report") + "/run"
        try makeRunFolder(root, stages: [stage("jsonl", 0, 5), stage("write", 5, 5)], tasks: 3, done: 1)
        let html = try String(contentsOfFile: try HTMLReport.write(runs: [root]), encoding: .utf8)
        #expect(html.contains("this run is not complete"))
        #expect(html.contains("segment-0: 1 of 3 tasks finished"))
        #expect(html.contains("<td>jsonl</td>"))
    }

    @Test func aFolderThatIsNotARunIsAClearError() throws {
        let dir = try TestSupport.temporaryDirectory("report")
        let e = reportError { try HTMLReport.write(runs: [dir]) }
        #expect(e?.code == .usage)
        #expect(e?.message.hasPrefix("not a run folder") == true)
        #expect(e?.file == dir)
        let missing = reportError { try HTMLReport.write(runs: [dir + "/nothing"]) }
        #expect(missing?.message == "no such folder")
        try "x".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
        #expect(reportError { try HTMLReport.write(runs: [dir + "/file"]) }?.message.hasPrefix("not a folder") == true)
    }

    @Test func twoRunsWithDifferentStagesAreComparedWhereTheyOverlap() throws {
        let dir = try TestSupport.temporaryDirectory("report")
        try standardRun(dir + "/a")
        try makeRunFolder(
            dir + "/b",
            stages: [
                stage("jsonl", 0, 10), stage("length", 10, 9, drops: ["length:too_few_words": 1]),
                stage("c4", 9, 6, drops: ["c4:too_few_sentences": 3]), stage("write", 6, 6),
            ],
            dropped: [droppedDocument("b-short", "tiny", "length:too_few_words")])
        let path = try HTMLReport.write(runs: [dir + "/a", dir + "/b"])
        #expect(path == dir + "/a/report/compare.html")
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(html.contains("Sluice runs compared"))
        #expect(html.contains("c4 (only in B)"))
        #expect(html.contains("gopher_repetition (only in A)"))
        #expect(html.contains("<b>b-short</b>") && html.contains("<b>short-1</b>"))
        #expect(html.contains("href=\"../../b/dropped/segment-0/00000.dropped.jsonl.zst\""))
        #expect(!html.contains("data-points=\"0\""))
    }

    @Test func aDamagedSampleFileIsReportedAndTheRestShown() throws {
        let root = try TestSupport.temporaryDirectory("report") + "/run"
        try standardRun(root)
        let sample = root + "/dropped/segment-0/00000" + DropAudit.fileSuffix
        let bytes = try Data(contentsOf: URL(fileURLWithPath: sample))
        try bytes.prefix(bytes.count - 9).write(to: URL(fileURLWithPath: sample))
        let html = try String(contentsOfFile: try HTMLReport.write(runs: [root]), encoding: .utf8)
        #expect(html.contains("some files could not be read in full"))
        #expect(html.contains("<td>length</td>"))
    }
}

/// A tokenize run over a cleaning run's outputs (tokenizer.json, shards, the tokenize stage's
/// counters) and a training folder (metrics.jsonl, an eval file), as `make demo` lays them out.
func makeCompanions(_ dir: String) throws -> (tokenized: String, training: String) {
    let tokenized = dir + "/tokenize"
    var writer = stage("tokenize", 7, 7)
    writer.bytesIn = 7_000
    writer.counters = [
        "tokens_train": 1_600, "tokens_validation": 206, "documents_train": 6, "documents_validation": 1,
        "source_tokens:jsonl": 1_400, "source_bytes:jsonl": 5_600, "source_tokens:warc": 400,
        "source_bytes:warc": 1_400,
    ]
    try makeRunFolder(tokenized, stages: [stage("jsonl", 0, 7), stage("train_tokenizer", 7, 7), writer])
    let fm = FileManager.default
    for (split, count) in [("train", 2), ("validation", 1)] {
        try fm.createDirectory(atPath: "\(tokenized)/\(split)", withIntermediateDirectories: true)
        for i in 0..<count {
            try Data(repeating: 7, count: 1000).write(
                to: URL(fileURLWithPath: "\(tokenized)/\(split)/00000_0000\(i).shard"))
        }
    }
    try
        #"{"version":"1.0","added_tokens":[{"id":0,"content":"<|endoftext|>","special":true}],"model":{"type":"BPE","vocab":{"<|endoftext|>":0,"a":1,"b":2,"ab":3},"merges":["a b"]}}"#
        .write(toFile: tokenized + "/tokenizer.json", atomically: true, encoding: .utf8)
    let training = dir + "/train"
    try fm.createDirectory(atPath: training, withIntermediateDirectories: true)
    var metrics = ""
    for step in 1...10 {
        metrics +=
            "{\"loss\":\(8.0 - 0.3 * Double(step)),\"lr\":0.001,\"step\":\(step),\"tokens_per_second\":\(2000 + step)}\n"
        if step % 5 == 0 { metrics += "{\"step\":\(step),\"val_loss\":\(7.5 - 0.2 * Double(step))}\n" }
    }
    try metrics.write(toFile: training + "/metrics.jsonl", atomically: true, encoding: .utf8)
    try #"{"tokens": 4096, "loss": 6.930000, "perplexity": 1022.500000, "bits_per_byte": 2.750000}"#
        .write(toFile: training + "/eval-shakespeare.json", atomically: true, encoding: .utf8)
    return (tokenized, training)
}

@Suite struct ModelSectionTests {
    @Test func companionsAddTokensTokenizerShardsCurvesAndEvaluation() throws {
        let dir = try TestSupport.temporaryDirectory("report-model")
        try standardRun(dir + "/run")
        let (tokenized, training) = try makeCompanions(dir)
        let path = try HTMLReport.write(runs: [dir + "/run"], companions: [[tokenized, training]])
        let html = try String(contentsOfFile: path, encoding: .utf8)
        // The funnel: tokens out estimated at the measured 7,000 / 1,800 bytes per token, and the
        // exact count of the tokenize run.
        #expect(html.contains("<th title=") && html.contains("tokens out</th>"))
        #expect(html.contains("1,806 tokens</b> (train 1,600, validation 206)"))
        #expect(html.contains("3.89 bytes of text per token"))
        // length passes 800 bytes to gopher_repetition: ≈ 800 / 3.89 = 206 tokens.
        #expect(html.contains("<td>≈ 206</td>"))
        // The tokenizer, bytes per token per source, tokens per split.
        #expect(html.contains("BPE vocabulary of <b>4 tokens</b>; special tokens <code>&lt;|endoftext|&gt;</code>"))
        #expect(html.contains("<tr><td>jsonl</td><td>0.01</td><td>1,400</td><td>4.00</td></tr>"))
        #expect(html.contains("<tr><td>warc</td><td>0.00</td><td>400</td><td>3.50</td></tr>"))
        #expect(html.contains("<tr><td>train</td><td>6</td><td>1,600</td><td>2</td><td>0.00</td></tr>"))
        #expect(html.contains("aria-label=\"bytes per token per source\""))
        #expect(html.contains("aria-label=\"tokens per split\""))
        // Training curves and the evaluation.
        for chart in ["loss", "tokens/s", "learning rate"] {
            #expect(html.contains("aria-label=\"\(chart)\""), "\(chart)")
        }
        #expect(
            html.contains("10 steps · last training loss 5.0000 · last validation loss 5.5000 · median 2,006 tokens/s"))
        #expect(
            html.contains(
                "<td>eval-shakespeare.json</td><td>4,096</td><td>6.9300</td><td>1022.5000</td><td>2.7500</td>"))
        #expect(!html.contains("data-points=\"0\""))
    }

    @Test func aTokenizeRunShowsItsOwnTokens() throws {
        let dir = try TestSupport.temporaryDirectory("report-model")
        let (tokenized, _) = try makeCompanions(dir)
        let html = try String(contentsOfFile: try HTMLReport.write(runs: [tokenized]), encoding: .utf8)
        #expect(html.contains("<td>1,806</td>"))  // tokens out of the tokenize stage, exact
        #expect(html.contains("id=\"model\""))
        #expect(!html.contains("data-points=\"0\""))
    }

    @Test func aCompanionThatIsNotARunIsAClearError() throws {
        let dir = try TestSupport.temporaryDirectory("report-model")
        try standardRun(dir + "/run")
        let e = reportError { try HTMLReport.write(runs: [dir + "/run"], companions: [[dir + "/nothing"]]) }
        #expect(e?.message == "no such folder")
    }
}
