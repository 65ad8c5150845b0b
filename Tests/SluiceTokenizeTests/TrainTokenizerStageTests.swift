// The train_tokenizer passes and the tokenize writer, run directly with a PassEnvironment and
// TaskContexts (as the engine would): counts per document file, one training task, shards per task with a
// deterministic validation split, identical bytes across runs and worker counts; unknown options.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

@Suite struct TrainTokenizerStageTests {
    @Test func trainThenTokenize() throws {
        let dir = try TestSupport.temporaryDirectory("stages")
        let lines = try fixtureLines("udhr-multilingual.txt")
        try jsonlFile(dir + "/d0.jsonl", Array(lines.prefix(200)))
        try jsonlFile(dir + "/d1.jsonl", Array(lines.dropFirst(200)))
        let stage = try StageHarness.build(TrainTokenizerStage.self, [("vocab_size", "700")])
        let env = PassEnvironment(
            documentFiles: [dir + "/d0.jsonl", dir + "/d1.jsonl"], workDirectory: dir + "/work", segmentTasks: 2)
        try FileManager.default.createDirectory(atPath: env.workDirectory, withIntermediateDirectories: true)
        let passes = stage.passes()
        #expect(passes.map(\.name) == ["word_counts", "train"])
        #expect(passes[0].taskCount(environment: env) == 2 && passes[1].taskCount(environment: env) == 1)
        for t in 0..<2 { try passes[0].run(task: t, environment: env, context: context(dir, task: t, tasks: 2)) }
        let c = try context(dir, task: 0, tasks: 1)
        try passes[1].run(task: 0, environment: env, context: c)
        try commit(c)
        let tok = try Tokenizer.load(path: dir + "/out/tokenizer.json")
        #expect(tok.vocabSize == 700)
        // Same tokenizer as training on all text in one go.
        let direct = try TokenizerTrainingSettings(model: "bpe", vocabSize: 700).train(
            TrainingCorpus.countWords(
                paths: [dir + "/d0.jsonl", dir + "/d1.jsonl"], splitter: .pattern(.gpt2), workers: 2))
        #expect(direct.fingerprint == tok.fingerprint)

        // Tokenize with two tasks, small shards, a validation share.
        func run() throws -> [String: Data] {
            try? FileManager.default.removeItem(atPath: dir + "/out/train")
            try? FileManager.default.removeItem(atPath: dir + "/out/validation")
            for t in 0..<2 {
                var w = try StageHarness.build(
                    TokenizeWriter.self,
                    [("shard_tokens", "3000"), ("frame_tokens", "500"), ("validation_fraction", "0.1")])
                let c = try context(dir, task: t, tasks: 2)
                try w.prepare(context: c)
                for (i, line) in lines.enumerated() where i % 2 == t {
                    try w.write(Document(id: "doc\(i)", text: line, source: "t"), context: c)
                }
                try w.finish(context: c)
                try commit(c)
            }
            var files: [String: Data] = [:]
            for split in ["train", "validation"] {
                for f in try FileManager.default.contentsOfDirectory(atPath: dir + "/out/" + split) {
                    files[split + "/" + f] = FileManager.default.contents(atPath: dir + "/out/\(split)/\(f)")
                }
            }
            return files
        }
        let first = try run()
        #expect(first.keys.filter { $0.hasPrefix("train/") }.count >= 4)  // several shards per task
        let train = try ShardDataset(directory: dir + "/out", split: .train, tokenizer: tok)
        let validation = try ShardDataset(directory: dir + "/out", split: .validation, tokenizer: tok)
        #expect(train.documentCount + validation.documentCount == lines.count)
        #expect(validation.documentCount > 10 && validation.documentCount < 90)
        var decoded: [String] = []
        for s in train.shards {
            for d in 0..<s.documentCount { decoded.append(tok.decode(try s.document(d), skipSpecialTokens: true)) }
        }
        #expect(Set(decoded).isSubset(of: Set(lines)))
        #expect(try run() == first)  // deterministic bytes
    }

    @Test func unknownOptionIsAnError() throws {
        let error = #expect(throws: SluiceError.self) {
            try StageHarness.build(TrainTokenizerStage.self, [("vocab_sise", "700")], file: "p.yaml")
        }
        #expect(error?.description.hasPrefix("config error: train_tokenizer.vocab_sise: unknown option") == true)
    }

    @Test(arguments: ["bpe", "unigram"])
    func oneAndTwoWorkersGiveIdenticalFiles(model: String) throws {
        let path = TestSupport.fixture("tokenize/udhr-multilingual.txt")
        let settings = TokenizerTrainingSettings(model: model, vocabSize: 700)
        let a = try settings.train(paths: [path], workers: 1).0.jsonString()
        let b = try settings.train(paths: [path], workers: 2).0.jsonString()
        #expect(a == b)
    }
}
