// End-to-end tests of the `sluice` binary: help, `stages`, config errors, `run` with overrides,
// sharding and markers, `stage`, `stats`, and 1 vs 2 workers.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct CLITests {
    @Test func helpListsSubcommands() throws {
        let r = try TestSupport.run(try TestSupport.sluiceBinary(), ["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE"))
        for command in ["run", "stage", "stages", "stats"] { #expect(r.stdout.contains("  \(command) ")) }
    }

    @Test func stagesListsKindsOptionsDefaultsAndHelp() throws {
        let dir = try TestSupport.temporaryDirectory("cli")
        let r = try CLI.sluice(["stages"], in: dir)
        #expect(r.status == 0)
        #expect(r.stdout.contains("jsonl (reader: .jsonl"))
        #expect(r.stdout.contains("write (writer)"))
        #expect(r.stdout.contains("length (filter)"))
        let length = try CLI.sluice(["stages", "length"], in: dir)
        let minWords = length.stdout.split(separator: "\n").first { $0.contains("min_words") }.map(String.init) ?? ""
        #expect(minWords.contains("int") && minWords.contains("= 0") && minWords.contains("fewest words kept"))
        #expect(!length.stdout.contains("jsonl"))
        let unknown = try CLI.sluice(["stages", "nope"], in: dir)
        #expect(unknown.status == 1 && unknown.stderr == "sluice: usage error: unknown stage 'nope'\n")
    }

    @Test func configErrorsAreOneLineNamingFileLineAndKey() throws {
        let dir = try TestSupport.temporaryDirectory("cli")
        try CLI.write([CLI.jsonl(id: "a", text: "one two three")], to: dir + "/in.jsonl")
        try """
        input: {paths: [in.jsonl]}
        output: out
        stages:
          - length: {min_wrods: 3}
          - write
        """.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        let r = try CLI.sluice(["run", "p.yaml"], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("sluice: config error: length.min_wrods: unknown option"))
        #expect(r.stderr.hasSuffix("(p.yaml:4)\n"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))  // nothing ran

        let bad = try CLI.sluice(["run", "p.yaml", "--set", "length.min_wrods=x"], in: dir)
        #expect(bad.status == 1)
        try "input: [in.jsonl]\noutput: out\nstages: [write]\nextra: 1\n".write(
            toFile: dir + "/q.yaml", atomically: true, encoding: .utf8)
        let unknownKey = try CLI.sluice(["run", "q.yaml"], in: dir)
        #expect(
            unknownKey.stderr
                == "sluice: config error: extra: unknown key (known: input, output, tasks, workers, stages, dropped, checkpoint_every) (q.yaml:4)\n"
        )
        try "input: [in.jsonl]\noutput: out\nstages: [write]\n".write(
            toFile: dir + "/r.yaml", atomically: true, encoding: .utf8)
        let missing = try CLI.sluice(["run", "r.yaml", "--input", "nothing/*.jsonl"], in: dir)
        #expect(missing.status == 1)
        #expect(missing.stderr == "sluice: config error: no input matches 'nothing/*.jsonl' (--input)\n")
        let noFile = try CLI.sluice(["run", "absent.yaml"], in: dir)
        #expect(noFile.stderr == "sluice: config error: cannot read the pipeline file (absent.yaml)\n")
    }

    /// Three input files with ten documents each.
    func threeInputs(_ dir: String) throws {
        for f in 0..<3 {
            let docs = CLI.documents(prefix: "f\(f)", count: 10, seed: UInt64(f))
            try CLI.write(docs.map { CLI.jsonl(id: $0.id, text: $0.text) }, to: dir + "/in/f\(f).jsonl.gz")
        }
        try """
        input: {paths: ["in/*.jsonl.gz"]}
        output: out
        stages:
          - length: {min_words: 1}
          - write: {compression: zstd}
        """.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
    }

    @Test func runWritesOutputsMarkersStatsAndPrintsTheTable() throws {
        let dir = try TestSupport.temporaryDirectory("cli")
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try threeInputs(dir)
        let r = try CLI.sluice(["run", "p.yaml", "--set", "length.min_words=30"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("segment-0: 3 of 3 tasks"))
        #expect(r.stdout.contains("dropped  length:too_few_words"))
        let docs = try CLI.documents(in: dir + "/out")
        #expect(docs.count > 0 && docs.count < 30)
        #expect(docs.allSatisfy { $0.text.split(separator: " ").count >= 30 })
        for t in 0..<3 {
            #expect(FileManager.default.fileExists(atPath: dir + "/out/_markers/segment-0/0000\(t).done"))
        }
        // `sluice stats` prints the same table; --json is machine-readable.
        let stats = try CLI.sluice(["stats", "out"], in: dir)
        #expect(stats.stdout == r.stdout)
        let json = try CLI.sluice(["stats", "out", "--json"], in: dir)
        let report = try JSONDecoder().decode(StatsReport.self, from: Data(json.stdout.utf8))
        let stages = report.passes[0].stages
        #expect(stages.map(\.name) == ["jsonl", "length", "write"])
        #expect(stages[0].documentsOut == 30)
        #expect(stages[1].documentsOut == docs.count)
        #expect(stages[1].drops["length:too_few_words"] == 30 - docs.count)
        #expect(stages[2].bytesOut > 0)
        // A rerun skips every task and prints the same stats.
        let again = try CLI.sluice(["run", "p.yaml", "--set", "length.min_words=30"], in: dir)
        #expect(again.stderr.contains("skipped 3 finished tasks"))
        #expect(again.stdout == r.stdout)
        let noStats = try CLI.sluice(["stats", "in"], in: dir)
        #expect(noStats.status == 1 && noStats.stderr.hasPrefix("sluice: i/o error: no stats here"))
    }

    @Test func taskIndexRunsOneShardAndTheRestFollows() throws {
        let dir = try TestSupport.temporaryDirectory("cli")
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try threeInputs(dir)
        let one = try CLI.sluice(["run", "p.yaml", "--tasks", "2", "--task-index", "1"], in: dir)
        #expect(one.status == 0, "\(one.stderr)")
        // Task 1 of 2 owns input 1 only (inputs i with i mod 2 == 1).
        #expect(try CLI.documents(in: dir + "/out").map(\.id) == (0..<10).map { "f1-\($0)" })
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/out/_markers/segment-0") == ["00001.done"])
        let rest = try CLI.sluice(["run", "p.yaml", "--tasks", "2"], in: dir)
        #expect(rest.stderr.contains("skipped 1 finished tasks"))
        #expect(
            try CLI.documents(in: dir + "/out").map(\.id).sorted()
                == (0..<3).flatMap { f in (0..<10).map { "f\(f)-\($0)" } }.sorted())
        let wrongPass = try CLI.sluice(["run", "p.yaml", "--pass", "nope"], in: dir)
        #expect(wrongPass.stderr == "sluice: usage error: no pass named 'nope' (passes: segment-0)\n")
        let plan = try CLI.sluice(["run", "p.yaml", "--tasks", "2", "--plan"], in: dir)
        #expect(plan.stdout == "segment-0\t2 tasks\n")
    }

    @Test func stageRunsOneStageWithAReaderAndAWriter() throws {
        let dir = try TestSupport.temporaryDirectory("cli")
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try threeInputs(dir)
        let r = try CLI.sluice(
            [
                "stage", "sample", "--set", "fraction=0.5", "--set", "seed=7", "--input", "in/*.jsonl.gz", "--output",
                "s",
            ], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sample:not_sampled"))
        let n = try CLI.documents(in: dir + "/s").count
        #expect(n > 3 && n < 27)
        // A reader alone: text files to JSONL.
        try "para one\n\npara two\n".write(toFile: dir + "/in/t.txt", atomically: true, encoding: .utf8)
        let text = try CLI.sluice(
            ["stage", "text", "--set", "split=paragraph", "--input", "in/t.txt", "--output", "t"], in: dir)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(try CLI.documents(in: dir + "/t").map(\.text) == ["para one", "para two"])
        let bad = try CLI.sluice(
            ["stage", "sample", "--set", "fraction=2", "--input", "in/*.gz", "--output", "x"], in: dir)
        #expect(bad.status == 1 && bad.stderr.hasPrefix("sluice: config error: sample.fraction: 2.0 is outside"))
    }

    @Test func oneAndTwoWorkersWriteIdenticalBytes() throws {
        let dir = try TestSupport.temporaryDirectory("cli")
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        for f in 0..<6 {
            let docs = CLI.documents(prefix: "d\(f)", count: 200, seed: UInt64(100 + f))
            try CLI.write(
                docs.map { CLI.jsonl(id: $0.id, text: $0.text) },
                to: dir + "/in/\(f).jsonl" + (f % 2 == 0 ? ".zst" : ""))
        }
        // Steps, both corpus stages (their passes exchange files) and a writer that splits files.
        try """
        input: {paths: ["in/*.jsonl*"]}
        output: out
        tasks: 4
        stages:
          - length: {min_words: 3}
          - sample: {fraction: 0.9, seed: 1}
          - exact_dedup: {}
          - minhash_dedup: {}
          - write: {max_documents: 70}
        """.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        for workers in ["1", "2"] {
            let r = try CLI.sluice(["run", "p.yaml", "--output", "w\(workers)", "--workers", workers], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let one = CLI.tree(dir + "/w1")
        #expect(one.keys.filter { $0.hasSuffix(".jsonl.zst") && !$0.hasPrefix("_") }.count > 4)
        let differing = CLI.differences(one, CLI.tree(dir + "/w2"))
        #expect(differing.isEmpty, "files differing between 1 and 2 workers: \(differing)")
    }

    @Test func quickstartRunsOnTheFixtures() throws {
        let dir = try TestSupport.temporaryDirectory("cli")
        let sluice = try TestSupport.sluiceBinary()
        let env = ["SLUICE_NO_PROGRESS": "1"]
        // The toxicity model the quickstart's classify step reads, trained as `make demo` does.
        let model = dir + "/toxicity.slcm"
        let train = try TestSupport.run(
            sluice,
            [
                "classifier", "train", "--input", "Fixtures/clean/davidson-400.csv", "--text-field", "tweet",
                "--label-field", "class", "--output", model,
            ],
            environment: env, directory: TestSupport.packageRoot)
        #expect(train.status == 0, "\(train.stderr)")
        let r = try TestSupport.run(
            sluice, ["run", "Pipelines/quickstart.yaml", "--output", dir + "/q", "--set", "classify.model=" + model],
            environment: env, directory: TestSupport.packageRoot)
        #expect(r.status == 0, "\(r.stderr)")
        let report = try StatsReport.load(outputDirectory: dir + "/q")
        #expect(report.passes.map(\.pass).contains("minhash_dedup.clusters"))
        let first = try #require(report.passes.first { $0.pass == "segment-0" }).stages
        // Every source produced documents: a WARC crawl, a Wikipedia dump, JSONL, text.
        for reader in ["warc", "wikipedia", "jsonl", "text"] {
            #expect((first.first { $0.name == reader }?.documentsOut ?? 0) > 0, "\(reader) read nothing")
        }
        #expect((first.first { $0.name == "length" }?.drops["length:too_few_words"] ?? 0) > 0)
        #expect((first.first { $0.name == "gopher_quality" }?.drops.values.reduce(0, +) ?? 0) > 0)
        // The fixtures hold exact and near copies; the dedup stages remove some of them.
        let dropsByDedup = report.passes.flatMap(\.stages).filter { $0.name.hasSuffix("_dedup") }
            .reduce(0) { $0 + $1.drops.values.reduce(0, +) }
        #expect(dropsByDedup > 0)
        let written = report.passes.last!.stages.last!
        #expect(written.name == "write")
        #expect(written.documentsOut == (try CLI.documents(in: dir + "/q").count))
        #expect(written.documentsOut > 20)
    }
}
