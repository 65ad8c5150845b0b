// End to end through the `sluice` binary: Pipelines/commoncrawl.yaml on the Wget crawl excerpt
// (WARC → extract → language → filters → write), `inspect warc` and `extract` output and exit codes.
import Foundation
import SluiceCore
import SluiceIngest
import SluiceTestSupport
import Testing

@Suite struct WebPipelineTests {
    /// Documents of every .jsonl.zst under `dir`, as JSON objects.
    func documents(in dir: String) throws -> [[String: Any]] {
        var out: [[String: Any]] = []
        for f in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where f.hasSuffix(".jsonl.zst") {
            let source = try openByteSource(dir + "/" + f)
            var bytes = [UInt8]()
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { break }
                bytes += chunk[0..<n]
            }
            for line in bytes.split(separator: 0x0a) {
                out.append(try JSONSerialization.jsonObject(with: Data(line)) as! [String: Any])
            }
        }
        return out
    }

    @Test func commoncrawlPipelineRunsOnTheFixture() throws {
        let dir = try TestSupport.temporaryDirectory("web")
        let sluice = try TestSupport.sluiceBinary()
        let model = dir + "/toxicity.slcm"  // the classify step's model, trained as `make demo` does
        let train = try TestSupport.run(
            sluice,
            [
                "classifier", "train", "--input", "Fixtures/clean/davidson-400.csv", "--text-field", "tweet",
                "--label-field", "class", "--output", model,
            ], directory: TestSupport.packageRoot)
        #expect(train.status == 0, "\(train.stderr)")
        let r = try TestSupport.run(
            sluice,
            [
                "run", "Pipelines/commoncrawl.yaml", "--input", "Fixtures/warc/wget-crawl-excerpt.warc.gz", "--output",
                dir + "/cc",
                "--set", "classify.model=" + model,
            ],
            environment: ["SLUICE_NO_PROGRESS": "1"], directory: TestSupport.packageRoot)
        #expect(r.status == 0, "\(r.stderr)")
        let report = try StatsReport.load(outputDirectory: dir + "/cc")
        let stages = try #require(report.passes.first { $0.pass == "segment-0" }).stages
        #expect(
            stages.map(\.name) == [
                "warc", "extract", "language", "normalize", "length", "gopher_repetition", "gopher_quality", "c4",
                "fineweb",
                "wordlist", "spam_heuristics", "pii", "classify", "write",  // intermediate files for the dedup passes
            ])
        #expect(stages[0].documentsOut == 50)  // text/html 200 responses in the excerpt
        #expect(stages[0].errors.isEmpty)
        #expect(stages[1].documentsOut >= 45, "extract drops: \(stages[1].drops)")
        // FineWeb's language filter comes first: the excerpt is a multilingual crawl, English pages stay.
        let language = stages[2]
        #expect(language.documentsIn == stages[1].documentsOut)
        #expect(language.drops.keys.allSatisfy { $0.hasPrefix("language:") }, "\(language.drops)")
        #expect(language.documentsOut > 5 && language.documentsOut < language.documentsIn, "\(language.drops)")
        let written = report.passes.last!.stages.last!
        #expect(written.name == "write")
        let docs = try documents(in: dir + "/cc")
        #expect(docs.count == written.documentsOut)
        #expect(docs.count > 5)
        for d in docs {
            #expect((d["source"] as? String) == "warc")
            let text = d["text"] as? String ?? ""
            #expect(text.split(whereSeparator: { $0 == " " || $0 == "\n" }).count >= 50)
            #expect(!text.contains("<div") && !text.contains("<p>"))
            let meta = d["metadata"] as? [String: Any] ?? [:]
            #expect((meta["url"] as? String)?.hasPrefix("http://127.0.0.1:18080/") == true)
            #expect(meta["title"] is String)
            #expect(meta["language"] as? String == "en")
            #expect((meta["language_score"] as? Double ?? 0) > 0.65)
        }
    }

    @Test func inspectCommand() throws {
        let sluice = try TestSupport.sluiceBinary()
        let ok = try TestSupport.run(sluice, ["inspect", "warc", TestSupport.fixture("warc/truncated-record.warc")])
        #expect(ok.status == 0)
        #expect(ok.stdout.split(separator: "\n").count == 4)  // as warcio: the short response is listed, marked
        #expect(ok.stderr.contains("warc:content_length_mismatch"))
        let lz4 = try TestSupport.temporaryFile("x.warc.lz4", [0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0, 0, 0])
        let bad = try TestSupport.run(sluice, ["inspect", "warc", lz4])
        #expect(bad.status != 0)
        #expect(bad.stderr.split(separator: "\n").count == 1 && bad.stderr.contains("not supported"))
        let count = try TestSupport.run(
            sluice, ["dev", "warc-count", TestSupport.fixture("warc/commoncrawl-excerpt.warc.gz")])
        #expect(count.stdout.contains("\"documents\": 50"))
    }

    @Test func extractCommand() throws {
        let sluice = try TestSupport.sluiceBinary()
        let id = "9da36ae4714bfccc72374c6c146e9d1cd3cca39e2110bd67ccdbcc806f4cf139"
        let r = try TestSupport.run(sluice, ["extract", "--json", TestSupport.fixture("html/\(id).html.gz")])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(Set(o.keys) == ["title", "text", "lang"])
        #expect(((o["text"] as? String)?.count ?? 0) > 500)
        let plain = try TestSupport.run(sluice, ["extract", TestSupport.fixture("html/\(id).html.gz")])
        #expect(plain.stdout.hasPrefix(String((o["text"] as! String).prefix(40))))
        let missing = try TestSupport.run(sluice, ["extract", "/nonexistent.html"])
        #expect(missing.status != 0 && missing.stderr.contains("nonexistent"))
    }
}
