// The `perplexity` step end to end: a tiny model trained by `sluice train` scores documents in a
// pipeline; each document's perplexity and bits per byte equal `sluice eval --text` on the same
// text (the step on two BLAS threads); CCNet bucket tags follow the edges; a bits-per-byte
// threshold drops with its reason.
import Foundation
import SluiceTestSupport
import Testing

@Suite(.serialized) struct PerplexityStepTests {
    @Test func scoresEqualSluiceEvalOnTheSameDocument() throws {
        let dir = try TestSupport.temporaryDirectory("perplexity")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sluice = try TestSupport.sluiceBinary()
        try TrainCLITests.makeShards(dir)
        let train = try TestSupport.run(sluice, ["train", try TrainCLITests.writeConfig(dir)])
        try #require(train.status == 0, "\(train.stderr)")
        let checkpoint = dir + "/run/latest"

        let shakespeare = try String(
            contentsOfFile: TestSupport.fixture("train/tinyshakespeare-16k.txt"), encoding: .utf8)
        let texts = [
            String(shakespeare.prefix(400)), String(shakespeare.dropFirst(2000).prefix(150)),
            "Le renard brun saute par-dessus le chien.",
        ]
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        var lines = ""
        for (i, t) in texts.enumerated() {
            let o = try JSONSerialization.data(withJSONObject: ["id": "d\(i)", "text": t, "source": "t"])
            lines += String(decoding: o, as: UTF8.self) + "\n"
        }
        try lines.write(toFile: dir + "/in/docs.jsonl", atomically: true, encoding: .utf8)
        try """
        input: {paths: ["\(dir)/in/docs.jsonl"]}
        output: \(dir)/scored
        stages:
          - perplexity: {checkpoint: "\(checkpoint)", max_tokens: 100000, buckets: [20, 60], threads: 2}
          - write: {compression: none}
        """.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        let run = try TestSupport.run(sluice, ["run", dir + "/p.yaml"], environment: ["SLUICE_NO_PROGRESS": "1"])
        try #require(run.status == 0, "\(run.stderr)")
        let out = try FileManager.default.contentsOfDirectory(atPath: dir + "/scored").filter { $0.hasSuffix(".jsonl") }
        var scored: [String: [String: Any]] = [:]
        for name in out {
            for line in try String(contentsOfFile: dir + "/scored/" + name, encoding: .utf8).split(separator: "\n") {
                let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                scored[o["id"] as! String] = o["metadata"] as? [String: Any]
            }
        }
        #expect(scored.count == texts.count)
        for (i, t) in texts.enumerated() {
            try t.write(toFile: dir + "/t\(i).txt", atomically: true, encoding: .utf8)
            let e = try TestSupport.run(sluice, ["eval", "--checkpoint", checkpoint, "--text", dir + "/t\(i).txt"])
            try #require(e.status == 0, "\(e.stderr)")
            let ref = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
            let meta = try #require(scored["d\(i)"])
            let perplexity = try #require(meta["perplexity"] as? Double)
            let bits = try #require(meta["bits_per_byte"] as? Double)
            #expect(abs(perplexity - (ref["perplexity"] as! Double)) < 1e-3, "d\(i): \(perplexity) vs \(ref)")
            #expect(abs(bits - (ref["bits_per_byte"] as! Double)) < 2e-6, "d\(i): \(bits) vs \(ref)")
            let bucket = meta["perplexity_bucket"] as? String
            #expect(bucket == (perplexity <= 20 ? "head" : perplexity <= 60 ? "middle" : "tail"))
        }

        // A threshold below every score drops each document with the step's reason.
        try """
        input: {paths: ["\(dir)/in/docs.jsonl"]}
        output: \(dir)/strict
        stages:
          - perplexity: {checkpoint: "\(checkpoint)", max_tokens: 8, max_bits_per_byte: 0.001}
          - write: {compression: none}
        """.write(toFile: dir + "/q.yaml", atomically: true, encoding: .utf8)
        let strict = try TestSupport.run(sluice, ["run", dir + "/q.yaml"], environment: ["SLUICE_NO_PROGRESS": "1"])
        try #require(strict.status == 0, "\(strict.stderr)")
        let stats = try TestSupport.run(sluice, ["stats", dir + "/strict"])
        #expect(stats.stdout.contains("perplexity:too_high"), "\(stats.stdout)")

        let missing = try TestSupport.run(
            sluice,
            [
                "stage", "perplexity", "--set", "checkpoint=\(dir)/nope", "--input", dir + "/in/docs.jsonl", "--output",
                dir + "/x",
            ])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("perplexity.checkpoint"))
    }
}
