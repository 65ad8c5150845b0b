// Every file in Pipelines/ runs (or, for the training configuration, trains) from a fresh clone, as
// its header documents: a temporary folder holding only copies of Pipelines/ and Fixtures/, with no
// out/ folder and no ../shared beside it. Outputs are checked only as far as "it ran and wrote".
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite(.serialized) struct ShippedPipelineTests {
    /// The pipeline files this suite runs; a new file in Pipelines/ must be added here.
    static let covered: Set<String> = [
        "code.yaml", "commoncrawl.yaml", "dedup.yaml", "quickstart.yaml", "tokenize.yaml",
        "quality-classifier.yaml",  // Tests/SluiceCLITests/QualityClassifierRecipeTests
        "ablation.yaml", "ablation-fixtures.yaml",  // sluice ablate files: Tests/SluiceAblateTests
        "train-mlm.yaml",  // trained, resumed and evaluated in MaskedLMCLITests
        "train-tiny.yaml",
        "train-small.yaml",
        "sft.yaml",  // sluice finetune: Tests/SluiceCLITests/FineTuneCLITests.swift
        "wikipedia.yaml",
    ]

    /// A temporary folder with copies of the repository's Pipelines/ and Fixtures/ and nothing else.
    static func freshClone() throws -> String {
        let dir = try TestSupport.temporaryDirectory("fresh-clone")
        for folder in ["Pipelines", "Fixtures"] {
            try FileManager.default.copyItem(
                atPath: TestSupport.packageRoot + "/" + folder, toPath: dir + "/" + folder)
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/../shared/corpus"))
        return dir
    }

    /// Runs `sluice` in `dir` and requires exit status 0, showing stderr otherwise.
    @discardableResult
    static func ok(_ arguments: [String], in dir: String) throws -> TestSupport.ProcessResult {
        let r = try CLI.sluice(arguments, in: dir)
        #expect(r.status == 0, "sluice \(arguments.joined(separator: " ")): \(r.stderr)")
        return r
    }

    @Test func everyShippedPipelineIsCovered() throws {
        let names = try FileManager.default.contentsOfDirectory(
            atPath: TestSupport.packageRoot + "/Pipelines"
        )
        .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
        #expect(
            Set(names) == Self.covered,
            "Pipelines/ holds \(names.sorted()); this suite runs \(Self.covered.sorted())")
    }

    /// The README's first example: `sluice run Pipelines/quickstart.yaml`, no model file anywhere.
    @Test func quickstartTrainsItsModelAndRuns() throws {
        let dir = try Self.freshClone()
        let plan = try Self.ok(["run", "Pipelines/quickstart.yaml", "--plan"], in: dir).stdout
        #expect(plan.hasPrefix("classify.train\t1 tasks"), "\(plan)")
        try Self.ok(["run", "Pipelines/quickstart.yaml"], in: dir)
        let model = try #require(
            FileManager.default.contents(atPath: dir + "/out/models/toxicity.slcm"))
        #expect(model.prefix(4) == Data("SLCM".utf8))
        let report = try StatsReport.load(outputDirectory: dir + "/out/quickstart")
        let train = try #require(report.passes.first { $0.pass == "classify.train" })
        #expect(train.stages.first?.counters["model_trained"] == 1)
        #expect(try CLI.documents(in: dir + "/out/quickstart").count > 20)
        // The same model from the same labels: training is deterministic.
        try FileManager.default.removeItem(atPath: dir + "/out/models/toxicity.slcm")
        try Self.ok(["run", "Pipelines/quickstart.yaml", "--output", "out/q2"], in: dir)
        #expect(FileManager.default.contents(atPath: dir + "/out/models/toxicity.slcm") == model)
        // tokenize.yaml reads the quickstart's output, as its header says.
        try Self.ok(["run", "Pipelines/tokenize.yaml"], in: dir)
        #expect(FileManager.default.fileExists(atPath: dir + "/out/tokenize/tokenizer.json"))
    }

    @Test func commoncrawlRunsOnTheFixtureCrawl() throws {
        let dir = try Self.freshClone()
        // As shipped it reads ../shared; the error says which input is missing.
        let missing = try CLI.sluice(["run", "Pipelines/commoncrawl.yaml", "--plan"], in: dir)
        #expect(missing.status != 0)
        #expect(
            missing.stderr.contains("no input matches '../shared/corpus/warc/crawl/*.warc.gz'"),
            "\(missing.stderr)")
        let input = ["--input", "Fixtures/warc/wget-crawl-excerpt.warc.gz"]
        let plan = try Self.ok(["run", "Pipelines/commoncrawl.yaml", "--plan"] + input, in: dir).stdout
        #expect(plan.contains("classify.train\t1 tasks"))
        try Self.ok(["run", "Pipelines/commoncrawl.yaml"] + input, in: dir)
        #expect(FileManager.default.fileExists(atPath: dir + "/out/models/toxicity.slcm"))
        let report = try StatsReport.load(outputDirectory: dir + "/out/commoncrawl")
        #expect(report.passes.contains { $0.pass == "minhash_dedup.clusters" })
    }

    @Test func wikipediaCodeAndDedupRunAsDocumented() throws {
        let dir = try Self.freshClone()
        try Self.ok(
            ["run", "Pipelines/wikipedia.yaml", "--input", "Fixtures/wiki/enwiki-excerpt.xml.bz2"],
            in: dir)
        #expect(try CLI.documents(in: dir + "/out/wikipedia").count > 0)
        try Self.ok(["run", "Pipelines/code.yaml"], in: dir)
        #expect(try CLI.documents(in: dir + "/out/code").count > 0)
        try Self.ok(["run", "Pipelines/dedup.yaml"], in: dir)
        #expect(try CLI.documents(in: dir + "/out/dedup").count > 0)
    }

    /// train-tiny.yaml is a `sluice train` configuration; its header's fresh-clone path works.
    @Test func trainTinyTrainsOnFixtureShards() throws {
        let dir = try Self.freshClone()
        try Self.ok(
            [
                "run", "Pipelines/tokenize.yaml", "--input", "Fixtures/train/tinyshakespeare-16k.txt",
                "--output",
                "out/tokenize-text", "--set", "tokenize.validation_fraction=0.5",
            ],
            in: dir)
        try Self.ok(
            [
                "train", "Pipelines/train-tiny.yaml", "--steps", "1", "--batch-size", "1", "--set",
                "train.grad_accum=1",
                "--set", "train.warmup=0", "--set", "train.eval_batches=1",
            ],
            in: dir)
        #expect(FileManager.default.fileExists(atPath: dir + "/runs/train-tiny/latest"))
        // train-small.yaml (issue 23) reads the same shards.
        try Self.ok(
            [
                "train", "Pipelines/train-small.yaml", "--steps", "1", "--batch-size", "1", "--set",
                "train.grad_accum=1",
                "--set", "train.warmup=0", "--set", "train.eval_batches=1",
            ],
            in: dir)
        #expect(FileManager.default.fileExists(atPath: dir + "/runs/train-small/latest/config.json"))
    }

    /// A classify step without a model file or labels says which command creates the file.
    @Test func missingModelNamesTheCommandThatMakesIt() throws {
        let dir = try Self.freshClone()
        let r = try CLI.sluice(
            ["run", "Pipelines/quickstart.yaml", "--plan", "--set", "classify.train_input=null"], in: dir)
        #expect(r.status != 0)
        #expect(r.stderr.contains("sluice classifier train"), "\(r.stderr)")
        #expect(r.stderr.contains("out/models/toxicity.slcm"), "\(r.stderr)")
    }
}
