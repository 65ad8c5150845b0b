// Each fast kernel against its naive twin (forward) and against central finite differences of
// the naive forward (backward). The checker sums Σ out·R in Double for a fixed random R.
import Foundation
import SluiceCore
import Testing

@testable import SluiceTrain

/// A heap float buffer for calling pointer kernels from tests.
final class Buf {
    let p: UnsafeMutablePointer<Float>
    let count: Int
    init(_ a: [Float]) {
        count = a.count
        p = .allocate(capacity: max(1, a.count))
        p.initialize(from: a, count: a.count)
    }
    convenience init(zeros n: Int) { self.init([Float](repeating: 0, count: n)) }
    deinit { p.deallocate() }
    var array: [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }
}

func randomFloats(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var r = SplitMix64(seed: seed)
    return (0..<n).map { _ in Float(r.nextGaussian()) * scale }
}

/// Largest |a − b| / (|b| + floor) and where.
func maxRelDiff(_ a: [Float], _ b: [Float], floor: Float = 1e-3) -> (Float, Int) {
    precondition(a.count == b.count)
    var worst: Float = 0, at = -1
    for i in 0..<a.count {
        let d = abs(a[i] - b[i]) / (abs(b[i]) + floor)
        if d > worst { worst = d; at = i }
    }
    return (worst, at)
}

/// ∂/∂x of Σ f(x)·R by central differences on the entries `indices` of `x`.
func finiteDifferences(_ x: [Float], indices: [Int], weights r: [Float], h: Float = 1e-2, _ f: ([Float]) -> [Float])
    -> [Float]
{
    indices.map { i in
        var xp = x, xm = x
        xp[i] += h
        xm[i] -= h
        let fp = f(xp), fm = f(xm)
        var s = 0.0
        for k in 0..<fp.count { s += (Double(fp[k]) - Double(fm[k])) * Double(r[k]) }
        return Float(s / (2 * Double(h)))
    }
}

func sampleIndices(_ n: Int, _ k: Int, seed: UInt64) -> [Int] {
    var r = SplitMix64(seed: seed)
    return (0..<min(k, n)).map { _ in Int(r.next() % UInt64(n)) }
}

@Suite struct KernelsTests {
    @Test(arguments: [1, 2])
    func layerNorm(threads: Int) {
        let rows = 6, C = 20
        let x = randomFloats(rows * C, seed: 1), w = randomFloats(C, seed: 2), b = randomFloats(C, seed: 3)
        let out = Buf(zeros: rows * C), mean = Buf(zeros: rows), rstd = Buf(zeros: rows)
        let X = Buf(x), W = Buf(w), Bb = Buf(b)
        Kernels.layerNormForward(
            out: out.p, mean: mean.p, rstd: rstd.p, inp: X.p, weight: W.p, bias: Bb.p, rows: rows, C: C,
            threads: threads)
        let naive = NaiveKernels.layerNormForward(inp: x, weight: w, bias: b, rows: rows, C: C)
        let (fwd, at) = maxRelDiff(out.array, naive)
        #expect(fwd < 1e-4, "forward differs by \(fwd) at \(at)")

        let r = randomFloats(rows * C, seed: 4)
        let dinp = Buf(zeros: rows * C), dw = Buf(zeros: C), db = Buf(zeros: C), R = Buf(r)
        Kernels.layerNormBackward(
            dinp: dinp.p, dweight: dw.p, dbias: db.p, dout: R.p, inp: X.p, weight: W.p, mean: mean.p, rstd: rstd.p,
            rows: rows, C: C, threads: threads)
        let ix = Array(0..<(rows * C))
        let fdx = finiteDifferences(x, indices: ix, weights: r, h: 1e-3) {
            NaiveKernels.layerNormForward(inp: $0, weight: w, bias: b, rows: rows, C: C)
        }
        let fdw = finiteDifferences(w, indices: Array(0..<C), weights: r) {
            NaiveKernels.layerNormForward(inp: x, weight: $0, bias: b, rows: rows, C: C)
        }
        let fdb = finiteDifferences(b, indices: Array(0..<C), weights: r) {
            NaiveKernels.layerNormForward(inp: x, weight: w, bias: $0, rows: rows, C: C)
        }
        for (name, got, want) in [("dinp", dinp.array, fdx), ("dweight", dw.array, fdw), ("dbias", db.array, fdb)] {
            let (d, at) = maxRelDiff(got, want, floor: 1e-1)
            #expect(d < 2e-2, "\(name) differs from finite differences by \(d) at \(at): \(got[at]) vs \(want[at])")
        }
    }

    @Test func matmul() {
        let rows = 5, inC = 12, outC = 7
        let x = randomFloats(rows * inC, seed: 5), w = randomFloats(inC * outC, seed: 6),
            b = randomFloats(outC, seed: 7)
        let out = Buf(zeros: rows * outC), X = Buf(x), W = Buf(w), Bb = Buf(b)
        Kernels.matmulForward(
            out: out.p, inp: X.p, weight: W.p, bias: Bb.p, rows: rows, inC: inC, outC: outC, threads: 2)
        let naive = NaiveKernels.matmulForward(inp: x, weight: w, bias: b, rows: rows, inC: inC, outC: outC)
        #expect(maxRelDiff(out.array, naive).0 < 1e-4)

        let r = randomFloats(rows * outC, seed: 8)
        let dinp = Buf(zeros: rows * inC), dw = Buf(zeros: inC * outC), db = Buf(zeros: outC), R = Buf(r)
        Kernels.matmulBackward(
            dinp: dinp.p, dweight: dw.p, dbias: db.p, dout: R.p, inp: X.p, weight: W.p, rows: rows, inC: inC,
            outC: outC, threads: 2)
        let f = { (x: [Float], w: [Float], b: [Float]) in
            NaiveKernels.matmulForward(inp: x, weight: w, bias: b, rows: rows, inC: inC, outC: outC)
        }
        let fdx = finiteDifferences(x, indices: Array(0..<x.count), weights: r) { f($0, w, b) }
        let fdw = finiteDifferences(w, indices: Array(0..<w.count), weights: r) { f(x, $0, b) }
        let fdb = finiteDifferences(b, indices: Array(0..<b.count), weights: r) { f(x, w, $0) }
        for (name, got, want) in [("dinp", dinp.array, fdx), ("dweight", dw.array, fdw), ("dbias", db.array, fdb)] {
            let (d, at) = maxRelDiff(got, want, floor: 1e-1)
            #expect(d < 1e-2, "\(name) differs from finite differences by \(d) at \(at)")
        }
    }

    @Test func gelu() {
        let n = 37  // not a multiple of 8: exercises the vector body and the scalar tail
        let x = randomFloats(n, seed: 9, scale: 3)
        let out = Buf(zeros: n), X = Buf(x)
        Kernels.geluForward(out: out.p, inp: X.p, n: n, threads: 2)
        let (fwd, at) = maxRelDiff(out.array, NaiveKernels.geluForward(inp: x), floor: 1e-4)
        #expect(fwd < 1e-4, "forward differs by \(fwd) at \(at)")
        let r = randomFloats(n, seed: 10)
        let d = Buf(r)
        Kernels.geluBackward(dinp: d.p, inp: X.p, dout: d.p, n: n, threads: 2)  // in place, as the model calls it
        let fd = finiteDifferences(x, indices: Array(0..<n), weights: r, h: 1e-3) { NaiveKernels.geluForward(inp: $0) }
        let (bwd, bat) = maxRelDiff(d.array, fd, floor: 1e-1)
        #expect(bwd < 1e-2, "backward differs by \(bwd) at \(bat)")
    }

    @Test(arguments: [1, 2])
    func attention(threads: Int) {
        let B = 2, T = 5, C = 8, NH = 2
        let qkv = randomFloats(B * T * 3 * C, seed: 11)
        let out = Buf(zeros: B * T * C), att = Buf(zeros: B * NH * T * T), Q = Buf(qkv)
        Kernels.attentionForward(out: out.p, att: att.p, qkv: Q.p, B: B, T: T, C: C, NH: NH, threads: threads)
        let naive = NaiveKernels.attentionForward(qkv: qkv, B: B, T: T, C: C, NH: NH)
        let (fwd, at) = maxRelDiff(out.array, naive)
        #expect(fwd < 1e-4, "forward differs by \(fwd) at \(at)")
        let r = randomFloats(B * T * C, seed: 12)
        let dqkv = Buf(zeros: qkv.count), datt = Buf(zeros: B * NH * T * T), R = Buf(r)
        Kernels.attentionBackward(
            dqkv: dqkv.p, datt: datt.p, dout: R.p, att: att.p, qkv: Q.p, B: B, T: T, C: C, NH: NH, threads: threads)
        let fd = finiteDifferences(qkv, indices: Array(0..<qkv.count), weights: r, h: 1e-3) {
            NaiveKernels.attentionForward(qkv: $0, B: B, T: T, C: C, NH: NH)
        }
        let (bwd, bat) = maxRelDiff(dqkv.array, fd, floor: 1e-1)
        #expect(bwd < 1e-2, "backward differs by \(bwd) at \(bat): \(dqkv.array[bat]) vs \(fd[bat])")
    }

    @Test func crossEntropy() {
        let rows = 4, V = 19
        let logits = randomFloats(rows * V, seed: 13, scale: 2)
        let targets: [Int32] = [0, 18, 7, 3]
        let L = Buf(logits), losses = Buf(zeros: rows)
        let tg = UnsafeMutablePointer<Int32>.allocate(capacity: rows)
        defer { tg.deallocate() }
        tg.initialize(from: targets, count: rows)
        Kernels.crossEntropyForward(logits: L.p, losses: losses.p, targets: tg, rows: rows, V: V, threads: 2)
        let naive = NaiveKernels.crossEntropy(logits: logits, targets: targets, rows: rows, V: V)
        #expect(maxRelDiff(losses.array, naive).0 < 1e-5)
        // Backward of Σ_r R_r·loss_r for a per-row weight R (the model uses R = scale).
        let r = randomFloats(rows, seed: 14)
        var grads = [Float]()
        for row in 0..<rows {
            Kernels.crossEntropyBackward(
                probs: L.p + row * V, targets: tg + row, rows: 1, V: V, scale: r[row], threads: 1)
            grads += Array(UnsafeBufferPointer(start: L.p + row * V, count: V))
        }
        let fd = finiteDifferences(logits, indices: Array(0..<logits.count), weights: r, h: 1e-3) {
            NaiveKernels.crossEntropy(logits: $0, targets: targets, rows: rows, V: V)
        }
        let (d, at) = maxRelDiff(grads, fd, floor: 1e-1)
        #expect(d < 1e-2, "backward differs by \(d) at \(at)")
    }

    @Test func embeddings() {
        let B = 2, T = 3, C = 4, V = 5
        let tokens: [Int32] = [1, 4, 1, 0, 1, 3]  // token 1 repeats: its gradient must sum
        let wte = randomFloats(V * C, seed: 15), wpe = randomFloats(T * C, seed: 16)
        let out = Buf(zeros: B * T * C), E = Buf(wte), P = Buf(wpe)
        let tk = UnsafeMutablePointer<Int32>.allocate(capacity: tokens.count)
        defer { tk.deallocate() }
        tk.initialize(from: tokens, count: tokens.count)
        Kernels.encoderForward(out: out.p, tokens: tk, wte: E.p, wpe: P.p, B: B, T: T, C: C, threads: 2)
        #expect(out.array == NaiveKernels.encoderForward(tokens: tokens, wte: wte, wpe: wpe, B: B, T: T, C: C))
        let r = randomFloats(B * T * C, seed: 17)
        let dwte = Buf(zeros: V * C), dwpe = Buf(zeros: T * C), R = Buf(r)
        Kernels.encoderBackward(dwte: dwte.p, dwpe: dwpe.p, dout: R.p, tokens: tk, B: B, T: T, C: C, threads: 2)
        let fdE = finiteDifferences(wte, indices: Array(0..<wte.count), weights: r) {
            NaiveKernels.encoderForward(tokens: tokens, wte: $0, wpe: wpe, B: B, T: T, C: C)
        }
        let fdP = finiteDifferences(wpe, indices: Array(0..<wpe.count), weights: r) {
            NaiveKernels.encoderForward(tokens: tokens, wte: wte, wpe: $0, B: B, T: T, C: C)
        }
        #expect(maxRelDiff(dwte.array, fdE, floor: 1e-1).0 < 1e-3)
        #expect(maxRelDiff(dwpe.array, fdP, floor: 1e-1).0 < 1e-3)
    }
}
