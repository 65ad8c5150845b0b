// MinHasher: Mersenne-prime permutations against a naive 128-bit oracle; a signature is the minimum over
// the shingles.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceDedup

@Suite struct MinHasherTests {
    @Test func permutationMatchesNaiveModulo() {
        let p = MinHasher.prime
        var x: UInt64 = 12345
        for _ in 0..<2000 {
            x = mix64(x)
            let a = mix64(x ^ 1) % (p - 1) + 1
            let b = mix64(x ^ 2) % p
            let v = x % p
            let prod = a.multipliedFullWidth(by: v)
            let (_, r) = p.dividingFullWidth(prod)
            let expected = (r + b) % p
            #expect(MinHasher.permute(v, a, b) == expected)
        }
        #expect(MinHasher.permute(p - 1, p - 1, p - 1) == 0)  // (−1)(−1) + (−1) = 0 mod p
    }

    @Test func signatureIsMinimumOverShingles() throws {
        let h = MinHasher(bands: 2, rows: 3, seed: 9)
        let shingles: [UInt64] = [1, 99, 12_345_678_901, .max]
        var sig = [UInt64](repeating: 0, count: 6)
        shingles.withUnsafeBufferPointer { s in sig.withUnsafeMutableBufferPointer { h.signature(of: s, into: $0) } }
        for i in 0..<6 {
            let naive = shingles.map { MinHasher.permute($0 % MinHasher.prime, h.a[i], h.b[i]) }.min()!
            #expect(sig[i] == naive)
        }
        #expect(MinHasher(bands: 2, rows: 3, seed: 9).a == h.a)
        #expect(MinHasher(bands: 2, rows: 3, seed: 10).a != h.a)
    }
}
