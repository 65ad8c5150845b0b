// Each C library links and works: one small real call per library.
import CBzip2
import CICUShim
import CZlib
import CZstd
import Testing

@Suite struct SystemLibraryTests {
    let sample =
        Array("Sluice turns raw crawls into training data. ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 500)

    @Test func zstdRoundTrip() {
        var compressed = [UInt8](repeating: 0, count: ZSTD_compressBound(sample.count))
        let n = ZSTD_compress(&compressed, compressed.count, sample, sample.count, 3)
        #expect(ZSTD_isError(n) == 0)
        var back = [UInt8](repeating: 0, count: sample.count)
        let m = ZSTD_decompress(&back, back.count, compressed, n)
        #expect(ZSTD_isError(m) == 0 && m == sample.count)
        #expect(back == sample)
    }

    @Test func gzipRoundTrip() {
        var bound = compressBound(uLong(sample.count))
        var compressed = [UInt8](repeating: 0, count: Int(bound))
        #expect(compress2(&compressed, &bound, sample, uLong(sample.count), 6) == Z_OK)
        var length = uLongf(sample.count)
        var back = [UInt8](repeating: 0, count: sample.count)
        #expect(uncompress(&back, &length, compressed, bound) == Z_OK)
        #expect(back == sample)
    }

    @Test func bzip2RoundTrip() {
        var input = sample.map { CChar(bitPattern: $0) }
        var compressed = [CChar](repeating: 0, count: sample.count * 2 + 600)
        var clen = UInt32(compressed.count)
        #expect(BZ2_bzBuffToBuffCompress(&compressed, &clen, &input, UInt32(input.count), 9, 0, 0) == BZ_OK)
        var back = [CChar](repeating: 0, count: sample.count)
        var blen = UInt32(back.count)
        #expect(BZ2_bzBuffToBuffDecompress(&back, &blen, &compressed, clen, 0, 0) == BZ_OK)
        #expect(back == input)
    }

    @Test func icuNFKCFoldsLigature() {
        let fi = Array("ﬁ".utf8)
        var out = [UInt8](repeating: 0, count: 16)
        var status: Int32 = 0
        let n = sluice_icu_normalize(Int32(SLUICE_NFKC), fi, Int32(fi.count), &out, 16, &status)
        #expect(status <= 0)
        #expect(String(decoding: out[0..<Int(n)], as: UTF8.self) == "fi")
    }
}
