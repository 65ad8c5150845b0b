// AdamW against the update written out in Double, decay only on matmul weights, and the
// warm-up + cosine schedule at its landmarks.
import Foundation
import Testing

@testable import SluiceTrain

@Suite struct AdamWTests {
    @Test func twoStepsMatchTheFormula() throws {
        let model = try GPT(
            config: GPTConfig(vocabSize: 8, contextLength: 4, layers: 1, heads: 1, width: 4), threads: 2)
        model.initialize(seed: 1)
        model.prepareTraining()
        var opt = AdamW(parameterCount: model.params.count)
        opt.weightDecay = 0.1
        var p = model.params.map(Double.init), m = [Double](repeating: 0, count: p.count), v = m
        let decays = model.layout.tensors.flatMap { t in [Bool](repeating: t.decays, count: t.count) }
        for step in 1...2 {
            let g = randomFloats(p.count, seed: UInt64(step))
            model.grads = g
            opt.update(model, lr: 0.01)
            let b1 = 0.9, b2 = 0.95
            for i in 0..<p.count {
                let gi = Double(g[i])
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                let mh = m[i] / (1 - pow(b1, Double(step))), vh = v[i] / (1 - pow(b2, Double(step)))
                p[i] = p[i] * (decays[i] ? 1 - 0.01 * 0.1 : 1) - 0.01 * mh / (vh.squareRoot() + 1e-8)
            }
        }
        var worst = 0.0
        for i in 0..<p.count { worst = max(worst, abs(p[i] - Double(model.params[i]))) }
        #expect(worst < 1e-5, "largest difference \(worst)")
        #expect(model.layout["wte.weight"]!.decays == false && model.layout["h.0.ln_1.weight"]!.decays == false)
        #expect(model.layout["h.0.attn.c_attn.bias"]!.decays == false && model.layout["h.0.mlp.c_fc.weight"]!.decays)
    }

    @Test func scheduleWarmsUpThenFollowsTheCosine() {
        let s = LRSchedule(maxLR: 1e-3, minLR: 1e-4, warmup: 10, total: 110)
        #expect(abs(s.rate(at: 0) - 1e-4) < 1e-12)  // (0 + 1) / 10 of the peak
        #expect(abs(s.rate(at: 9) - 1e-3) < 1e-12)
        #expect(abs(s.rate(at: 10) - 1e-3) < 1e-12)
        #expect(abs(s.rate(at: 60) - 5.5e-4) < 1e-12)  // half way down the cosine
        #expect(abs(s.rate(at: 110) - 1e-4) < 1e-12)
        #expect(abs(s.rate(at: 500) - 1e-4) < 1e-12)
    }
}
