// The kernels of the modern recipe (issue 23) against their naive twins (forward) and central
// finite differences of the naive forward (backward), as `KernelsTests` does for GPT-2's.
import Foundation
import Testing

@testable import SluiceTrain

@Suite struct ModernKernelsTests {
    func expectClose(_ name: String, _ got: [Float], _ want: [Float], floor: Float = 1e-1, tol: Float = 2e-2) {
        let (d, at) = maxRelDiff(got, want, floor: floor)
        #expect(d < tol, "\(name) differs by \(d) at \(at): \(at >= 0 ? got[at] : 0) vs \(at >= 0 ? want[at] : 0)")
    }

    @Test(arguments: [1, 2])
    func rmsNorm(threads: Int) {
        let rows = 5, C = 19
        let x = randomFloats(rows * C, seed: 1), w = randomFloats(C, seed: 2)
        let X = Buf(x), W = Buf(w), out = Buf(zeros: rows * C), rstd = Buf(zeros: rows)
        Kernels.rmsNormForward(out: out.p, rstd: rstd.p, inp: X.p, weight: W.p, rows: rows, C: C, threads: threads)
        expectClose(
            "forward", out.array, NaiveKernels.rmsNormForward(inp: x, weight: w, rows: rows, C: C), floor: 1e-3,
            tol: 1e-4)
        let r = randomFloats(rows * C, seed: 3), R = Buf(r)
        let dx = Buf(zeros: rows * C), dw = Buf(zeros: C)
        Kernels.rmsNormBackward(
            dinp: dx.p, dweight: dw.p, dout: R.p, inp: X.p, weight: W.p, rstd: rstd.p, rows: rows, C: C,
            threads: threads)
        let fdx = finiteDifferences(x, indices: Array(0..<(rows * C)), weights: r, h: 1e-3) {
            NaiveKernels.rmsNormForward(inp: $0, weight: w, rows: rows, C: C)
        }
        let fdw = finiteDifferences(w, indices: Array(0..<C), weights: r) {
            NaiveKernels.rmsNormForward(inp: x, weight: $0, rows: rows, C: C)
        }
        expectClose("dinp", dx.array, fdx)
        expectClose("dweight", dw.array, fdw)
    }

    /// QK norm then RoPE (the model's order): forward against the naive pair, backward (QK-norm
    /// backward on the rotated values, then the inverse rotation) against finite differences.
    @Test(arguments: [(false, true), (true, false), (true, true)])
    func qkNormAndRope(qkNorm: Bool, rope: Bool) {
        let B = 2, T = 5, C = 12, NH = 2, rows = B * T, theta = 10_000.0
        let x = randomFloats(rows * 3 * C, seed: 4)
        let table = Kernels.ropeTable(T: 8, headSize: C / NH, theta: theta)
        func naive(_ v: [Float]) -> [Float] {
            var y = v
            if qkNorm { y = NaiveKernels.qkNorm(qkv: y, rows: rows, C: C, NH: NH) }
            if rope { y = NaiveKernels.rope(qkv: y, rows: rows, T: T, C: C, NH: NH, theta: theta) }
            return y
        }
        let q = Buf(x), rstd = Buf(zeros: rows * 2 * NH)
        table.withUnsafeBufferPointer { tb in
            if qkNorm { Kernels.qkNormForward(qkv: q.p, rstd: rstd.p, rows: rows, C: C, NH: NH, threads: 2) }
            if rope { Kernels.rope(q.p, rows: rows, T: T, C: C, NH: NH, table: tb.baseAddress!, tableT: 8, threads: 2) }
        }
        expectClose("forward", q.array, naive(x), floor: 1e-3, tol: 1e-4)
        let r = randomFloats(rows * 3 * C, seed: 5), dq = Buf(r)
        table.withUnsafeBufferPointer { tb in
            if qkNorm {
                Kernels.qkNormBackward(dqkv: dq.p, qkv: q.p, rstd: rstd.p, rows: rows, C: C, NH: NH, threads: 2)
            }
            if rope {
                Kernels.rope(
                    dq.p, rows: rows, T: T, C: C, NH: NH, table: tb.baseAddress!, tableT: 8, inverse: true, threads: 2)
            }
        }
        let fd = finiteDifferences(x, indices: Array(0..<x.count), weights: r, h: 1e-3, naive)
        expectClose("dqkv", dq.array, fd)
    }

    @Test func ropeAtAnOffsetIsTheSameRotationAsInAFullSequence() {
        // The KV cache rotates rows p0… one call at a time: the same numbers as rows of a whole pass.
        let C = 8, NH = 2, T = 6
        let x = randomFloats(T * 3 * C, seed: 6)
        let table = Kernels.ropeTable(T: T, headSize: C / NH, theta: 500)
        let whole = Buf(x), tail = Buf(Array(x[(4 * 3 * C)...]))
        table.withUnsafeBufferPointer { tb in
            Kernels.rope(whole.p, rows: T, T: T, C: C, NH: NH, table: tb.baseAddress!, tableT: T, threads: 1)
            Kernels.rope(tail.p, rows: 2, T: 2, start: 4, C: C, NH: NH, table: tb.baseAddress!, tableT: T, threads: 1)
        }
        #expect(Array(whole.array[(4 * 3 * C)...]) == tail.array)
        expectClose(
            "naive", whole.array, NaiveKernels.rope(qkv: x, rows: T, T: T, C: C, NH: NH, theta: 500), floor: 1e-3,
            tol: 1e-4)
    }

    @Test func relu2() {
        let n = 37
        let x = randomFloats(n, seed: 7), X = Buf(x), out = Buf(zeros: n)
        Kernels.relu2Forward(out: out.p, inp: X.p, n: n, threads: 2)
        #expect(out.array == NaiveKernels.relu2(x))
        let r = randomFloats(n, seed: 8), d = Buf(r)
        Kernels.relu2Backward(dinp: d.p, inp: X.p, dout: d.p, n: n, threads: 2)
        expectClose(
            "dinp", d.array, finiteDifferences(x, indices: Array(0..<n), weights: r, h: 1e-3, NaiveKernels.relu2))
    }

    @Test(arguments: [1, 2])
    func swiglu(threads: Int) {
        let rows = 3, H = 13  // not a multiple of 8: the vector body and the tail both run
        let x = randomFloats(rows * 2 * H, seed: 9), X = Buf(x), out = Buf(zeros: rows * H)
        Kernels.swigluForward(out: out.p, inp: X.p, rows: rows, H: H, threads: threads)
        expectClose("forward", out.array, NaiveKernels.swiglu(inp: x, rows: rows, H: H), floor: 1e-3, tol: 1e-4)
        let r = randomFloats(rows * H, seed: 10), R = Buf(r), dx = Buf(zeros: rows * 2 * H)
        Kernels.swigluBackward(dinp: dx.p, inp: X.p, dout: R.p, rows: rows, H: H, threads: threads)
        let fd = finiteDifferences(x, indices: Array(0..<x.count), weights: r, h: 1e-3) {
            NaiveKernels.swiglu(inp: $0, rows: rows, H: H)
        }
        expectClose("dinp", dx.array, fd)
    }

    @Test func softcap() {
        let n = 29, cap: Float = 3
        let z = randomFloats(n, seed: 11, scale: 4), Z = Buf(z), t = Buf(zeros: n)
        Kernels.softcapForward(Z.p, tanhOut: t.p, n: n, cap: cap, threads: 2)
        expectClose("forward", Z.array, NaiveKernels.softcap(z, cap: cap), floor: 1e-3, tol: 1e-4)
        #expect(Z.array.allSatisfy { abs($0) < cap })
        let r = randomFloats(n, seed: 12), d = Buf(r)
        Kernels.softcapBackward(d.p, tanh: t.p, n: n, threads: 2)
        expectClose(
            "dz", d.array,
            finiteDifferences(z, indices: Array(0..<n), weights: r, h: 1e-3) { NaiveKernels.softcap($0, cap: cap) })
    }
}
