// OpenBLAS links and multiplies: a 2×2 cblas_sgemm against the hand-computed product.
import COpenBLAS
import Testing

@Suite struct OpenBLASTests {
    @Test func sgemm2x2() {
        let a: [Float] = [1, 2, 3, 4]  // row-major [[1, 2], [3, 4]]
        let b: [Float] = [5, 6, 7, 8]  // [[5, 6], [7, 8]]
        var c = [Float](repeating: 0, count: 4)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1, a, 2, b, 2, 0, &c, 2)
        #expect(c == [19, 22, 43, 50])
    }
}
