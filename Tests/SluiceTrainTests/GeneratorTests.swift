// Generator: the KV cache gives the full forward pass; sampling is seeded and respects top-k
// and top-p.
import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceTrain

@Suite struct GeneratorTests {
    @Test func kvCacheMatchesTheFullForwardPass() throws {
        let model = try smallModel()
        let ids: [Int32] = [5, 200, 17, 17, 99, 3, 250, 42]
        model.forward(tokens: ids, targets: nil, B: 1, T: 8)
        let full = (0..<8).map { Array(model.lastRow($0)) }
        let gen = Generator(model: model)
        var incremental = [gen.append(Array(ids[0..<3]))]  // a 3-token prompt, then one at a time
        for i in 3..<8 { incremental.append(gen.append([ids[i]])) }
        for (j, pos) in [2, 3, 4, 5, 6, 7].enumerated() {
            let (d, at) = maxRelDiff(incremental[j], full[pos], floor: 1e-2)
            #expect(d < 1e-4, "position \(pos): logits differ by \(d) at \(at)")
        }
    }

    @Test func samplingIsSeededAndRespectsTopK() throws {
        let model = try smallModel()
        var o = SamplingOptions()
        o.maxTokens = 20  // past the context of 8: the cache is rebuilt on the way
        o.temperature = 1
        o.seed = 7
        let a = Generator(model: model).generate(prompt: [1, 2, 3], options: o)
        let b = Generator(model: model).generate(prompt: [1, 2, 3], options: o)
        #expect(a == b && a.count == 20)
        o.seed = 8
        #expect(Generator(model: model).generate(prompt: [1, 2, 3], options: o) != a)
        // top-k 1 is greedy.
        o.topK = 1
        var g = SamplingOptions()
        g.maxTokens = 20
        g.temperature = 0
        #expect(
            Generator(model: model).generate(prompt: [1, 2, 3], options: o)
                == Generator(model: model).generate(prompt: [1, 2, 3], options: g))
        // top-p with a tiny p keeps only the most likely token: greedy again.
        o.topK = 0
        o.topP = 1e-6
        #expect(
            Generator(model: model).generate(prompt: [1, 2, 3], options: o)
                == Generator(model: model).generate(prompt: [1, 2, 3], options: g))
    }
}
