// Interop with Python's zstandard, gzip and bz2 modules: files they write (several frames, members
// or streams) read back through our sources, and files we write read back by them, checksum on.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct StreamInteropTests {
    @Test func pythonWritesWeRead() throws {
        let python = try TestSupport.python()
        let dir = try TestSupport.temporaryDirectory("interop")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
            import bz2, gzip, sys, zstandard
            d = sys.argv[1]
            parts = [("part %d " % i).encode() * (1000 * i + 1) for i in range(4)]
            with open(d + "/p.zst", "wb") as f:
                for p in parts: f.write(zstandard.ZstdCompressor(level=5, write_checksum=True).compress(p))
            with open(d + "/p.gz", "wb") as f:
                for p in parts: f.write(gzip.compress(p))
            with open(d + "/p.bz2", "wb") as f:
                for p in parts: f.write(bz2.compress(p))
            open(d + "/p.raw", "wb").write(b"".join(parts))
            """
        let r = try TestSupport.run(python, ["-c", script, dir])
        #expect(r.status == 0, "\(r.stderr)")
        let expected = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/p.raw")))
        for ext in [".zst", ".gz", ".bz2"] {
            #expect(try openByteSource(dir + "/p" + ext).readAll() == expected, "\(ext)")
        }
    }

    @Test func weWritePythonReads() throws {
        let python = try TestSupport.python()
        let dir = try TestSupport.temporaryDirectory("interop")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = sampleBytes(300_000, seed: 9)
        try Data(data).write(to: URL(fileURLWithPath: dir + "/w.raw"))
        for ext in [".zst", ".gz", ".bz2"] { try writeCompressed(data, to: dir + "/w" + ext) }
        let script = """
            import bz2, gzip, sys, zstandard
            d = sys.argv[1]
            raw = open(d + "/w.raw", "rb").read()
            z = open(d + "/w.zst", "rb").read()
            assert zstandard.get_frame_parameters(z).has_checksum, "no zstd checksum"
            assert zstandard.ZstdDecompressor().decompressobj().decompress(z) == raw, "zst"
            assert gzip.decompress(open(d + "/w.gz", "rb").read()) == raw, "gz"
            assert bz2.decompress(open(d + "/w.bz2", "rb").read()) == raw, "bz2"
            print("ok")
            """
        let r = try TestSupport.run(python, ["-c", script, dir])
        #expect(r.status == 0 && r.stdout == "ok\n", "\(r.stderr)")
    }
}
