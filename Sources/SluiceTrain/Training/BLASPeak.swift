// The machine's measured SGEMM throughput, the denominator of MFU. Measured, not assumed:
// a few square cblas_sgemm calls, best run kept (OpenBLAS reaches ~90 % of the FMA ceiling at n ≥ 1024).
import COpenBLAS
import Foundation
import SluiceCore

/// OpenBLAS thread control and the SGEMM peak.
public enum BLAS {
    /// Sets OpenBLAS's thread count (`openblas_set_num_threads`).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }

    /// FLOP/s of the best of `repeats` n×n×n `cblas_sgemm` calls (after one warm-up call).
    public static func measurePeak(n: Int = 1024, repeats: Int = 4) -> Double {
        var a = [Float](repeating: 0, count: n * n), b = a, c = a
        var rng = SplitMix64(seed: 1)
        for i in 0..<(n * n) {
            a[i] = Float(rng.nextUnit()) - 0.5
            b[i] = Float(rng.nextUnit()) - 0.5
        }
        var best = 0.0
        for r in 0...repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0,
                &c, Int32(n))
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if r > 0 { best = max(best, 2 * Double(n) * Double(n) * Double(n) / dt) }
        }
        return best
    }
}
