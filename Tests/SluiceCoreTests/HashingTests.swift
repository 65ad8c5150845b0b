// Hashing: xxHash64 against known vectors, and the streaming hash against the one-shot one.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct HashingTests {
    @Test func xxHash64KnownVectors() {
        #expect(xxHash64("", seed: 0) == 0xEF46_DB37_51D8_E999)
        #expect(xxHash64("a", seed: 0) == 0xD24E_C4F1_A98C_6E5B)
        #expect(xxHash64("abc", seed: 0) == 0x44BC_2CF5_AD77_0999)
    }

    @Test(arguments: [1, 3, 7, 31, 32, 33, 4096])
    func streamingXXHash64MatchesTheOneShotHash(chunk: Int) {
        var bytes: [UInt8] = []
        var x: UInt64 = 7
        for _ in 0..<10_007 {
            x = mix64(x)
            bytes.append(UInt8(truncatingIfNeeded: x))
        }
        for n in [0, 1, 5, 31, 32, 33, 100, 10_007] {
            var stream = XXHash64Stream()
            var i = 0
            while i < n {
                let end = min(n, i + chunk)
                bytes[i..<end].withUnsafeBytes { stream.update($0) }
                i = end
            }
            let whole = bytes[0..<n].withUnsafeBytes { xxHash64($0) }
            #expect(stream.digest() == whole, "length \(n), chunk \(chunk)")
            #expect(stream.count == n)
        }
        // A published vector: XXH64("", 0) = ef46db3751d8e999.
        #expect(XXHash64Stream().digest() == 0xEF46_DB37_51D8_E999)
    }
}
