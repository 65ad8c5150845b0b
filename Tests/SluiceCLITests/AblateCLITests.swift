// `sluice ablate` end to end: a two-variant, two-seed ablation on Fixtures; SIGKILL mid-run and a
// rerun give a byte-identical results.json; a budget above a variant's tokens is refused before any
// training; the shipped ablation files on a fresh clone.
import Foundation
import SluiceAblate
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct AblateCLITests {
    /// A tiny ablation: `raw` is Common Crawl JSONL as it is, `clean` the same documents through
    /// the length filter (an inline pipeline); a 1-layer width-16 model, 8 steps of 64 tokens.
    static func write(in dir: String, seeds: [Int] = [1, 2], steps: Int = 8, extra: String = "") throws {
        let fx = TestSupport.packageRoot + "/Fixtures"
        let mc = [
            #"{"context": "The king and the queen went to", "endings": ["the castle.", "purple seven the."], "label": 0}"#,
            #"{"context": "ROMEO: I will", "endings": ["follow thee.", "zzzz qqqq"], "label": 0}"#,
        ]
        try (mc.joined(separator: "\n") + "\n").write(toFile: dir + "/mc.jsonl", atomically: true, encoding: .utf8)
        try """
        variants:
          raw: {documents: ["\(fx)/quickstart/*.jsonl*", "\(fx)/core/dolma-cc-head.jsonl"]}
          clean:
            input: ["\(fx)/quickstart/*.jsonl*", "\(fx)/core/dolma-cc-head.jsonl"]
            stages:
              - length: {min_words: 200}
              - write: {compression: zstd}
        baseline: raw
        tokenizer: {vocab_size: 300}
        budget_tokens: \(steps * 64)
        seeds: [\(seeds.map(String.init).joined(separator: ", "))]
        model: {layers: 1, width: 16, heads: 2, context_length: 16}
        train: {batch_size: 4, warmup: 1, eval_every: 2, eval_batches: 2, checkpoint_every: 2, keep_checkpoints: 1, threads: 1}
        eval:
          - {name: shakespeare, text: "\(fx)/train/tinyshakespeare-16k.txt", max_bytes: 3000}
          - {name: wikitext, text: "\(fx)/dedup/wikitext-paragraphs.txt", max_bytes: 3000}
          - {name: story, task: multiple-choice, path: mc.jsonl}
        out: out
        \(extra)
        """.write(toFile: dir + "/ablation.yaml", atomically: true, encoding: .utf8)
    }

    static func sluice(_ args: [String], in dir: String) throws -> TestSupport.ProcessResult {
        try TestSupport.run(
            try TestSupport.sluiceBinary(), args, environment: ["SLUICE_NO_PROGRESS": "1"], directory: dir)
    }

    @Test func twoVariantsTwoSeedsEndToEnd() throws {
        let dir = try TestSupport.temporaryDirectory("ablate")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write(in: dir)
        let r = try Self.sluice(["ablate", "ablation.yaml"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stdout.contains("ablation: 2 variants × 2 seeds (1, 2), 512 tokens per run, baseline raw"), "\(r.stdout)")
        #expect(r.stdout.contains("shakespeare (bits per byte, lower is better)"))
        #expect(r.stdout.contains("story (accuracy, higher is better)"))

        // results.json in the issue's shape.
        let data = try #require(FileManager.default.contents(atPath: dir + "/out/results.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(root["baseline"] as? String == "raw")
        #expect(root["budget_tokens"] as? Int == 512)
        let variants = try #require(root["variants"] as? [String: Any])
        #expect(Set(variants.keys) == ["raw", "clean"])
        for name in ["raw", "clean"] {
            let v = try #require(variants[name] as? [String: Any])
            #expect((v["documents"] as? Int ?? 0) > 0)
            #expect((v["tokens"] as? Int ?? 0) >= 512)
            let eval = try #require(v["eval"] as? [String: Any])
            let bpb = try #require((eval["shakespeare"] as? [String: Any])?["bits_per_byte"] as? [String: Any])
            let perSeed = try #require(bpb["per_seed"] as? [Double])
            #expect(perSeed.count == 2)
            #expect(perSeed.allSatisfy { $0 > 0.5 && $0 < 20 }, "\(perSeed)")
            #expect(abs((bpb["mean"] as? Double ?? 0) - (perSeed[0] + perSeed[1]) / 2) < 1e-5)
            #expect(bpb["std"] is Double)
            let acc = try #require((eval["story"] as? [String: Any])?["accuracy"] as? [String: Any])
            #expect((acc["per_seed"] as? [Double])?.allSatisfy { $0 >= 0 && $0 <= 1 } == true)
        }
        // The length filter keeps fewer documents.
        #expect(
            ((variants["clean"] as? [String: Any])?["documents"] as? Int ?? 0)
                < ((variants["raw"] as? [String: Any])?["documents"] as? Int ?? 0))
        let differences = try #require(root["differences"] as? [String: Any])
        #expect(Set(differences.keys) == ["clean"])
        let d = try #require((differences["clean"] as? [String: Any])?["wikitext"] as? [String: Any])
        let ci = try #require(d["ci95"] as? [Double])
        let mean = try #require(d["mean"] as? Double)
        #expect(ci.count == 2 && ci[0] <= mean && mean <= ci[1])

        // Charts, and the table again from the folder.
        let svg = try #require(FileManager.default.contents(atPath: dir + "/out/ablation.svg"))
        #expect(String(decoding: svg, as: UTF8.self).contains("<polyline"))
        let png = try #require(FileManager.default.contents(atPath: dir + "/out/ablation.png"))
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: 960 pixels wide (the SVG's width), 8-bit RGB; the file ends with IEND.
        #expect(
            Array(png[12..<16]) == Array("IHDR".utf8) && Array(png[16..<20]) == [0, 0, 3, 0xC0] && png[24] == 8
                && png[25] == 2)
        #expect(Array(png.suffix(8).prefix(4)) == Array("IEND".utf8))
        #expect(String(decoding: svg, as: UTF8.self).contains("fill-opacity=\"0.18\""), "a min–max band per variant")
        let report = try Self.sluice(["ablate", "report", "out"], in: dir)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout == r.stdout)

        // A rerun is free: every task is skipped and the table is the same.
        let again = try Self.sluice(["ablate", "ablation.yaml"], in: dir)
        #expect(again.status == 0)
        #expect(again.stderr.contains("skipped"))
        #expect(!again.stderr.contains("[raw seed"))
        #expect(again.stdout == r.stdout)
    }

    func trainMarkers(_ out: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: out + "/_markers/train")) ?? []).filter {
            $0.hasSuffix(".done")
        }.count
    }

    func checkpointExists(_ out: String) -> Bool {
        for v in ["raw", "clean"] {
            for s in [1, 2]
            where FileManager.default.fileExists(atPath: "\(out)/runs/\(v)/seed-\(s)/latest/config.json") {
                if !FileManager.default.fileExists(atPath: "\(out)/runs/\(v)/seed-\(s)/result.json") { return true }
            }
        }
        return false
    }

    @Test func sigkillMidRunThenRerunGivesIdenticalResults() throws {
        let dir = try TestSupport.temporaryDirectory("ablate-kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Enough steps that a run is caught between its first checkpoint and its end.
        try Self.write(in: dir, steps: 150)
        let reference = try Self.sluice(["ablate", "ablation.yaml", "--out", "reference"], in: dir)
        #expect(reference.status == 0, "\(reference.stderr)")
        let expected = try #require(FileManager.default.contents(atPath: dir + "/reference/results.json"))

        let p = Process()
        p.executableURL = URL(fileURLWithPath: try TestSupport.sluiceBinary())
        p.arguments = ["ablate", "ablation.yaml"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.environment = ProcessInfo.processInfo.environment.merging(["SLUICE_NO_PROGRESS": "1"]) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(300)
        // Kill inside a training run (a checkpoint written, no result yet), after one run finished.
        while p.isRunning && Date() < deadline && !(trainMarkers(dir + "/out") >= 1 && checkpointExists(dir + "/out")) {
            usleep(500)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(
            !FileManager.default.fileExists(atPath: dir + "/out/results.json"),
            "the ablation must be killed before it finishes")

        let rerun = try Self.sluice(["ablate", "ablation.yaml"], in: dir)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains("skipped"), "\(rerun.stderr)")
        let actual = try #require(FileManager.default.contents(atPath: dir + "/out/results.json"))
        #expect(
            actual == expected, "results.json after kill and rerun differs:\n\(String(decoding: actual, as: UTF8.self))"
        )
        #expect(reference.stdout == rerun.stdout)
    }

    @Test func aBudgetAboveAVariantIsRefusedBeforeTraining() throws {
        let dir = try TestSupport.temporaryDirectory("ablate-budget")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write(in: dir, seeds: [1])
        let r = try Self.sluice(["ablate", "ablation.yaml", "--budget-tokens", "5000000"], in: dir)
        #expect(r.status != 0)
        let line = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
        // Both numbers, the variant, and where it is declared.
        #expect(line.contains("variant raw has "), "\(r.stderr)")
        #expect(line.contains("tokens, fewer than budget_tokens 5000000"), "\(r.stderr)")
        #expect(line.contains("repeat: true"))
        #expect(line.contains("ablation.yaml:2)"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/runs"), "no training may start")

        // With repeat: true on both variants the same budget is accepted (the plan says so).
        let ok = try Self.sluice(
            [
                "ablate", "ablation.yaml", "--budget-tokens", "5000000", "--set", "variants.raw.repeat=true",
                "--set", "variants.clean.repeat=true", "--plan",
            ], in: dir)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("train\t2 tasks"), "\(ok.stdout)")
    }
}

/// The shipped ablation files, as their headers document them.
@Suite struct ShippedAblationTests {
    /// A folder with copies of Pipelines/ and Fixtures/ only (no out/, no ../shared).
    static func freshClone() throws -> String {
        let dir = try TestSupport.temporaryDirectory("ablate-clone")
        for folder in ["Pipelines", "Fixtures"] {
            try FileManager.default.copyItem(atPath: TestSupport.packageRoot + "/" + folder, toPath: dir + "/" + folder)
        }
        return dir
    }

    /// ablation-fixtures.yaml (what `make demo` runs) works on a fresh clone; a smaller budget and
    /// model keep the debug build quick.
    @Test func fixturesAblationRunsOnAFreshClone() throws {
        let dir = try Self.freshClone()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plan = try AblateCLITests.sluice(["ablate", "Pipelines/ablation-fixtures.yaml", "--plan"], in: dir)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("documents\t2 tasks"), "\(plan.stdout)")
        let r = try AblateCLITests.sluice(
            [
                "ablate", "Pipelines/ablation-fixtures.yaml", "--budget-tokens", "2048", "--set", "model.layers=1",
                "--set", "model.width=16", "--set", "model.context_length=32", "--set", "train.warmup=1",
            ], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("wikitext (bits per byte, lower is better)"), "\(r.stdout)")
        #expect(FileManager.default.fileExists(atPath: dir + "/out/ablation/ablation.png"))
    }

    /// ablation.yaml needs the shared crawl; without it the error names the missing input.
    @Test func sharedAblationNamesTheMissingCrawl() throws {
        let dir = try Self.freshClone()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try AblateCLITests.sluice(["ablate", "Pipelines/ablation.yaml", "--plan"], in: dir)
        #expect(r.status != 0)
        #expect(
            r.stderr.contains("variants.extracted: no input matches '../shared/corpus/warc/crawl/*.warc.gz'"),
            "\(r.stderr)")
    }

    /// With the shared corpus beside the repository, ablation.yaml plans 4 variants × 3 seeds.
    @Test(.enabled(if: TestSupport.corpusAvailable, Comment(rawValue: TestSupport.corpusMissingReason)))
    func sharedAblationPlans() throws {
        let r = try AblateCLITests.sluice(
            ["ablate", "Pipelines/ablation.yaml", "--plan", "--out", NSTemporaryDirectory() + "ablate-plan"],
            in: TestSupport.packageRoot)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("train\t12 tasks"), "\(r.stdout)")
    }
}
