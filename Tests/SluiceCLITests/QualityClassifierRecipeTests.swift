// The quality-classifier recipe of Pipelines/quality-classifier.yaml on a fresh clone, as its header
// writes it: crawl pages (cc) and Wikipedia + WikiText paragraphs (hq) from Fixtures/, a model trained
// with a seeded held-out split, then commoncrawl.yaml's commented DCLM stages uncommented and run.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite(.serialized) struct QualityClassifierRecipeTests {
    @Test func recipeRunsOnFixturesAndFeedsKeepTopFraction() throws {
        let dir = try ShippedPipelineTests.freshClone()
        // 1. cc: extracted English crawl pages of the two fixture crawls.
        try ShippedPipelineTests.ok(
            [
                "run", "Pipelines/quality-classifier.yaml", "--input", "Fixtures/warc/wget-crawl-excerpt.warc.gz",
                "--input", "Fixtures/warc/commoncrawl-excerpt.warc.gz",
            ], in: dir)
        let report = try StatsReport.load(outputDirectory: dir + "/out/quality-classifier/cc")
        let stages = try #require(report.passes.first).stages
        #expect(stages.map(\.name) == ["warc", "extract", "language", "normalize", "length", "write"])
        let language = try #require(stages.first { $0.name == "language" })
        #expect(language.drops.keys.contains { $0.hasPrefix("language:") }, "the fixture crawls are multilingual")
        let cc = try CLI.documents(in: dir + "/out/quality-classifier/cc")
        #expect(cc.count >= 20, "\(cc.count) crawl pages")
        // 2. hq: the Wikipedia excerpt's articles.
        try ShippedPipelineTests.ok(
            [
                "run", "Pipelines/wikipedia.yaml", "--output", "out/quality-classifier/wiki", "--input",
                "Fixtures/wiki/enwiki-excerpt.xml.bz2",
            ], in: dir)
        // 3. Train with 20 % of each label held out (seed 19); one thread, so the model is reproducible.
        let train = [
            "classifier", "train", "--documents", "hq=out/quality-classifier/wiki", "--documents",
            "hq=Fixtures/dedup/wikitext-paragraphs.txt", "--documents", "cc=out/quality-classifier/cc",
            "--min-words", "50", "--holdout", "0.2", "--seed", "19", "--output", "out/models/quality.slcm",
            "--threads", "1",
        ]
        let first = try ShippedPipelineTests.ok(train + ["--held-out-output", "held-out-1.jsonl"], in: dir)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        #expect(summary["labels"] as? [String] == ["cc", "hq"])
        let heldOut = try #require(summary["held_out"] as? [String: Any])
        let labels = try #require(heldOut["labels"] as? [String: [String: Any]])
        let hqHeld = try #require(labels["hq"]?["support"] as? Int)
        let ccHeld = try #require(labels["cc"]?["support"] as? Int)
        let trained = try #require(summary["examples"] as? Int)
        // hq: 3 articles + 40 paragraphs, all of at least 50 words; 20 % of each label held out.
        let ccExamples = cc.filter { $0.text.split(whereSeparator: { " \n\t\r".contains($0) }).count >= 50 }.count
        #expect(hqHeld == 9, "\(summary)")
        #expect(ccHeld == Int((0.2 * Double(ccExamples)).rounded()), "\(summary)")
        #expect(trained + hqHeld + ccHeld == 43 + ccExamples)
        let accuracy = try #require(heldOut["accuracy"] as? Double)
        #expect(accuracy >= 0.8, "held-out accuracy \(accuracy): \(summary)")
        // The split is the seed's: a second run holds out the same examples.
        try ShippedPipelineTests.ok(train + ["--held-out-output", "held-out-2.jsonl"], in: dir)
        let a = try #require(FileManager.default.contents(atPath: dir + "/held-out-1.jsonl"))
        #expect(a == FileManager.default.contents(atPath: dir + "/held-out-2.jsonl"))
        #expect(a.split(separator: UInt8(ascii: "\n")).count == hqHeld + ccHeld)
        // `sluice classifier eval` on the held-out file gives the figures train printed.
        let eval = try ShippedPipelineTests.ok(
            [
                "classifier", "eval", "--model", "out/models/quality.slcm", "--input", "held-out-1.jsonl",
                "--text-field", "text", "--label-field", "label",
            ], in: dir)
        let evaluated = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(abs((evaluated["accuracy"] as? Double ?? -1) - accuracy) < 1e-6)

        // 4. commoncrawl.yaml's commented DCLM stages, uncommented, keep the top 10 % by hq_score.
        let shipped = try String(contentsOfFile: dir + "/Pipelines/commoncrawl.yaml", encoding: .utf8)
        let classifyLine =
            "  # - classify: {model: out/models/quality.slcm, label: hq, direction: none, score_key: hq_score}"
        let keepLine = "  # - keep_top_fraction: {key: hq_score, fraction: 0.1}"
        #expect(shipped.contains(classifyLine) && shipped.contains(keepLine))
        let dclm = shipped.replacingOccurrences(
            of: classifyLine, with: classifyLine.replacingOccurrences(of: "# ", with: "")
        )
        .replacingOccurrences(of: keepLine, with: keepLine.replacingOccurrences(of: "# ", with: ""))
        try dclm.write(toFile: dir + "/Pipelines/commoncrawl-dclm.yaml", atomically: true, encoding: .utf8)
        try ShippedPipelineTests.ok(
            ["run", "Pipelines/commoncrawl-dclm.yaml", "--input", "Fixtures/warc/wget-crawl-excerpt.warc.gz"], in: dir)
        let run = try StatsReport.load(outputDirectory: dir + "/out/commoncrawl")
        let threshold = try #require(run.passes.first { $0.pass == "keep_top_fraction.threshold" }).stages[0]
        let scored = try #require(threshold.counters["documents_scored"])
        #expect(scored > 0)
        #expect(threshold.counters["documents_kept"] == Int((0.1 * Double(scored)).rounded()))
    }
}
