// Muon (issue 23): Newton–Schulz against a Double oracle, one update against the formula, the
// parameter groups, training with Muon on the modern architecture, exact resumption, and the
// configuration keys.
import SluiceCore
import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceTrain

@Suite struct MuonTests {
    @Test(arguments: [(6, 10), (10, 6), (8, 8)])
    func newtonSchulzMatchesTheDoubleOracle(rows: Int, cols: Int) {
        let g = randomFloats(rows * cols, seed: UInt64(rows * 31 + cols))
        let x = Buf(g), y = Buf(zeros: rows * cols), m = min(rows, cols)
        let a = Buf(zeros: m * m), b = Buf(zeros: m * m)
        let out = Array(
            UnsafeBufferPointer(
                start: Muon.newtonSchulz(x.p, y.p, a.p, b.p, rows: rows, cols: cols), count: rows * cols))
        let want = NaiveKernels.newtonSchulz(g, rows: rows, cols: cols)
        var worst: Float = 0
        for i in 0..<out.count { worst = max(worst, abs(out[i] - want[i])) }
        #expect(worst < 1e-4, "largest difference \(worst)")
        // Near-orthogonal: the singular values land around 1 (the quintic's band is about 0.7…1.2),
        // so ‖X‖²_F is about min(rows, cols).
        let f = out.reduce(0) { $0 + $1 * $1 }
        #expect(f > 0.4 * Float(m) && f < 1.5 * Float(m), "‖X‖² = \(f) for min dimension \(m)")
    }

    @Test func oneUpdateFollowsTheFormulaPerPiece() throws {
        let config = GPTConfig(vocabSize: 11, contextLength: 4, layers: 1, heads: 2, width: 6)
        let model = try GPT(config: config, threads: 2)
        model.initialize(seed: 1)
        model.prepareTraining()
        model.grads = randomFloats(model.params.count, seed: 2)
        var muon = Muon(layout: model.layout)
        var buffers = randomFloats(model.params.count, seed: 3)
        let p0 = model.params, m0 = buffers, lr: Float = 0.05, beta: Float = 0.95
        muon.update(model, buffers: &buffers, lr: lr)
        // The q piece of c_attn (6 × 6 of the 6 × 18 weight) and the whole c_fc (6 × 24).
        for (name, col0, cols) in [
            ("h.0.attn.c_attn.weight", 0, 6), ("h.0.attn.c_attn.weight", 12, 6), ("h.0.mlp.c_fc.weight", 0, 24),
        ] {
            let t = model.layout[name]!, stride = t.shape[1], rows = t.shape[0]
            var u: [Float] = [], idx: [Int] = []
            for i in 0..<rows {
                for j in col0..<(col0 + cols) {
                    let k = t.offset + i * stride + j
                    let m = beta * m0[k] + (1 - beta) * model.grads[k]
                    #expect(abs(buffers[k] - m) < 1e-6)
                    u.append((1 - beta) * model.grads[k] + beta * m)
                    idx.append(k)
                }
            }
            let o = NaiveKernels.newtonSchulz(u, rows: rows, cols: cols)
            let scale = lr * max(1, Float(cols) / Float(rows)).squareRoot()
            for (n, k) in idx.enumerated() {
                #expect(abs(model.params[k] - (p0[k] - scale * o[n])) < 5e-5, "\(name)[\(k)]")
            }
        }
        // Muon leaves everything that is not a hidden matrix alone.
        for t in model.layout.tensors where !t.isHiddenMatrix {
            #expect(Array(model.params[t.range]) == Array(p0[t.range]), "\(t.name) moved")
        }
    }

    func modernOptions(out: String) -> TrainOptions {
        var o = tinyOptions(out: out)
        o.architecture = modernConfig("all")
        o.architecture.logitSoftcap = 15
        o.optimizer = "muon"
        o.muonLR = 0.05
        o.embeddingLR = 0.02
        o.headLR = 0.005
        return o
    }

    @Test func modernRecipeWithMuonLearnsARepeatingText() throws {
        let dir = try TestSupport.temporaryDirectory("train-small")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = modernOptions(out: dir)
        o.steps = 80
        var rng = SplitMix64(seed: 7)
        let cycle = (0..<48).map { Int32($0) }.shuffled(using: &rng)
        let stream = ArrayTokenStream((0..<4000).map { cycle[$0 % 48] }, vocabSize: 96)
        let records = try Trainer(options: o, train: stream, val: nil, tokenizerPath: nil).run()
        #expect(records.first!.loss > 3)
        // A model that only learned the 48-id unigram distribution sits at ln 48 ≈ 3.87.
        #expect(records.last!.loss < 0.3, "final loss \(records.last!.loss)")
        let back = try Checkpoint.load(dir + "/latest")
        #expect(
            back.config.positions == .rope && back.config.qkNorm && !back.config.tieEmbeddings
                && back.config.logitSoftcap == 15)
    }

    @Test func resumedMuonRunGivesTheLossesOfAnUninterruptedRun() throws {
        let stream = ArrayTokenStream(
            repeatingTokens(3000).enumerated().map { Int32(($0.offset * 7 + Int($0.element)) % 50) }, vocabSize: 50)
        let a = try TestSupport.temporaryDirectory("muon-full"), b = try TestSupport.temporaryDirectory("muon-resumed")
        defer {
            try? FileManager.default.removeItem(atPath: a)
            try? FileManager.default.removeItem(atPath: b)
        }
        var o = modernOptions(out: a)
        o.steps = 10
        o.checkpointEvery = 4
        o.gradAccum = 2
        o.dropout = 0.1
        let full = try Trainer(options: o, train: stream, val: nil, tokenizerPath: nil).run()
        o.out = b
        o.stopAfter = 6
        _ = try Trainer(options: o, train: stream, val: nil, tokenizerPath: nil).run()
        o.stopAfter = nil
        o.resume = true
        let resumed = try Trainer(options: o, train: stream, val: nil, tokenizerPath: nil)
        #expect(resumed.startStep == 4 && resumed.muon != nil)
        let rest = try resumed.run()
        #expect(rest.map(\.loss) == full.suffix(6).map(\.loss), "resumed losses differ from the uninterrupted run")
        // Resuming with another optimizer or architecture is a clear error.
        var other = o
        other.optimizer = "adamw"
        #expect { _ = try Trainer(options: other, train: stream, val: nil, tokenizerPath: nil) } throws: {
            "\($0)".contains("trained with muon")
        }
        other = o
        other.architecture.mlp = .swiglu
        #expect { _ = try Trainer(options: other, train: stream, val: nil, tokenizerPath: nil) } throws: {
            "\($0)".contains("another architecture")
        }
    }

    @Test func configurationKeysParseAndAreChecked() throws {
        let text = """
            model: {layers: 2, heads: 2, width: 16, positions: rope, rope_theta: 500, norm: rmsnorm, qk_norm: true, mlp: swiglu,
                    tie_embeddings: false, logit_softcap: 15, zero_init: true, bias: false}
            train: {optimizer: muon, muon_lr: 0.03, muon_momentum: 0.9, embedding_lr: 0.3, head_lr: 0.004}
            """
        let o = try TrainOptions.load(yaml: text, file: "x.yaml")
        let c = o.modelConfig(vocab: 30, eos: nil)
        #expect(c.positions == .rope && c.ropeTheta == 500 && c.norm == .rmsnorm && c.qkNorm && c.mlp == .swiglu)
        #expect(!c.tieEmbeddings && c.logitSoftcap == 15 && c.zeroInitProjections && !c.bias)
        #expect(
            o.optimizer == "muon" && o.muonLR == 0.03 && o.muonMomentum == 0.9 && o.embeddingLR == 0.3
                && o.headLR == 0.004)
        let gpt2 = try TrainOptions.load(yaml: "model: {layers: 2, recipe: gpt2}", file: "x.yaml")
        #expect(
            gpt2.modelConfig(vocab: 30, eos: nil).isGPT2 && gpt2.optimizer == "adamw" && gpt2.embeddingLR == nil
                && gpt2.lr == 1e-3 && gpt2.weightDecay == 0.1)
        // Masked LM keeps BERT's architecture (GPT-2's) unless the file asks for another.
        let mlm = try TrainOptions.load(yaml: "model: {layers: 2, objective: mlm}", file: "x.yaml")
        var mc = mlm.modelConfig(vocab: 30, eos: nil)
        mc.objective = .causal
        #expect(mc.isGPT2 && mlm.optimizer == "adamw")
        // A key set in the file wins over its recipe default.
        let mixed = try TrainOptions.load(yaml: "model: {mlp: gelu}\ntrain: {optimizer: adamw}", file: "x.yaml")
        #expect(mixed.architecture.mlp == .gelu && mixed.architecture.positions == .rope && mixed.optimizer == "adamw")
        #expect { _ = try TrainOptions.load(yaml: "model: {recipe: llama}", file: "x.yaml") } throws: {
            "\($0)".contains("recipe") && "\($0)".contains("llama")
        }
        #expect { _ = try TrainOptions.load(yaml: "model: {mlp: swish}", file: "x.yaml") } throws: {
            "\($0)".contains("mlp") && "\($0)".contains("swish")
        }
        #expect { _ = try TrainOptions.load(yaml: "train: {optimizer: sgd}", file: "x.yaml") } throws: {
            "\($0)".contains("optimizer")
        }
        let overridden = try TrainOptions.load(
            yaml: "model: {layers: 2}", file: nil,
            overrides: [("model.positions", "rope"), ("train.optimizer", "muon")])
        #expect(overridden.architecture.positions == .rope && overridden.optimizer == "muon")
    }

    /// A run file without architecture or optimizer keys trains the measured recipe, the one
    /// Pipelines/train-small.yaml spells out key by key.
    @Test func theDefaultsOfANewRunAreTheShippedSmallRecipe() throws {
        let path = TestSupport.packageRoot + "/Pipelines/train-small.yaml"
        let o = try TrainOptions.load(yaml: try String(contentsOfFile: path, encoding: .utf8), file: path)
        let c = o.modelConfig(vocab: 4096, eos: 0)
        try c.validate()
        #expect(c.positions == .rope && c.norm == .rmsnorm && c.qkNorm && c.mlp == .relu2 && !c.tieEmbeddings)
        #expect(c.logitSoftcap == 15 && c.zeroInitProjections && !c.bias)
        #expect(o.optimizer == "muon")
        let d = try TrainOptions.load(yaml: "model: {layers: 2}", file: "x.yaml")
        let dc = d.modelConfig(vocab: 4096, eos: 0)
        #expect(
            dc.positions == c.positions && dc.ropeTheta == c.ropeTheta && dc.norm == c.norm && dc.qkNorm == c.qkNorm
                && dc.mlp == c.mlp && dc.tieEmbeddings == c.tieEmbeddings && dc.logitSoftcap == c.logitSoftcap
                && dc.zeroInitProjections == c.zeroInitProjections && dc.bias == c.bias)
        #expect(
            d.optimizer == o.optimizer && d.muonLR == o.muonLR && d.muonMomentum == o.muonMomentum && d.lr == o.lr
                && d.minLR == o.minLR && d.embeddingLR == o.embeddingLR && d.headLR == o.headLR
                && d.weightDecay == o.weightDecay)
    }
}
