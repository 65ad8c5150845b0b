// `keep_top_fraction` (DCLM's percentile rule) through `sluice run`: the kept count is exact, ties
// at the cut are broken by corpus order, a document without a score is a named drop, and the
// threshold goes into the stats. Also a pipeline that scores with `classify` and a fastText model first.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct KeepTopFractionTests {
    func doc(_ id: String, _ score: Double?) -> String {
        let meta = score.map { "{\"score\": \($0)}" } ?? "{}"
        return "{\"id\": \"\(id)\", \"text\": \"document \(id)\", \"source\": \"t\", \"metadata\": \(meta)}"
    }

    func keptIDs(_ folder: String) throws -> [String] {
        var ids: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() where name.hasSuffix(".jsonl")
        {
            let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                ids.append(o["id"] as! String)
            }
        }
        return ids.sorted()
    }

    @Test func keepsAnExactShareWithTiesByCorpusOrder() throws {
        let dir = try TestSupport.temporaryDirectory("keeptop")
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        // 20 scored documents and one without a score, in three files. The top 25 % is 5 documents:
        // 0.9, 0.8, 0.7 and two of the four 0.5s — the two that come first in the corpus (file a).
        let a = [
            doc("a0", 0.1), doc("a1", 0.5), doc("a2", 0.9), doc("a3", 0.5), doc("a4", 0.2), doc("a5", nil),
            doc("a6", 0.3),
        ]
        let b = [
            doc("b0", 0.5), doc("b1", 0.8), doc("b2", 0.5), doc("b3", -1), doc("b4", 0.0), doc("b5", 0.25),
            doc("b6", 0.05),
        ]
        let c = [
            doc("c0", 0.7), doc("c1", 0.4), doc("c2", 0.45), doc("c3", 0.35), doc("c4", 0.15), doc("c5", 0.3),
            doc("c6", 0.1),
        ]
        for (name, lines) in [("a", a), ("b", b), ("c", c)] {
            try (lines.joined(separator: "\n") + "\n").write(
                toFile: dir + "/in/\(name).jsonl", atomically: true, encoding: .utf8)
        }
        try """
        input: {paths: ["in/*.jsonl"]}
        output: out
        tasks: 3
        stages:
          - keep_top_fraction: {key: score, fraction: 0.25}
          - write: {compression: none}
        """.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        for workers in ["1", "2"] {
            let r = try TestSupport.run(
                try TestSupport.sluiceBinary(), ["run", "p.yaml", "--output", "out\(workers)", "--workers", workers],
                environment: ["SLUICE_NO_PROGRESS": "1"], directory: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try keptIDs(dir + "/out\(workers)") == ["a1", "a2", "a3", "b1", "c0"])
            let report = try StatsReport.load(outputDirectory: dir + "/out\(workers)")
            let threshold = try #require(report.passes.first { $0.pass == "keep_top_fraction.threshold" })
            #expect(threshold.stages[0].counters["documents_kept"] == 5)
            #expect(threshold.stages[0].counters["documents_scored"] == 20)
            #expect(threshold.stages[0].counters["threshold_x1e6"] == 500_000)
            let drops = report.passes.flatMap(\.stages).filter { $0.name == "keep_top_fraction" }
                .reduce(into: [String: Int]()) { for (k, v) in $1.drops { $0[k, default: 0] += v } }
            #expect(drops == ["keep_top_fraction:below_threshold": 15, "keep_top_fraction:no_score": 1])
        }
        // order: lowest (perplexity): the five lowest scores, negative and zero included.
        try """
        input: {paths: ["in/*.jsonl"]}
        output: low
        tasks: 3
        stages:
          - keep_top_fraction: {key: score, fraction: 0.25, order: lowest}
          - write: {compression: none}
        """.write(toFile: dir + "/low.yaml", atomically: true, encoding: .utf8)
        let low = try TestSupport.run(
            try TestSupport.sluiceBinary(), ["run", "low.yaml"], environment: ["SLUICE_NO_PROGRESS": "1"],
            directory: dir)
        #expect(low.status == 0, "\(low.stderr)")
        #expect(try keptIDs(dir + "/low") == ["a0", "b3", "b4", "b6", "c6"])
    }

    @Test func fractionOneKeepsEveryScoredDocumentAndZeroNone() throws {
        let dir = try TestSupport.temporaryDirectory("keeptop2")
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try ([doc("x", 0.3), doc("y", 0.3), doc("z", nil)].joined(separator: "\n") + "\n")
            .write(toFile: dir + "/in/x.jsonl", atomically: true, encoding: .utf8)
        for (fraction, expected) in [("1", ["x", "y"]), ("0", [])] {
            try """
            input: {paths: ["in/*.jsonl"]}
            output: out\(fraction)
            stages:
              - keep_top_fraction: {key: score, fraction: \(fraction)}
              - write: {compression: none}
            """.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
            let r = try TestSupport.run(
                try TestSupport.sluiceBinary(), ["run", "p.yaml"], environment: ["SLUICE_NO_PROGRESS": "1"],
                directory: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try keptIDs(dir + "/out\(fraction)") == expected)
        }
    }
}
