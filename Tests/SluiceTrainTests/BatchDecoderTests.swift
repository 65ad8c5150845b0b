// The batched decoder of `sluice serve` against `Generator`, over F32 and INT8 weights: alone, a
// sequence gets Generator's exact ids (every architecture option, sampling settings, a context that
// fills and is rebuilt); batched with others of different lengths and positions, its logits stay
// within float rounding of Generator's and its greedy ids are the same; the thread count changes
// nothing; slots are reused.
import Foundation
import SluiceCore
import Testing

@testable import SluiceTrain

@Suite struct BatchDecoderTests {
    static func model(_ name: String) throws -> GPT {
        let cfg =
            name == "gpt2"
            ? GPTConfig(vocabSize: 61, contextLength: 24, layers: 2, heads: 2, width: 16)
            : modernConfig(name, vocab: 61, context: 24, layers: 2, heads: 2, width: 16)
        let m = try GPT(config: cfg, threads: 2)
        m.initialize(seed: 7)
        if cfg.zeroInitProjections {
            // Zero projections would make every position alike; give them values.
            var rng = SplitMix64(seed: 3)
            for i in m.params.indices where m.params[i] == 0 { m.params[i] = Float(rng.nextGaussian() * 0.02) }
        }
        return m
    }

    static func sampling(maxTokens: Int, temperature: Double, topP: Double = 1, seed: UInt64 = 1, stop: Int32? = nil)
        -> SamplingOptions
    {
        var o = SamplingOptions()
        o.maxTokens = maxTokens
        o.temperature = temperature
        o.topP = topP
        o.seed = seed
        o.stopID = stop
        return o
    }

    /// F32 weights (shared with `m`), or every matrix of `m` quantized to INT8.
    static func weights(_ m: GPT, int8: Bool) -> DecodeModel {
        int8 ? DecodeModel.quantizing(m) : DecodeModel(model: m)
    }

    @Test(arguments: ["gpt2", "all", "llama", "qk_norm+swiglu"], [false, true])
    func oneSequenceIsGeneratorExactly(name: String, int8: Bool) throws {
        let w = Self.weights(try Self.model(name), int8: int8)
        #expect(w.isQuantized == int8)
        let decoder = BatchDecoder(model: w, slots: 2)
        let cases: [([Int32], SamplingOptions)] = [
            ([1, 2, 3], Self.sampling(maxTokens: 10, temperature: 0)),
            ([5, 9, 11, 4, 2], Self.sampling(maxTokens: 12, temperature: 0.9, topP: 0.8, seed: 42)),
            ([], Self.sampling(maxTokens: 5, temperature: 1.0, seed: 3, stop: 0)),
            // 40 tokens through a context of 24: the cache is rebuilt from the last half.
            ([7, 8], Self.sampling(maxTokens: 40, temperature: 0.7, seed: 9)),
            ([3], Self.sampling(maxTokens: 0, temperature: 0)),
        ]
        for (prompt, o) in cases {
            let want = Generator(decoder: w).generate(prompt: prompt, options: o)
            let got = decoder.generate(prompts: [prompt], options: [o])[0]
            #expect(got == want, "\(name) int8 \(int8) prompt \(prompt): \(got) vs \(want)")
            #expect(got.count == o.maxTokens || o.stopID != nil)
        }
    }

    /// Prompts of 7, 1, 3, 2 and 5 ids: the first step has 18 rows (INT8 takes the panel path), the
    /// next ones 5 (INT8's four-row dot products), where each solo run has one row.
    @Test(arguments: ["gpt2", "llama"], [false, true])
    func batchedLogitsMatchGeneratorPerSequence(name: String, int8: Bool) throws {
        let w = Self.weights(try Self.model(name), int8: int8)
        let prompts: [[Int32]] = [[1, 2, 3, 4, 5, 6, 7], [9], [10, 20, 30], [4, 4], [60, 2, 5, 7, 11]]
        let decoder = BatchDecoder(model: w, slots: prompts.count)
        let gens = prompts.map { _ in Generator(decoder: w) }
        var inputs = prompts.enumerated().map { BatchDecoder.Input(slot: $0.offset, tokens: $0.element, start: 0) }
        var worst: Float = 0
        for _ in 0..<8 {
            let batched = decoder.step(inputs)
            for s in inputs.indices {
                let solo = gens[s].append(inputs[s].tokens)
                for j in solo.indices { worst = max(worst, abs(solo[j] - batched[s][j]) / max(1, abs(solo[j]))) }
                var best = 0
                for j in solo.indices where solo[j] > solo[best] { best = j }
                inputs[s] = .init(slot: s, tokens: [Int32(best)], start: inputs[s].start + inputs[s].tokens.count)
            }
        }
        #expect(worst < 1e-4, "int8 \(int8): largest relative logit difference \(worst)")

        // Greedy runs of different lengths together: each gets its solo ids.
        let opts = [4, 9, 6, 12, 3].map { Self.sampling(maxTokens: $0, temperature: 0) }
        let together = decoder.generate(prompts: prompts, options: opts)
        for s in prompts.indices {
            let solo = Generator(decoder: w).generate(prompt: prompts[s], options: opts[s])
            #expect(together[s] == solo, "int8 \(int8) sequence \(s): \(together[s]) vs \(solo)")
        }
    }

    /// Channels are split across threads, never a dot product: 1 and 3 threads give the same bits.
    /// A vocabulary of 601 makes the head wide enough to be split (the kernels' grain is 256).
    @Test(arguments: [false, true])
    func threadCountChangesNothing(int8: Bool) throws {
        let m = try GPT(config: GPTConfig(vocabSize: 601, contextLength: 16, layers: 1, heads: 2, width: 16))
        m.initialize(seed: 4)
        var outs: [[[Float]]] = []
        for threads in [1, 3] {
            let w = Self.weights(m, int8: int8)
            w.threads = threads
            let d = BatchDecoder(model: w, slots: 3)
            let first = d.step([.init(slot: 0, tokens: [1, 2, 3], start: 0), .init(slot: 2, tokens: [7], start: 0)])
            let second = d.step([
                .init(slot: 0, tokens: [4], start: 3), .init(slot: 1, tokens: [600, 5], start: 0),
                .init(slot: 2, tokens: [8], start: 1),
            ])
            outs.append(first + second)
        }
        #expect(outs[0] == outs[1], "int8 \(int8): results depend on the thread count")
    }

    @Test func slotsAreReusedAndReleased() throws {
        let m = try Self.model("gpt2")
        let decoder = BatchDecoder(model: m, slots: 1)
        let o = Self.sampling(maxTokens: 6, temperature: 0.8, seed: 5)
        let first = decoder.generate(prompts: [[4, 4, 4]], options: [o])[0]
        decoder.release(slot: 0)
        let second = decoder.generate(prompts: [[4, 4, 4]], options: [o])[0]
        #expect(first == second && first.count == 6)
        #expect(decoder.bytesPerSlot == 2 * 2 * 24 * 16 * 4)
    }
}
