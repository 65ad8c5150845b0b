// Training end to end on in-memory tokens: learning a repeating text, exact resumption, stale
// checkpoint temporaries, and the errors raised before training starts.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceTrain

func tinyOptions(out: String) -> TrainOptions {
    var o = TrainOptions()
    o.contextLength = 16
    o.layers = 2
    o.heads = 2
    o.width = 32
    o.batchSize = 4
    o.steps = 60
    o.lr = 1e-2
    o.minLR = 1e-3
    o.warmup = 5
    o.evalEvery = 0
    o.checkpointEvery = 0
    o.valFraction = 0
    o.out = out
    o.threads = 2
    return o
}

/// "the quick brown fox …" as byte ids, repeated: a text a tiny model can memorise.
func repeatingTokens(_ n: Int) -> [Int32] {
    let phrase = Array("the quick brown fox jumps over the lazy dog. ".utf8).map { Int32($0) - 32 }
    return (0..<n).map { phrase[$0 % phrase.count] }
}

@Suite struct TrainerTests {
    @Test func learnsARepeatingTextToNearZeroLoss() throws {
        let dir = try TestSupport.temporaryDirectory("train-overfit")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = tinyOptions(out: dir)
        o.steps = 80
        // A fixed shuffle of 48 ids, repeated: every id determines the next, so the loss can reach 0.
        var rng = SplitMix64(seed: 7)
        let cycle = (0..<48).map { Int32($0) }.shuffled(using: &rng)
        let stream = ArrayTokenStream((0..<4000).map { cycle[$0 % 48] }, vocabSize: 96)
        let t = try Trainer(options: o, train: stream, val: nil, tokenizerPath: nil)
        let records = try t.run()
        let first = records.first!.loss, last = records.last!.loss
        #expect(first > 3, "initial loss \(first) should be about ln 96 ≈ 4.6")
        #expect(last < 0.05, "final loss \(last) is not near zero")
        // The run folder has what the issue promises.
        let metrics = try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8)
        #expect(metrics.split(separator: "\n").count >= 80)
        #expect(metrics.contains("\"mfu\""))
        #expect(FileManager.default.fileExists(atPath: dir + "/loss.svg"))
        #expect(FileManager.default.fileExists(atPath: dir + "/latest/model.safetensors"))
    }

    @Test(arguments: [0.0, 0.1])
    func resumedRunGivesTheLossesOfAnUninterruptedRun(dropout: Double) throws {
        let stream = ArrayTokenStream(
            repeatingTokens(3000).enumerated().map { Int32(($0.offset * 7 + Int($0.element)) % 50) }, vocabSize: 50)
        let a = try TestSupport.temporaryDirectory("train-full")
        let b = try TestSupport.temporaryDirectory("train-resumed")
        defer {
            try? FileManager.default.removeItem(atPath: a)
            try? FileManager.default.removeItem(atPath: b)
        }
        var o = tinyOptions(out: a)
        o.steps = 10
        o.checkpointEvery = 4
        o.gradAccum = 2
        o.valFraction = 0.1
        o.evalEvery = 5
        o.dropout = dropout
        let full = try Trainer(options: o, train: stream, val: nil, tokenizerPath: nil).run()
        // Interrupted after 6 steps (the checkpoint at 4 survives), then resumed.
        o.out = b
        o.stopAfter = 6
        _ = try Trainer(options: o, train: stream, val: nil, tokenizerPath: nil).run()
        o.stopAfter = nil
        o.resume = true
        let resumed = try Trainer(options: o, train: stream, val: nil, tokenizerPath: nil)
        #expect(resumed.startStep == 4)
        let rest = try resumed.run()
        #expect(rest.map(\.step) == Array(5...10))
        #expect(rest.map(\.loss) == full.suffix(6).map(\.loss), "resumed losses differ from the uninterrupted run")
        #expect(rest.map(\.gradNorm) == full.suffix(6).map(\.gradNorm))
        // metrics.jsonl of the resumed run holds each step once.
        let lines = try String(contentsOfFile: b + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.filter { $0.contains("\"loss\"") }.count == 10)
        // config.json of the resumed run records the run's dropout, not the 0 of a loaded config.
        for run in [a, b] {
            let data = try Data(contentsOf: URL(fileURLWithPath: run + "/latest/config.json"))
            let cfg = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            for key in ["resid_pdrop", "embd_pdrop", "attn_pdrop"] {
                #expect(cfg[key] as? Double == dropout, "\(run): \(key) is \(cfg[key] ?? "missing"), not \(dropout)")
            }
        }
    }

    /// A checkpoint write killed between its first file and its rename leaves `step-N.tmp-PID`
    /// (and `latest.tmp-PID`): the next run removes those of dead processes and never reads them.
    @Test func staleCheckpointTemporariesOfDeadProcessesAreRemovedAndNeverUsed() throws {
        let dir = try TestSupport.temporaryDirectory("train-stale")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        // A process that has exited: its pid names the leftovers.
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let dead = gone.processIdentifier
        try #require(!Checkpoint.processExists(dead))
        let ckpts = dir + "/checkpoints"
        let stale = ckpts + "/step-00000099.tmp-\(dead)", old = ckpts + "/step-00000098.old-\(dead)"
        let live = ckpts + "/step-00000097.tmp-1"  // pid 1 runs: a writer still at work is left alone
        for d in [stale, old, live] {
            try fm.createDirectory(atPath: d, withIntermediateDirectories: true)
            try Data("{\"n_layer\": ".utf8).write(to: URL(fileURLWithPath: d + "/config.json"))  // half-written
        }
        #expect(symlink("checkpoints/step-00000099.tmp-\(dead)", dir + "/latest.tmp-\(dead)") == 0)
        #expect(Checkpoint.temporaryOwner("step-00000099.tmp-\(dead)") == dead)
        #expect(Checkpoint.temporaryOwner("step-00000099") == nil && Checkpoint.temporaryOwner("latest") == nil)

        var o = tinyOptions(out: dir)
        o.steps = 4
        o.checkpointEvery = 2
        o.stopAfter = 2
        var log: [String] = []
        let tokens = ArrayTokenStream(repeatingTokens(600), vocabSize: 96)
        _ = try Trainer(options: o, train: tokens, val: nil, tokenizerPath: nil, log: { log.append($0) }).run()
        #expect(!fm.fileExists(atPath: stale) && !fm.fileExists(atPath: old))
        #expect((try? fm.destinationOfSymbolicLink(atPath: dir + "/latest.tmp-\(dead)")) == nil)
        #expect(fm.fileExists(atPath: live))
        #expect(log.contains { $0.contains("step-00000099.tmp-\(dead), left by a killed run") })
        #expect(try fm.destinationOfSymbolicLink(atPath: dir + "/latest") == "checkpoints/step-00000002")
        // Resuming takes step 2, not the leftover's 97 or 99; pruning never counts the leftover.
        o.stopAfter = nil
        o.resume = true
        o.keepCheckpoints = 1
        let resumed = try Trainer(options: o, train: tokens, val: nil, tokenizerPath: nil)
        #expect(resumed.startStep == 2)
        #expect(try resumed.run().map(\.step) == [3, 4])
        #expect(try fm.contentsOfDirectory(atPath: ckpts).sorted() == ["step-00000004", "step-00000097.tmp-1"])
    }

    @Test func dataFromAnotherTokenizerIsRejectedBeforeTraining() throws {
        let o = tinyOptions(out: "/nonexistent/never-written")
        let train = ArrayTokenStream(repeatingTokens(500), vocabSize: 96, fingerprint: 0xAAAA, label: "train-shards")
        let val = ArrayTokenStream(repeatingTokens(500), vocabSize: 96, fingerprint: 0xBBBB, label: "val-shards")
        #expect {
            _ = try Trainer(options: o, train: train, val: val, tokenizerPath: nil)
        } throws: { e in
            "\(e)".contains("made by another tokenizer")
        }
    }

    @Test func anIDOutsideTheVocabularyIsAnErrorNotACrash() throws {
        var ids = repeatingTokens(400).map { $0 % 50 }
        ids[123] = 77  // a damaged shard: vocabulary 50, id 77
        let o = tinyOptions(out: try TestSupport.temporaryDirectory("train-badid"))
        defer { try? FileManager.default.removeItem(atPath: o.out) }
        #expect {
            var opts = o
            opts.steps = 200
            try Trainer(
                options: opts, train: ArrayTokenStream(ids, vocabSize: 50, label: "damaged"), val: nil,
                tokenizerPath: nil
            ).run()
        } throws: { e in
            "\(e)".contains("token id 77 at token 123 is outside the vocabulary of 50") && "\(e)".contains("damaged")
        }
    }
}
