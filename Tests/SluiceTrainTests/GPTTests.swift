// The whole model: finite-difference gradients, recomputation, thread-count independence,
// and learning a repeating text to near-zero loss.
import Foundation
import SluiceCore
import Testing

@testable import SluiceTrain

let tinyConfig = GPTConfig(vocabSize: 13, contextLength: 8, layers: 2, heads: 2, width: 8)

func tinyBatch(B: Int, T: Int, V: Int, seed: UInt64) -> ([Int32], [Int32]) {
    var r = SplitMix64(seed: seed)
    let seq = (0..<(B * T + 1)).map { _ in Int32(r.next() % UInt64(V)) }
    return (Array(seq[0..<(B * T)]), Array(seq[1...]))
}

@Suite struct GPTTests {
    @Test(arguments: [Float(0), 0.3])
    func wholeModelGradientMatchesFiniteDifferences(dropout: Float) throws {
        let model = try GPT(config: tinyConfig, threads: 2)
        model.dropout = dropout
        model.dropoutSeed = 77  // the same masks in every pass below
        model.initialize(seed: 42)
        // Perturb beyond GPT-2's init so that every path carries signal.
        var r = SplitMix64(seed: 3)
        for i in 0..<model.params.count { model.params[i] += Float(r.nextGaussian() * 0.2) }
        let B = 2, T = 6
        let (x, y) = tinyBatch(B: B, T: T, V: tinyConfig.vocabSize, seed: 9)
        model.prepareTraining()
        model.zeroGradients()
        model.forward(tokens: x, targets: y, B: B, T: T, forTraining: true)
        model.backward()
        let analytic = model.grads
        // Every tensor gets checked on a few entries.
        var indices: [Int] = []
        for (k, t) in model.layout.tensors.enumerated() {
            for s in sampleIndices(t.count, 4, seed: UInt64(k)) { indices.append(t.offset + s) }
        }
        let (num, den, worst, worstName) = finiteDifferences(model, analytic: analytic, at: indices) {
            model.forward(tokens: x, targets: y, B: B, T: T, forTraining: true)
        }
        #expect((num / den).squareRoot() < 1e-2, "relative gradient error \((num / den).squareRoot())")
        #expect(worst < 5e-2, "worst entry \(worst): \(worstName)")
    }

    @Test(arguments: [Float(0), 0.25])
    func recomputationGivesTheSameGradients(dropout: Float) throws {
        let model = try GPT(config: tinyConfig, threads: 2)
        model.dropout = dropout
        model.dropoutSeed = 5
        model.initialize(seed: 1)
        let (x, y) = tinyBatch(B: 3, T: 8, V: 13, seed: 2)
        model.prepareTraining()
        model.zeroGradients()
        let l1 = model.forward(tokens: x, targets: y, B: 3, T: 8, recompute: false, forTraining: true)
        model.backward()
        let g1 = model.grads
        model.releaseActivations()
        model.zeroGradients()
        let l2 = model.forward(tokens: x, targets: y, B: 3, T: 8, recompute: true, forTraining: true)
        model.backward()
        #expect(l1 == l2)
        #expect(g1 == model.grads)
    }

    @Test func oneAndTwoThreadsAgreeBitForBit() throws {
        var results: [([Float], Double)] = []
        for threads in [1, 2] {
            let model = try GPT(
                config: GPTConfig(vocabSize: 50, contextLength: 16, layers: 2, heads: 4, width: 32), threads: threads)
            model.initialize(seed: 5)
            let (x, y) = tinyBatch(B: 4, T: 16, V: 50, seed: 6)
            model.prepareTraining()
            model.zeroGradients()
            let loss = model.forward(tokens: x, targets: y, B: 4, T: 16, forTraining: true)
            model.backward()
            results.append((model.grads, loss))
        }
        #expect(results[0].1 == results[1].1)
        #expect(results[0].0 == results[1].0)
    }

    @Test func dropoutActsInTrainingPassesOnly() throws {
        let model = try GPT(config: tinyConfig, threads: 2)
        model.initialize(seed: 8)
        let (x, y) = tinyBatch(B: 2, T: 8, V: 13, seed: 4)
        let clean = model.forward(tokens: x, targets: y, B: 2, T: 8, forTraining: true)
        model.dropout = 0.5
        model.dropoutSeed = 1
        let dropped1 = model.forward(tokens: x, targets: y, B: 2, T: 8, forTraining: true)
        let again = model.forward(tokens: x, targets: y, B: 2, T: 8, forTraining: true)
        model.dropoutSeed = 2
        let dropped2 = model.forward(tokens: x, targets: y, B: 2, T: 8, forTraining: true)
        let evaluation = model.forward(tokens: x, targets: y, B: 2, T: 8)
        #expect(dropped1 != clean && dropped1 == again && dropped2 != dropped1)
        #expect(evaluation == clean)
        // About half the mask entries are zero, the rest 1/(1−p).
        let d = Dropout(p: 0.5, seed: 3)
        let zeros = (0..<10_000).filter { d.factor(1, $0) == 0 }.count
        #expect(zeros > 4_700 && zeros < 5_300)
        #expect((0..<100).allSatisfy { d.factor(1, $0) == 0 || d.factor(1, $0) == 2 })
    }

    @Test func shapesThatDoNotDivideAreRejected() {
        #expect {
            _ = try GPT(config: GPTConfig(vocabSize: 10, contextLength: 8, layers: 1, heads: 3, width: 8))
        } throws: { e in
            "\(e)".contains("width 8 is not divisible by heads 3")
        }
    }
}
