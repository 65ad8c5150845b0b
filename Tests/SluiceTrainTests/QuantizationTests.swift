// INT8 quantization: the per-channel rounding, the decodeLinear kernels against their naive oracle,
// magnitude pruning, quantized checkpoints read back exactly, the KV-cache decoder over INT8 weights
// against the F32 model, and the errors `Quantizer.run` raises before any work.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceTrain

/// Values N(0, std) from a seed, with a few large outliers like trained weights have.
func gaussianFloats(_ n: Int, seed: UInt64, std: Double = 1) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map { i in Float(rng.nextGaussian() * std * (i % 97 == 0 ? 6 : 1)) }
}

/// A small model of `config`, initialised from `seed`, with non-trivial norms and biases.
func randomModel(_ config: GPTConfig, seed: UInt64) throws -> GPT {
    let m = try GPT(config: config, threads: 2)
    m.initialize(seed: seed)
    var rng = SplitMix64(seed: seed &+ 1)
    for t in m.layout.tensors where t.shape.count == 1 {
        for i in t.range { m.params[i] += Float(rng.nextGaussian() * 0.05) }
    }
    return m
}

func modernConfig() -> GPTConfig {
    var c = GPTConfig(vocabSize: 97, contextLength: 16, layers: 2, heads: 2, width: 24)
    c.positions = .rope
    c.norm = .rmsnorm
    c.mlp = .swiglu
    c.tieEmbeddings = false
    c.bias = false
    return c
}

@Suite struct QuantizationTests {
    // MARK: - Rounding

    @Test(arguments: [false, true])
    func quantizationIsSymmetricPerOutputChannel(outMajor: Bool) throws {
        let inC = 37, outC = 11
        var w = gaussianFloats(inC * outC, seed: 3)
        // Channel 4 all zero; channel 5 a single non-zero weight.
        for i in 0..<inC {
            w[outMajor ? 4 * inC + i : i * outC + 4] = 0
            w[outMajor ? 5 * inC + i : i * outC + 5] = i == 7 ? -0.25 : 0
        }
        let m = w.withUnsafeBufferPointer {
            Int8Matrix(quantizing: $0.baseAddress!, inC: inC, outC: outC, outMajor: outMajor)
        }
        func W(_ o: Int, _ i: Int) -> Float { w[outMajor ? o * inC + i : i * outC + o] }
        for o in 0..<outC {
            let maxAbs = (0..<inC).map { abs(W(o, $0)) }.max()!
            #expect(m.scales[o] == maxAbs / 127, "channel \(o) scale")
            if maxAbs > 0 {
                #expect((0..<inC).map { abs(Int(m.q[o * inC + $0])) }.max() == 127, "channel \(o) does not reach ±127")
            }
            for i in 0..<inC {
                let err = abs(W(o, i) - m.value(out: o, in: i))
                #expect(err <= m.scales[o] * 0.5 * (1 + 1e-4), "W[\(o), \(i)] off by \(err) with scale \(m.scales[o])")
            }
        }
        #expect(m.scales[4] == 0 && (0..<inC).allSatisfy { m.q[4 * inC + $0] == 0 })
        #expect(m.q[5 * inC + 7] == -127 && m.zeroCount >= 2 * inC - 1)
        // Dequantizing writes the layout it read.
        var back = [Float](repeating: .nan, count: inC * outC)
        back.withUnsafeMutableBufferPointer { m.dequantize(into: $0.baseAddress!, outMajor: outMajor) }
        for o in 0..<outC {
            for i in 0..<inC { #expect(back[outMajor ? o * inC + i : i * outC + o] == m.value(out: o, in: i)) }
        }
    }

    // MARK: - Kernels

    /// Every path of decodeLinear for INT8 weights (one row, groups of four, the tail, the panel
    /// GEMM from 8 rows) against the Double oracle, with and without bias and accumulation.
    @Test(arguments: [1, 2, 3, 4, 5, 7, 8, 13, 33])
    func int8KernelMatchesTheNaiveOracle(rows: Int) throws {
        for (inC, outC) in [(37, 19), (64, 300), (96, 5)] {
            let w = gaussianFloats(inC * outC, seed: UInt64(inC * outC))
            let m = w.withUnsafeBufferPointer {
                Int8Matrix(quantizing: $0.baseAddress!, inC: inC, outC: outC, outMajor: false)
            }
            let x = gaussianFloats(rows * inC, seed: 99)
            let bias = gaussianFloats(outC, seed: 5)
            for (withBias, accumulate) in [(false, false), (true, false), (false, true), (true, true)] {
                let start = gaussianFloats(rows * outC, seed: 17)
                var want = start, first: [Float] = []
                Int8Kernels.naiveLinear(
                    x, rows: rows, m, bias: withBias ? bias : nil, out: &want, accumulate: accumulate)
                for threads in [1, 2] {
                    var g = start
                    x.withUnsafeBufferPointer { X in
                        bias.withUnsafeBufferPointer { B in
                            g.withUnsafeMutableBufferPointer { G in
                                decodeLinear(
                                    X.baseAddress!, rows: rows, .int8(m), bias: withBias ? B.baseAddress! : nil,
                                    out: G.baseAddress!,
                                    accumulate: accumulate, threads: threads)
                            }
                        }
                    }
                    // Outputs are sums of inC products of N(0, 1) values: compare relative to 1 near zero.
                    let (d, at) = maxRelDiff(g, want, floor: 1)
                    #expect(
                        d < 1e-4,
                        "rows \(rows) \(inC)→\(outC) bias \(withBias) acc \(accumulate): differs by \(d) at \(at)")
                    if threads == 1 {
                        first = g
                    } else {
                        let same = g == first
                        #expect(same, "rows \(rows) \(inC)→\(outC): 1 and 2 threads differ")
                    }
                }
            }
        }
    }

    /// Both dot-product kernels, the portable SIMD8 one and the AVX2 + FMA one the CPU may run
    /// instead (decodeLinear above takes whichever this machine has), against a Double sum, for every
    /// length around the 8- and 32-wide steps.
    @Test func portableAndAVX2DotProductsAgreeWithTheOracle() throws {
        let n = 75, ld = 80
        let x = gaussianFloats(4 * ld, seed: 7)
        let q: [Int8] = (0..<n).map { Int8(truncatingIfNeeded: ($0 &* 37 &+ 11) % 255 - 127) }
        for len in 0...n {
            q.withUnsafeBufferPointer { Q in
                x.withUnsafeBufferPointer { X in
                    let qp = Q.baseAddress!, xp = X.baseAddress!
                    var want = [Double](repeating: 0, count: 4)
                    for k in 0..<4 {
                        for i in 0..<len { want[k] += Double(qp[i]) * Double(xp[k * ld + i]) }
                    }
                    // Sums of up to 75 products of magnitude ≤ 127·4: compare relative to 100 near zero.
                    func close(_ a: Float, _ b: Double) -> Bool { abs(Double(a) - b) <= 1e-5 * max(100, abs(b)) }
                    #expect(close(Int8Kernels.dot(qp, xp, len), want[0]), "portable dot, n \(len)")
                    #expect(close(Int8Kernels.fastDot(qp, xp, len), want[0]), "fast dot, n \(len)")
                    let p4 = Int8Kernels.dot4(qp, xp, ld: ld, len), f4 = Int8Kernels.fastDot4(qp, xp, ld: ld, len)
                    for k in 0..<4 {
                        #expect(close(p4[k], want[k]) && close(f4[k], want[k]), "dot4 row \(k), n \(len)")
                    }
                }
            }
        }
    }

    /// F32 weights take the same cblas_sgemm path as the training forward pass: bit-identical.
    @Test func f32DecodeLinearIsTheTrainingLinearLayer() throws {
        let inC = 24, outC = 40, rows = 3
        let w = gaussianFloats(inC * outC, seed: 1), x = gaussianFloats(rows * inC, seed: 2),
            b = gaussianFloats(outC, seed: 3)
        var want = [Float](repeating: 0, count: rows * outC), got = want
        w.withUnsafeBufferPointer { W in
            x.withUnsafeBufferPointer { X in
                b.withUnsafeBufferPointer { B in
                    want.withUnsafeMutableBufferPointer {
                        Kernels.matmulForward(
                            out: $0.baseAddress!, inp: X.baseAddress!, weight: W.baseAddress!, bias: B.baseAddress!,
                            rows: rows, inC: inC,
                            outC: outC, threads: 2)
                    }
                    got.withUnsafeMutableBufferPointer {
                        decodeLinear(
                            X.baseAddress!, rows: rows,
                            .f32(F32Matrix(storage: w, offset: 0, inC: inC, outC: outC, outMajor: false)),
                            bias: B.baseAddress!, out: $0.baseAddress!, threads: 2)
                    }
                }
            }
        }
        #expect(got == want)
    }

    // MARK: - Pruning

    @Test func magnitudePruningZeroesExactlyTheFractionAndKeepsTheLargest() throws {
        // Magnitudes 1…100 with signs, plus four ties at 50.
        var w: [Float] = (1...100).map { Float($0) * ($0 % 3 == 0 ? -1 : 1) } + [50, -50, 50, -50]
        let before = w
        let zeros = w.withUnsafeMutableBufferPointer { magnitudePrune($0, fraction: 0.5) }
        #expect(zeros == 52)  // ⌊0.5 · 104⌋
        #expect(w.filter { $0 == 0 }.count == 52)
        let keptMin = w.filter { $0 != 0 }.map(abs).min()!,
            prunedMax = zip(before, w).filter { $1 == 0 }.map { abs($0.0) }.max()!
        #expect(keptMin >= prunedMax, "kept \(keptMin) is smaller than pruned \(prunedMax)")
        #expect(zip(before, w).allSatisfy { $1 == 0 || $1 == $0 }, "kept weights must be unchanged")
        var none = before
        let noneZeros = none.withUnsafeMutableBufferPointer { magnitudePrune($0, fraction: 0) }
        #expect(noneZeros == 0 && none == before)
    }

    // MARK: - Checkpoints

    static let configs: [GPTConfig] = [
        GPTConfig(vocabSize: 97, contextLength: 16, layers: 2, heads: 2, width: 24), modernConfig(),
    ]

    /// Save an F32 checkpoint, quantize it, read it back: the same INT8 matrices and F32 vectors,
    /// and `Checkpoint.load` gives exactly scale · q.
    @Test(arguments: QuantizationTests.configs)
    func quantizedCheckpointReadsBackExactly(config: GPTConfig) throws {
        let dir = try TestSupport.temporaryDirectory("quantize-roundtrip")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try randomModel(config, seed: 21)
        try Checkpoint.save(model: model, to: dir + "/f32")
        let summary = try Quantizer.run(checkpoint: dir + "/f32", out: dir + "/int8", options: QuantizeOptions())
        let want = DecodeModel.quantizing(try Checkpoint.load(dir + "/f32"))
        let got = try QuantizedCheckpoint.loadDecodeModel(dir + "/int8")
        #expect(got.config == config && got.isQuantized)
        var matrices = 0
        for spec in model.layout.tensors {
            if spec.shape.count == 1 {
                #expect(got.vectorValues(spec)! == model.params[spec.range], "\(spec.name) differs")
                continue
            }
            guard case .int8(let a) = got.matrix(spec.name)!, case .int8(let b) = want.matrix(spec.name)! else {
                Issue.record("\(spec.name) is not INT8")
                continue
            }
            #expect(a == b, "\(spec.name) differs")
            matrices += 1
        }
        #expect(summary.matrices == matrices && summary.int8Bytes == got.weightBytes)
        #expect(summary.int8Bytes < summary.f32Bytes / 3)
        let deq = try Checkpoint.load(dir + "/int8")
        let expected = try want.dequantizedGPT()
        #expect(deq.params == expected.params)
        // Quantizing the dequantized weights again changes nothing: each is already scale · q.
        let again = DecodeModel.quantizing(deq)
        for spec in model.layout.tensors where spec.shape.count == 2 {
            guard case .int8(let a) = again.matrix(spec.name)!, case .int8(let b) = got.matrix(spec.name)! else {
                continue
            }
            #expect(a.q == b.q, "\(spec.name) re-quantizes differently")
        }
        // A rerun replaces the output folder.
        _ = try Quantizer.run(checkpoint: dir + "/f32", out: dir + "/int8", options: QuantizeOptions())
        #expect(try QuantizedCheckpoint.loadDecodeModel(dir + "/int8").weightBytes == got.weightBytes)
    }

    /// The KV-cache decoder over INT8 weights against (a) the same weights dequantized through the
    /// full forward pass — the same function, so only float rounding — and (b) the F32 model —
    /// close, within what 8 bits per weight cost.
    @Test(arguments: QuantizationTests.configs)
    func quantizedLogitsAreCloseToF32(config: GPTConfig) throws {
        let model = try randomModel(config, seed: 5)
        let ids: [Int32] = [5, 60, 17, 17, 90, 3, 42, 8, 1, 33]
        let int8 = DecodeModel.quantizing(model)
        let gen = Generator(decoder: int8), f32 = Generator(model: model)
        var q = [gen.append(Array(ids[0..<4]))], f = [f32.append(Array(ids[0..<4]))]
        for i in 4..<ids.count {
            q.append(gen.append([ids[i]]))
            f.append(f32.append([ids[i]]))
        }
        let deq = try int8.dequantizedGPT()
        deq.forward(tokens: ids, targets: nil, B: 1, T: ids.count)
        for (j, pos) in (3..<ids.count).enumerated() {
            let (d, at) = maxRelDiff(q[j], Array(deq.lastRow(pos)), floor: 1e-1)
            #expect(d < 1e-4, "position \(pos): INT8 decoder and dequantized forward differ by \(d) at \(at)")
            let scale = f[j].map(abs).max()!
            let worst = zip(q[j], f[j]).map { abs($0 - $1) }.max()!
            #expect(worst < 0.03 * scale, "position \(pos): INT8 logits off by \(worst) (largest logit \(scale))")
            #expect(worst > 0, "quantization should move the logits a little")
        }
    }

    /// The F32 decoder is untouched by the INT8 path: bit-identical to a second F32 run, and
    /// sampling over INT8 weights is seeded like F32.
    @Test func f32DecodingIsDeterministicAndInt8SamplesAreSeeded() throws {
        let model = try randomModel(
            GPTConfig(vocabSize: 97, contextLength: 16, layers: 2, heads: 2, width: 24), seed: 8)
        #expect(
            Generator(model: model).append([1, 2, 3])
                == Generator(decoder: DecodeModel(model: model)).append([1, 2, 3]))
        var o = SamplingOptions()
        o.maxTokens = 24  // past the context: the cache is rebuilt on the way
        o.seed = 3
        let int8 = DecodeModel.quantizing(model)
        let a = Generator(decoder: int8).generate(prompt: [4, 5], options: o)
        #expect(a.count == 24 && a == Generator(decoder: int8).generate(prompt: [4, 5], options: o))
    }

    // MARK: - Bad input

    @Test func badInputIsAClearErrorBeforeAnyWork() throws {
        let dir = try TestSupport.temporaryDirectory("quantize-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Checkpoint.save(model: try randomModel(QuantizationTests.configs[0], seed: 1), to: dir + "/f32")
        func message(_ checkpoint: String, _ out: String, _ change: (inout QuantizeOptions) -> Void) -> String {
            var o = QuantizeOptions()
            change(&o)
            do {
                _ = try Quantizer.run(checkpoint: checkpoint, out: out, options: o)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(dir + "/f32", dir + "/a", { $0.bits = 4 }).contains("--bits 4 is not supported"))
        #expect(message(dir + "/f32", dir + "/a", { $0.prune = 1 }).contains("outside [0, 1)"))
        #expect(message(dir + "/f32", dir + "/a", { $0.prune = -0.1 }).contains("outside [0, 1)"))
        #expect(message(dir + "/f32", dir + "/a", { $0.prune = .nan }).contains("outside [0, 1)"))
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        #expect(message(dir + "/empty", dir + "/a", { _ in }).contains("not a checkpoint folder (no config.json)"))
        #expect(message(dir + "/missing", dir + "/a", { _ in }).contains("checkpoint folder does not exist"))
        #expect(message(dir + "/f32", dir + "/f32", { _ in }).contains("--out must be a new folder"))
        #expect(
            message(dir + "/f32", dir + "/empty", { _ in }).contains("--out exists and is not a quantized checkpoint"))
        #expect(message(dir + "/f32", dir + "/a", { $0.evalText = dir + "/nothing.txt" }).contains("cannot read"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/a"), "a failed run must not leave an output")
        _ = try Quantizer.run(checkpoint: dir + "/f32", out: dir + "/q", options: QuantizeOptions())
        #expect(message(dir + "/q", dir + "/qq", { _ in }).contains("already quantized (sluice_int8)"))
        // A damaged quantized checkpoint names what is wrong.
        let cfg = try String(contentsOfFile: dir + "/q/config.json", encoding: .utf8)
        try cfg.replacingOccurrences(of: "sluice_int8", with: "gptq").write(
            toFile: dir + "/q/config.json", atomically: true, encoding: .utf8)
        #expect(throws: SluiceError.self) { try Checkpoint.load(dir + "/q") }
        do {
            _ = try Checkpoint.load(dir + "/q")
        } catch {
            #expect("\(error)".contains("quantization method 'gptq' is not supported"))
        }
    }
}
