// Segment-masked attention and embeddings for packed fine-tuning windows: the fast kernels against
// their naive twins and finite differences, the plain path untouched, and the whole model: a
// conversation packed after another gives the losses it gives alone, and the gradients of a
// packed batch match finite differences.
import Foundation
import SluiceCore
import Testing

@testable import SluiceTrain

@Suite struct SegmentMaskTests {
    /// Two sequences of 7: [0,0,0,3,3,3,3] and [0,0,2,2,2,5,6] (the last two are single-position pads).
    static let T = 7
    static let segments: [Int32] = [0, 0, 0, 3, 3, 3, 3] + [0, 0, 2, 2, 2, 5, 6]

    @Test(arguments: [1, 2])
    func segmentedAttentionMatchesNaiveAndFiniteDifferences(threads: Int) {
        let B = 2, T = Self.T, C = 8, NH = 2
        let qkv = randomFloats(B * T * 3 * C, seed: 31)
        let out = Buf(zeros: B * T * C), att = Buf(zeros: B * NH * T * T), Q = Buf(qkv)
        Self.segments.withUnsafeBufferPointer { seg in
            Kernels.attentionForward(
                out: out.p, att: att.p, qkv: Q.p, segmentStarts: seg.baseAddress!, B: B, T: T, C: C, NH: NH,
                threads: threads)
        }
        let naive = NaiveKernels.attentionForward(qkv: qkv, segmentStarts: Self.segments, B: B, T: T, C: C, NH: NH)
        let (fwd, at) = maxRelDiff(out.array, naive)
        #expect(fwd < 1e-4, "forward differs by \(fwd) at \(at)")
        // No probability crosses a segment start.
        let a = att.array
        for b in 0..<B {
            for h in 0..<NH {
                for t in 0..<T {
                    for j in 0..<T where j < Int(Self.segments[b * T + t]) || j > t {
                        #expect(a[((b * NH + h) * T + t) * T + j] == 0)
                    }
                }
            }
        }
        // The unchanged backward gives the gradient of the segmented forward.
        let r = randomFloats(B * T * C, seed: 32)
        let dqkv = Buf(zeros: qkv.count), datt = Buf(zeros: B * NH * T * T), R = Buf(r)
        Kernels.attentionBackward(
            dqkv: dqkv.p, datt: datt.p, dout: R.p, att: att.p, qkv: Q.p, B: B, T: T, C: C, NH: NH, threads: threads)
        let fd = finiteDifferences(qkv, indices: Array(0..<qkv.count), weights: r, h: 1e-3) {
            NaiveKernels.attentionForward(qkv: $0, segmentStarts: Self.segments, B: B, T: T, C: C, NH: NH)
        }
        let (bwd, bat) = maxRelDiff(dqkv.array, fd, floor: 1e-1)
        #expect(bwd < 1e-2, "backward differs by \(bwd) at \(bat): \(dqkv.array[bat]) vs \(fd[bat])")
    }

    @Test func segmentsAllAtZeroAreThePlainCausalKernelBitForBit() {
        let B = 2, T = 19, C = 16, NH = 2
        let qkv = randomFloats(B * T * 3 * C, seed: 33)
        let Q = Buf(qkv)
        let out1 = Buf(zeros: B * T * C), att1 = Buf(zeros: B * NH * T * T)
        let out2 = Buf(zeros: B * T * C), att2 = Buf(zeros: B * NH * T * T)
        Kernels.attentionForward(out: out1.p, att: att1.p, qkv: Q.p, B: B, T: T, C: C, NH: NH, threads: 2)
        let zeros = [Int32](repeating: 0, count: B * T)
        zeros.withUnsafeBufferPointer { seg in
            Kernels.attentionForward(
                out: out2.p, att: att2.p, qkv: Q.p, segmentStarts: seg.baseAddress!, B: B, T: T, C: C, NH: NH,
                threads: 2)
        }
        #expect(out1.array == out2.array)
        #expect(att1.array == att2.array)
    }

    @Test func segmentedEmbeddingsRestartPositions() {
        let B = 2, T = Self.T, C = 5, V = 11
        let tokens: [Int32] = (0..<(B * T)).map { Int32($0 * 7 % V) }
        let wte = randomFloats(V * C, seed: 34), wpe = randomFloats(T * C, seed: 35)
        let out = Buf(zeros: B * T * C), E = Buf(wte), P = Buf(wpe)
        tokens.withUnsafeBufferPointer { tk in
            Self.segments.withUnsafeBufferPointer { seg in
                Kernels.encoderForward(
                    out: out.p, tokens: tk.baseAddress!, wte: E.p, wpe: P.p, segmentStarts: seg.baseAddress!, B: B,
                    T: T, C: C,
                    threads: 2)
            }
        }
        let naive = NaiveKernels.encoderForward(
            tokens: tokens, wte: wte, wpe: wpe, segmentStarts: Self.segments, B: B, T: T, C: C)
        #expect(out.array == naive)
        // Position 3 of sequence 0 starts a segment: it gets wpe[0].
        for c in 0..<C { #expect(naive[3 * C + c] == wte[Int(tokens[3]) * C + c] + wpe[c]) }
        // Backward: dwpe[p] sums the rows at segment position p.
        let d = randomFloats(B * T * C, seed: 36)
        let dwte = Buf(zeros: V * C), dwpe = Buf(zeros: T * C), D = Buf(d)
        tokens.withUnsafeBufferPointer { tk in
            Self.segments.withUnsafeBufferPointer { seg in
                Kernels.encoderBackward(
                    dwte: dwte.p, dwpe: dwpe.p, dout: D.p, tokens: tk.baseAddress!, segmentStarts: seg.baseAddress!,
                    B: B, T: T,
                    C: C, threads: 2)
            }
        }
        var want = [Float](repeating: 0, count: T * C)
        for r in 0..<(B * T) {
            let p = r % T - Int(Self.segments[r])
            for c in 0..<C { want[p * C + c] += d[r * C + c] }
        }
        let (diff, _) = maxRelDiff(dwpe.array, want)
        #expect(diff < 1e-6)
    }

    func perturbedModel(_ config: GPTConfig) throws -> GPT {
        let model = try GPT(config: config, threads: 2)
        model.initialize(seed: 42)
        var r = SplitMix64(seed: 3)
        for i in 0..<model.params.count { model.params[i] += Float(r.nextGaussian() * 0.2) }
        return model
    }

    @Test(arguments: [false, true])
    func packedConversationGivesTheLossesItGivesAlone(rope: Bool) throws {
        var config = GPTConfig(vocabSize: 13, contextLength: 12, layers: 2, heads: 2, width: 8)
        if rope { config.positions = .rope }
        let model = try perturbedModel(config)
        let a: [Int32] = [1, 4, 2, 7, 3], b: [Int32] = [5, 9, 9, 1, 0, 12]
        // b alone at the start of a window of 6.
        model.forward(tokens: b, targets: Array(b[1...]) + [-1], B: 1, T: b.count)
        let alone = model.lastLosses
        // a then b then one pad, in a window of 12.
        let x = a + b + [0]
        let y = Array(a[1...]) + [-1] + Array(b[1...]) + [-1, -1]
        let seg = [Int32](repeating: 0, count: 5) + [Int32](repeating: 5, count: 6) + [11]
        model.forward(tokens: x, targets: y, B: 1, T: 12, segmentStarts: seg)
        let packed = Array(model.lastLosses[5..<11])
        for i in 0..<5 { #expect(abs(packed[i] - alone[i]) < 1e-5, "position \(i): \(packed[i]) vs \(alone[i])") }
        // Without segments b would see a: the losses differ.
        model.forward(tokens: x, targets: y, B: 1, T: 12)
        let unmasked = Array(model.lastLosses[5..<11])
        #expect(zip(unmasked, alone).contains { abs($0 - $1) > 1e-3 })
    }

    @Test func packedBatchGradientMatchesFiniteDifferences() throws {
        let config = GPTConfig(vocabSize: 13, contextLength: 8, layers: 2, heads: 2, width: 8)
        let model = try perturbedModel(config)
        let B = 2, T = Self.T
        let (x, y0) = tinyBatch(B: B, T: T, V: 13, seed: 9)
        var y = y0
        for i in stride(from: 1, to: B * T, by: 3) { y[i] = -1 }  // some positions without loss, as prompts
        model.prepareTraining()
        model.zeroGradients()
        model.forward(tokens: x, targets: y, B: B, T: T, forTraining: true, segmentStarts: Self.segments)
        model.backward()
        let analytic = model.grads
        var indices: [Int] = []
        for (k, t) in model.layout.tensors.enumerated() {
            for s in sampleIndices(t.count, 4, seed: UInt64(k)) { indices.append(t.offset + s) }
        }
        let (num, den, _, _) = finiteDifferences(model, analytic: analytic, at: indices) {
            model.forward(tokens: x, targets: y, B: B, T: T, forTraining: true, segmentStarts: Self.segments)
        }
        #expect((num / den).squareRoot() < 1e-2, "relative gradient error \((num / den).squareRoot())")
    }
}
