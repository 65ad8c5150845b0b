// Issue 20 end to end: a pipeline with `dropped:` runs through the binary, `sluice show` prints
// kept drops, `sluice report` writes the page, and headless Chromium (Debian's `chromium`, which
// `make deps` installs) renders it with no console messages and no network: the page's script ran,
// every chart has data (funnel, drops, distributions, dedup, and the tokenizer, shards, training
// curves of the tokenize run and training folder that continue the run), the examples of a known
// drop reason are there with what fired highlighted, and a screenshot is taken.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

enum Chromium {
    /// The first Chromium on PATH, if any.
    static let path: String? = {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }()

    static let missingReason = "chromium is not installed (`make deps` installs Debian's chromium package)"

    /// Runs headless Chromium on `page` with `arguments`, every host unresolvable, a throwaway profile.
    static func run(_ arguments: [String], page: String) throws -> TestSupport.ProcessResult {
        let profile = try TestSupport.temporaryDirectory("chromium-profile")
        defer { try? FileManager.default.removeItem(atPath: profile) }
        return try TestSupport.run(
            "/usr/bin/timeout",
            [
                "120", path!, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--user-data-dir=\(profile)", "--host-resolver-rules=MAP * ~NOTFOUND",
                "--enable-logging=stderr", "--v=0",
            ] + arguments + ["file://" + page])
    }
}

@Suite(.serialized) struct ReportBrowserTests {
    /// A run over synthetic bad documents, the dedup fixtures and the quickstart's CCNet excerpts,
    /// keeping drops and the edits of c4. The bad documents' file sorts first (an absolute /tmp
    /// path), so it is task 0's first input and its drops are the first kept of their reasons.
    static func run() throws -> String {
        let dir = try TestSupport.temporaryDirectory("report-cli")
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try CLI.write(
            [
                CLI.jsonl(id: "short-1", text: "tiny text"),
                CLI.jsonl(id: "short-2", text: "also far too short"),
                CLI.jsonl(
                    id: "spam-1",
                    text: String(repeating: "buy now ", count: 40) + "and then read the rest of this page about shoes."),
                CLI.jsonl(
                    id: "spam-2",
                    text:
                        "Limited offer for our readers: act now and get the second pair FREE!!!!!!!!!!!!!!!!!!!!!!!! today only."
                ),
            ], to: dir + "/in/bad.jsonl")
        let fixtures = TestSupport.packageRoot + "/Fixtures"
        try """
        input:
          paths: [\(dir)/in/*.jsonl, \(fixtures)/dedup/near-duplicates-*.jsonl, \(fixtures)/quickstart/*.jsonl*]
        output: out
        tasks: 2
        dropped: {max_per_reason: 20}
        stages:
          - length: {min_words: 8}
          - spam_heuristics: {}
          - gopher_repetition: {}
          - minhash_dedup: {preset: datatrove}
          - c4: {dropped: {edits: true}}
          - write: {}
        """.write(toFile: dir + "/pipeline.yaml", atomically: true, encoding: .utf8)
        let r = try CLI.sluice(["run", "pipeline.yaml"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        return dir
    }

    /// What continues the run in `make demo`: its outputs tokenized (`tok`), a tiny model trained
    /// on them for a few steps (`train`) and evaluated (`train/eval-fixture.json`).
    static func continueRun(_ dir: String) throws {
        try """
        input: {paths: ["out/*.jsonl.zst"]}
        output: tok
        stages:
          - train_tokenizer: {vocab_size: 300}
          - tokenize: {validation_fraction: 0.1}
        """.write(toFile: dir + "/tokenize.yaml", atomically: true, encoding: .utf8)
        let t = try CLI.sluice(["run", "tokenize.yaml"], in: dir)
        #expect(t.status == 0, "\(t.stderr)")
        try """
        model: {context_length: 16, layers: 1, heads: 2, width: 16}
        data: {train: [tok]}
        train: {batch_size: 2, steps: 6, lr: 3.0e-3, warmup: 1, eval_every: 3, eval_batches: 1, checkpoint_every: 6}
        out: train
        """.write(toFile: dir + "/train.yaml", atomically: true, encoding: .utf8)
        let r = try CLI.sluice(["train", "train.yaml"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let ev = try CLI.sluice(
            ["eval", "--checkpoint", "train/latest", "--text", TestSupport.fixture("train/tinyshakespeare-16k.txt")],
            in: dir)
        #expect(ev.status == 0, "\(ev.stderr)")
        try ev.stdout.write(toFile: dir + "/train/eval-fixture.json", atomically: true, encoding: .utf8)
    }

    @Test func runShowAndReportThroughTheBinary() throws {
        let dir = try Self.run()
        let show = try CLI.sluice(["show", "out", "--reason", "length:too_few_words", "--n", "1"], in: dir)
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.hasPrefix("── length:too_few_words · short-1 · jsonl · dropped/segment-0/"))
        #expect(!show.stdout.contains("\u{1B}["))  // not a terminal: plain text
        // What fired, for spam_heuristics: the run of 24 "!".
        let spam = try CLI.sluice(["show", "out", "--reason", "spam_heuristics:char_run", "--n", "1"], in: dir)
        #expect(spam.status == 0, "\(spam.stderr)")
        #expect(
            spam.stdout.contains(
                "what fired: length=24 max_char_run=19 match: " + String(repeating: "!", count: 24) + "\n"))
        let missing = try CLI.sluice(["show", "out", "--reason", "c4:nope"], in: dir)
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("sluice: usage error: no kept documents of 'c4:nope'; kept reasons: "))
        let report = try CLI.sluice(["report", "out"], in: dir)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout == "out/report/index.html\n")
        let html = try String(contentsOfFile: dir + "/out/report/index.html", encoding: .utf8)
        #expect(html.contains("id=\"dedup\"") && html.contains("S-curve"))
        #expect(html.contains("id=\"edits\""))
        let notRun = try CLI.sluice(["report", "in"], in: dir)
        #expect(notRun.status == 1)
        #expect(notRun.stderr.hasPrefix("sluice: usage error: not a run folder"))
    }

    @Test(.enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missingReason)))
    func theReportRendersInHeadlessChromiumOffline() throws {
        let dir = try Self.run()
        try Self.continueRun(dir)
        let report = try CLI.sluice(["report", "out", "--tokenized", "tok", "--training", "train"], in: dir)
        #expect(report.status == 0, "\(report.stderr)")
        let page = dir + "/out/report/index.html"
        let dom = try Chromium.run(["--dump-dom"], page: page)
        #expect(dom.status == 0, "\(dom.stderr.suffix(2000))")
        // The script ran to its end, and counted the charts: all have data.
        #expect(dom.stdout.contains("data-ready=\"1\""), "\(dom.stdout.prefix(400))")
        #expect(dom.stdout.contains("data-empty-charts=\"0\""))
        #expect(!dom.stdout.contains("data-charts=\"0\""))
        // The examples of a known reason, with what fired highlighted.
        #expect(dom.stdout.contains("<b>short-1</b>"))
        #expect(dom.stdout.contains("<mark>buy now</mark>"))
        #expect(dom.stdout.contains("<mark>" + String(repeating: "!", count: 24) + "</mark>"))
        // Tokens in the funnel; tokenizer, shards, curves and evaluation from the folders that continue the run.
        #expect(dom.stdout.contains("tokens out</th>"))
        #expect(dom.stdout.contains("Tokenizer, shards, training and evaluation"))
        for chart in ["bytes per token per source", "tokens per split", "loss", "tokens/s", "learning rate"] {
            #expect(dom.stdout.contains("aria-label=\"\(chart)\""), "no \(chart) chart")
        }
        #expect(dom.stdout.contains("<td>eval-fixture.json</td>"))
        // No console message at all: no script error, no blocked fetch (the page's policy forbids every one).
        let console = dom.stderr.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Refused to") }
        #expect(console.isEmpty, "\(console)")
        let shot = dir + "/shot.png"
        let screenshot = try Chromium.run(
            ["--screenshot=\(shot)", "--window-size=1280,2400", "--hide-scrollbars"], page: page)
        #expect(screenshot.status == 0, "\(screenshot.stderr.suffix(2000))")
        let png = try #require(FileManager.default.contents(atPath: shot))
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(png.count > 20_000)  // a blank page compresses to a few kilobytes
    }
}
