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
            Document(id: "keep-\(i)", text: String(repeating: "a good sentence here. ", count: 5 + 10 * i), source: "jsonl", metadata: m))
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

@Suite struct DroppedListingTests {
    @Test func showPrintsOneReasonWithWhatFired() throws {
        let root = try TestSupport.temporaryDirectory("show") + "/run"
        try standardRun(root)
        let plain = try DroppedListing.render(root: root, reason: "gopher_repetition:top_2_gram", count: 5, color: false)
        #expect(plain.hasPrefix("── gopher_repetition:top_2_gram · spam-1 · jsonl · dropped/segment-0/00000.dropped.jsonl.zst\n"))
        #expect(plain.contains("what fired: count=40 match: buy now\n"))
        #expect(!plain.contains("\u{1B}["))
        #expect(!plain.contains("short-1"))
        let colored = try DroppedListing.render(root: root, reason: "gopher_repetition:top_2_gram", count: 5, color: true)
        #expect(colored.contains("\u{1B}[1;31mbuy now\u{1B}[0m"))
        let two = try DroppedListing.render(root: root, reason: nil, count: 2, color: false)
        #expect(two.components(separatedBy: "── ").count - 1 == 2)
    }

    @Test func anUnknownReasonListsTheKeptOnes() throws {
        let root = try TestSupport.temporaryDirectory("show") + "/run"
        try standardRun(root)
        let e = reportError { _ = try DroppedListing.render(root: root, reason: "c4:nope", count: 5, color: false) }
        #expect(e?.message == "no kept documents of 'c4:nope'; kept reasons: length:too_few_words (2), gopher_repetition:top_2_gram (1)")
        let empty = try TestSupport.temporaryDirectory("show") + "/run"
        try makeRunFolder(empty, stages: [stage("jsonl", 0, 1)])
        let none = reportError { _ = try DroppedListing.render(root: empty, reason: nil, count: 5, color: false) }
        #expect(none?.message.hasPrefix("this run kept no dropped documents") == true)
    }
}
