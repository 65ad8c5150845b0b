// The parts of data-parallel training that need no second process: how a global batch splits over
// ranks (TrainOptions.forRanks), and the backward hook the gradient buckets hang on (each range it announces
// is final and they cover the buffer once). Runs under mpirun are end-to-end tests
// (SluiceCLITests/MPITrainTests.swift).
import Foundation
import SluiceCore
import Testing

@testable import SluiceTrain

@Suite struct DataParallelTests {
    @Test func aGlobalBatchSplitsIntoMicroBatchesPerRank() throws {
        var o = TrainOptions()
        o.batchSize = 4
        o.gradAccum = 3
        #expect(try o.forRanks(5).gradAccum == 3, "without global_batch every rank keeps grad_accum")
        o.globalBatch = 48
        #expect(try o.forRanks(1).gradAccum == 12)
        #expect(try o.forRanks(2).gradAccum == 6)
        #expect(try o.forRanks(12).gradAccum == 1)
        let error = #expect(throws: SluiceError.self) { try o.forRanks(5) }
        #expect(
            error?.message
                == "train.global_batch 48 is not a multiple of batch_size 4 × 5 ranks = 20; rank counts that divide it: 1, 2, 3, 4, 6, 12"
        )
        o.globalBatch = 6
        let odd = #expect(throws: SluiceError.self) { try o.forRanks(1) }
        #expect(
            odd?.message.hasSuffix("global_batch must be a multiple of batch_size") == true, "\(odd?.message ?? "")")
    }

    @Test func globalBatchAndGradAccumExcludeEachOther() throws {
        let o = try TrainOptions.load(yaml: "train: {batch_size: 2, global_batch: 16}", file: "t.yaml")
        #expect(o.globalBatch == 16 && o.gradAccum == 1)
        let error = #expect(throws: SluiceError.self) {
            try TrainOptions.load(yaml: "train: {global_batch: 16, grad_accum: 2}", file: "t.yaml")
        }
        #expect(
            error?.description.contains(
                "give train.global_batch or train.grad_accum, not both (global_batch sets grad_accum) (t.yaml:1)")
                == true, "\(error!)")
    }

    static let architectures: [GPTConfig] = {
        var untied = tinyConfig
        untied.tieEmbeddings = false
        var modern = tinyConfig
        modern.positions = .rope
        modern.norm = .rmsnorm
        modern.mlp = .swiglu
        modern.bias = false
        modern.tieEmbeddings = false
        modern.qkNorm = true
        return [tinyConfig, untied, modern]
    }()

    /// Every range `gradientsReady` announces is already final (equal to the gradient after the
    /// whole pass), ranges come highest first and edge to edge, and they cover the buffer once.
    @Test(arguments: architectures, [false, true])
    func backwardAnnouncesFinishedGradientRanges(config: GPTConfig, recompute: Bool) throws {
        let model = try GPT(config: config, threads: 2)
        model.initialize(seed: 5)
        var r = SplitMix64(seed: 8)
        for i in 0..<model.params.count { model.params[i] += Float(r.nextGaussian() * 0.1) }
        let B = 2, T = 6
        let (x, y) = tinyBatch(B: B, T: T, V: config.vocabSize, seed: 4)
        model.prepareTraining()
        model.zeroGradients()
        var announced: [(range: Range<Int>, values: [Float])] = []
        model.gradientsReady = { base, range in
            announced.append((range, Array(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))))
        }
        model.forward(tokens: x, targets: y, B: B, T: T, recompute: recompute, forTraining: true)
        model.backward()
        model.gradientsReady = nil
        #expect(announced.count == config.layers + 2)
        var next = model.params.count
        for a in announced {
            #expect(a.range.upperBound == next, "ranges must be contiguous, highest first: \(announced.map(\.range))")
            next = a.range.lowerBound
            #expect(a.values == Array(model.grads[a.range]), "range \(a.range) changed after it was announced")
        }
        #expect(next == 0)
        #expect(model.grads.contains { $0 != 0 })
    }

    /// Without a hook backward is what it was: the same gradients bit for bit.
    @Test func theHookDoesNotChangeGradients() throws {
        func grads(hooked: Bool) throws -> [Float] {
            let model = try GPT(config: tinyConfig, threads: 2)
            model.initialize(seed: 5)
            let (x, y) = tinyBatch(B: 2, T: 6, V: tinyConfig.vocabSize, seed: 4)
            model.prepareTraining()
            model.zeroGradients()
            if hooked { model.gradientsReady = { _, _ in } }
            model.forward(tokens: x, targets: y, B: 2, T: 6, forTraining: true)
            model.backward()
            return model.grads
        }
        #expect(try grads(hooked: true) == grads(hooked: false))
    }
}
