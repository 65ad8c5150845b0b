// The architecture options of issue 23 through the whole model: finite-difference gradients for
// each option alone and together, recomputation, thread independence, the KV cache, zero init and
// checkpoints that record and reload the options.
import SluiceCore
import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceTrain

/// A tiny config with the named architecture options switched on.
func modernConfig(_ name: String, vocab: Int = 13, context: Int = 8, layers: Int = 2, heads: Int = 2, width: Int = 8)
    -> GPTConfig
{
    var c = GPTConfig(vocabSize: vocab, contextLength: context, layers: layers, heads: heads, width: width)
    let parts =
        name == "all"
        ? ["rope", "rmsnorm", "qk_norm", "relu2", "untied", "softcap", "zero_init", "no_bias"]
        : name == "llama"
            ? ["rope", "rmsnorm", "swiglu", "untied", "no_bias"] : name.split(separator: "+").map(String.init)
    for p in parts {
        switch p {
        case "rope": c.positions = .rope
        case "rmsnorm": c.norm = .rmsnorm
        case "qk_norm": c.qkNorm = true
        case "relu2": c.mlp = .relu2
        case "swiglu": c.mlp = .swiglu
        case "untied": c.tieEmbeddings = false
        case "softcap": c.logitSoftcap = 2
        case "zero_init": c.zeroInitProjections = true
        case "no_bias": c.bias = false
        default: preconditionFailure("unknown option \(p)")
        }
    }
    return c
}

let modernNames = [
    "rope", "rmsnorm", "qk_norm", "relu2", "swiglu", "untied", "softcap", "no_bias", "all", "llama", "qk_norm+swiglu",
]

@Suite struct ModernGPTTests {
    @Test(arguments: modernNames)
    func wholeModelGradientMatchesFiniteDifferences(name: String) throws {
        let config = modernConfig(name)
        let model = try GPT(config: config, threads: 2)
        model.initialize(seed: 42)
        var r = SplitMix64(seed: 3)
        for i in 0..<model.params.count { model.params[i] += Float(r.nextGaussian() * 0.2) }
        let B = 2, T = 6
        let (x, y) = tinyBatch(B: B, T: T, V: config.vocabSize, seed: 9)
        model.prepareTraining()
        model.zeroGradients()
        model.forward(tokens: x, targets: y, B: B, T: T, forTraining: true)
        model.backward()
        let analytic = model.grads
        var indices: [Int] = []
        for (k, t) in model.layout.tensors.enumerated() {
            for s in sampleIndices(t.count, 4, seed: UInt64(k)) { indices.append(t.offset + s) }
        }
        let (num, den, worst, worstName) = finiteDifferences(model, analytic: analytic, at: indices) {
            model.forward(tokens: x, targets: y, B: B, T: T, forTraining: true)
        }
        #expect((num / den).squareRoot() < 1e-2, "\(name): relative gradient error \((num / den).squareRoot())")
        #expect(worst < 5e-2, "\(name): worst entry \(worst): \(worstName)")
    }

    @Test(arguments: ["all", "llama"])
    func recomputationAndThreadsGiveTheSameGradients(name: String) throws {
        var results: [([Float], Double)] = []
        for (threads, recompute) in [(2, false), (2, true), (1, false)] {
            let model = try GPT(
                config: modernConfig(name, vocab: 50, context: 16, heads: 4, width: 32), threads: threads)
            model.initialize(seed: 5)
            var r = SplitMix64(seed: 1)
            for i in 0..<model.params.count { model.params[i] += Float(r.nextGaussian() * 0.05) }
            model.dropout = 0.2
            model.dropoutSeed = 3
            let (x, y) = tinyBatch(B: 3, T: 16, V: 50, seed: 6)
            model.prepareTraining()
            model.zeroGradients()
            let loss = model.forward(tokens: x, targets: y, B: 3, T: 16, recompute: recompute, forTraining: true)
            model.backward()
            results.append((model.grads, loss))
        }
        #expect(results[0].1 == results[1].1 && results[0].0 == results[1].0, "recomputation changed the gradients")
        #expect(results[0].1 == results[2].1 && results[0].0 == results[2].0, "1 and 2 threads differ")
    }

    @Test(arguments: modernNames)
    func kvCacheMatchesTheFullForwardPass(name: String) throws {
        let model = try GPT(config: modernConfig(name, vocab: 40, context: 12, heads: 2, width: 16), threads: 2)
        model.initialize(seed: 7)
        var r = SplitMix64(seed: 2)
        for i in 0..<model.params.count { model.params[i] += Float(r.nextGaussian() * 0.1) }
        let ids: [Int32] = [5, 30, 17, 17, 9, 3, 25, 12, 1, 39]
        model.forward(tokens: ids, targets: nil, B: 1, T: ids.count)
        let full = (0..<ids.count).map { Array(model.lastRow($0)) }
        let gen = Generator(model: model)
        var incremental = [gen.append(Array(ids[0..<4]))]
        for i in 4..<ids.count { incremental.append(gen.append([ids[i]])) }
        for (j, pos) in (3..<ids.count).enumerated() {
            let (d, at) = maxRelDiff(incremental[j], full[pos], floor: 1e-2)
            #expect(d < 1e-4, "\(name) position \(pos): logits differ by \(d) at \(at)")
        }
        // Sampling runs past the context (the cache is rebuilt) without trouble.
        var o = SamplingOptions()
        o.maxTokens = 30
        #expect(gen.generate(prompt: [1, 2, 3], options: o).count == 30)
    }

    @Test func zeroInitStartsWithZeroProjectionsAndUniformLogits() throws {
        let config = modernConfig("untied+zero_init", vocab: 50, context: 8, width: 16)
        let model = try GPT(config: config, threads: 2)
        model.initialize(seed: 1)
        for t in model.layout.tensors where t.name.hasSuffix("c_proj.weight") || t.name == "lm_head.weight" {
            #expect(model.params[t.range].allSatisfy { $0 == 0 }, "\(t.name) is not zero")
        }
        #expect(model.params[model.layout["h.0.attn.c_attn.weight"]!.range].contains { $0 != 0 })
        let (x, y) = tinyBatch(B: 2, T: 8, V: 50, seed: 2)
        let loss = model.forward(tokens: x, targets: y, B: 2, T: 8)
        #expect(abs(loss - log(50.0)) < 1e-5, "a zero head gives uniform logits: loss \(loss), ln 50 = \(log(50.0))")
    }

    @Test func layoutFollowsTheOptions() throws {
        let gpt2 = ParameterLayout(tinyConfig)
        #expect(gpt2.tensors.count == 2 + 12 * 2 + 2)
        let all = ParameterLayout(modernConfig("all"))
        let names = Set(all.tensors.map(\.name))
        #expect(
            !names.contains("wpe.weight") && !names.contains("ln_f.bias") && !names.contains("h.0.attn.c_attn.bias"))
        #expect(names.contains("lm_head.weight") && all.head == all["lm_head.weight"]!.offset)
        let sw = modernConfig("swiglu")
        #expect(sw.mlpHidden == 24 && ParameterLayout(sw)["h.1.mlp.c_fc.weight"]!.shape == [8, 48])
        #expect(ParameterLayout(sw)["h.1.mlp.c_proj.weight"]!.shape == [24, 8])
        let gpt2FLOPs: Double = 6 * (2 * 12 * 64 + 13 * 8) + 6 * 2 * 8 * 8 * 2  // today's formula, L 2, C 8, V 13, T 8
        #expect(tinyConfig.trainingFLOPsPerToken(T: 8) == gpt2FLOPs)
    }

    @Test(arguments: ["all", "llama", "rope+qk_norm+swiglu+softcap"])
    func checkpointRecordsTheOptionsAndLoadsBack(name: String) throws {
        let dir = try TestSupport.temporaryDirectory("modern-ckpt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = modernConfig(name, vocab: 40, context: 12, width: 16)
        config.ropeTheta = 500
        let model = try GPT(config: config, threads: 2)
        model.initialize(seed: 3)
        var r = SplitMix64(seed: 4)
        for i in 0..<model.params.count { model.params[i] += Float(r.nextGaussian() * 0.1) }
        try Checkpoint.save(model: model, to: dir + "/ckpt")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/ckpt/config.json")))
                as? [String: Any])
        #expect(json["model_type"] as? String == (config.isLlamaCompatible ? "llama" : "sluice_gpt"))
        let back = try Checkpoint.load(dir + "/ckpt")
        #expect(back.config == config)
        #expect(back.params == model.params)
        let ids: [Int32] = [1, 2, 3, 4, 5]
        model.forward(tokens: ids, targets: nil, B: 1, T: 5)
        let a = Array(model.lastRow(4))
        back.forward(tokens: ids, targets: nil, B: 1, T: 5)
        #expect(Array(back.lastRow(4)) == a)
    }

    @Test func gpt2ConfigJSONIsUnchanged() {
        let j = tinyConfig.huggingFaceJSON()
        #expect(j["model_type"] as? String == "gpt2")
        #expect(
            Set(j.keys) == [
                "model_type", "architectures", "vocab_size", "n_positions", "n_ctx", "n_embd", "n_layer", "n_head",
                "n_inner",
                "activation_function", "layer_norm_epsilon", "resid_pdrop", "embd_pdrop", "attn_pdrop",
                "initializer_range",
                "scale_attn_weights", "tie_word_embeddings", "torch_dtype", "use_cache",
            ])
    }

    @Test func ropeNeedsAnEvenHeadSize() {
        var c = GPTConfig(vocabSize: 10, contextLength: 8, layers: 1, heads: 2, width: 6)
        c.positions = .rope
        #expect { _ = try GPT(config: c) } throws: { "\($0)".contains("even head size") }
    }
}
