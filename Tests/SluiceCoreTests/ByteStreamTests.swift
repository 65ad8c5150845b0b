// Compressed streams: round trips across read sizes, multi-member / multi-frame / multistream
// files, and truncated or bit-flipped files (bytes before the damage survive; the error names
// the file and offset).
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

/// Deterministic, moderately compressible test bytes: real-looking words from a small LCG.
func sampleBytes(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
    let words = ["sluice ", "gate ", "water ", "data ", "Ω ", "ü ", "token\n", "語 ", "flow ", "stream "].map {
        Array($0.utf8)
    }
    var state = seed
    var out: [UInt8] = []
    out.reserveCapacity(count + 16)
    while out.count < count {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        out += words[Int(state >> 60) % words.count]
        if state >> 63 == 1 { out.append(UInt8(truncatingIfNeeded: state >> 32)) }
    }
    return Array(out.prefix(count))
}

/// Writes `data` through `createByteSink` to `path`.
func writeCompressed(_ data: [UInt8], to path: String, level: Int? = nil) throws {
    let sink = try createByteSink(path, level: level)
    // Several writes of uneven size, as real writers do.
    var i = 0
    var step = 1
    while i < data.count {
        let n = min(step, data.count - i)
        try data[i..<(i + n)].withUnsafeBytes { try sink.write($0) }
        i += n
        step = step * 3 + 1
    }
    try sink.close()
}

/// Reads `path` in `chunk`-sized reads; returns the bytes and the error that stopped it, if any.
func readInChunks(_ path: String, chunk: Int) -> (bytes: [UInt8], error: SluiceError?) {
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: chunk)
    do {
        let source = try openByteSource(path)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return (out, nil) }
            out += buffer[0..<n]
        }
    } catch let e as SluiceError {
        return (out, e)
    } catch {
        Issue.record("unexpected error \(error)")
        return (out, nil)
    }
}

@Suite struct ByteStreamTests {
    static let extensions = ["", ".gz", ".zst", ".bz2"]

    @Test(arguments: [1, 2, 7, 4096, 1 << 20])
    func roundTripEveryFormat(chunk: Int) throws {
        let dir = try TestSupport.temporaryDirectory("streams")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 1-byte reads over megabytes take long; keep the big data for big chunks.
        let data = sampleBytes(chunk < 8 ? 200_000 : 3_000_000)
        for ext in Self.extensions {
            let path = dir + "/data.bin" + ext
            try writeCompressed(data, to: path)
            let (back, error) = readInChunks(path, chunk: chunk)
            #expect(error == nil, "\(ext): \(String(describing: error))")
            #expect(back == data, "\(ext): \(back.count) bytes back of \(data.count)")
        }
    }

    @Test func emptyStreams() throws {
        let dir = try TestSupport.temporaryDirectory("streams")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for ext in Self.extensions {
            let path = dir + "/empty" + ext
            try writeCompressed([], to: path)
            let (back, error) = readInChunks(path, chunk: 4096)
            #expect(error == nil && back.isEmpty, "\(ext)")
        }
        // A zero-byte file is an empty stream for every format.
        for ext in Self.extensions {
            let path = dir + "/zero" + ext
            _ = FileManager.default.createFile(atPath: path, contents: Data())
            let (back, error) = readInChunks(path, chunk: 4096)
            #expect(error == nil && back.isEmpty, "\(ext)")
        }
    }

    /// Members / frames / streams written separately and concatenated read as one stream.
    @Test(arguments: [7, 4096, 1 << 20])
    func concatenatedMembers(chunk: Int) throws {
        let dir = try TestSupport.temporaryDirectory("streams")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let parts = [sampleBytes(100_000, seed: 2), sampleBytes(1, seed: 3), [], sampleBytes(400_000, seed: 4)]
        for ext in [".gz", ".zst", ".bz2"] {
            var joined = Data()
            for (i, part) in parts.enumerated() {
                let p = dir + "/part\(i).bin" + ext
                try writeCompressed(part, to: p)
                joined.append(try Data(contentsOf: URL(fileURLWithPath: p)))
            }
            let path = dir + "/joined.bin" + ext
            try joined.write(to: URL(fileURLWithPath: path))
            let (back, error) = readInChunks(path, chunk: chunk)
            #expect(error == nil, "\(ext): \(String(describing: error))")
            #expect(back == parts.flatMap { $0 }, "\(ext)")
        }
    }

    /// A file cut in the middle: every byte before the cut comes back, then an error with the offset.
    @Test(arguments: [7, 4096, 1 << 20])
    func truncatedFiles(chunk: Int) throws {
        let dir = try TestSupport.temporaryDirectory("streams")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = sampleBytes(2_000_000, seed: 5)
        for ext in [".gz", ".zst", ".bz2"] {
            let path = dir + "/full.bin" + ext
            try writeCompressed(data, to: path)
            let full = try Data(contentsOf: URL(fileURLWithPath: path))
            let cut = dir + "/cut.bin" + ext
            try full.prefix(full.count * 3 / 4).write(to: URL(fileURLWithPath: cut))
            let (back, error) = readInChunks(cut, chunk: chunk)
            let e = try #require(error, "\(ext): a truncated file must throw")
            #expect(e.code == .corruptInput, "\(ext)")
            #expect(e.file == cut)
            #expect(e.offset == full.count * 3 / 4, "\(ext): offset \(String(describing: e.offset))")
            #expect(e.description.contains("truncated"), "\(ext): \(e)")
            #expect(back.count > data.count / 3, "\(ext): only \(back.count) bytes before the cut")
            #expect(Array(data.prefix(back.count)) == back, "\(ext): bytes before the cut differ")
            // The error sticks: reading again throws again rather than claiming a clean end.
            let source = try openByteSource(cut)
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            var threw = false
            do { while try buffer.withUnsafeMutableBytes({ try source.read(into: $0) }) > 0 {} } catch { threw = true }
            #expect(threw)
        }
    }

    /// A flipped bit in the middle of the compressed data is detected (by structure or checksum).
    @Test(arguments: [7, 1 << 20])
    func bitFlippedFiles(chunk: Int) throws {
        let dir = try TestSupport.temporaryDirectory("streams")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = sampleBytes(1_000_000, seed: 6)
        for ext in [".gz", ".zst", ".bz2"] {
            let path = dir + "/full.bin" + ext
            try writeCompressed(data, to: path)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            for position in [bytes.count / 2, bytes.count / 5] {
                var flipped = bytes
                flipped[position] ^= 0x10
                let bad = dir + "/flipped.bin" + ext
                try Data(flipped).write(to: URL(fileURLWithPath: bad))
                let (back, error) = readInChunks(bad, chunk: chunk)
                let e = try #require(error, "\(ext): bit flip at \(position) not detected")
                #expect(e.code == .corruptInput)
                #expect(e.file == bad)
                #expect((e.offset ?? -1) >= 0 && (e.offset ?? .max) <= flipped.count)
                // Damaged blocks may decode to wrong bytes before a checksum catches them, but
                // nothing past the damage is invented wholesale.
                #expect(back.count <= data.count + (1 << 17))
            }
            bytes.removeAll()
        }
    }

    /// Garbage that is not compressed at all fails at offset 0 with a clear message.
    @Test func notCompressed() throws {
        let dir = try TestSupport.temporaryDirectory("streams")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for ext in [".gz", ".zst", ".bz2"] {
            let path = dir + "/plain.txt" + ext
            try Data("just some text, not compressed\n".utf8).write(to: URL(fileURLWithPath: path))
            let (back, error) = readInChunks(path, chunk: 4096)
            #expect(back.isEmpty)
            #expect(error?.code == .corruptInput, "\(ext): \(String(describing: error))")
        }
    }

    @Test func missingFileIsAnIOError() {
        #expect(throws: SluiceError.self) { _ = try openByteSource("/nonexistent/sluice/file.jsonl.zst") }
        do {
            _ = try openByteSource("/nonexistent/sluice/file.jsonl.zst")
        } catch let e as SluiceError {
            #expect(e.code == .io && e.file == "/nonexistent/sluice/file.jsonl.zst")
        } catch {}
    }

    @Test func levelsOutOfRangeAreConfigErrors() throws {
        let dir = try TestSupport.temporaryDirectory("streams")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: SluiceError.self) { _ = try createByteSink(dir + "/x.gz", level: 12) }
        #expect(throws: SluiceError.self) { _ = try createByteSink(dir + "/x.zst", level: 40) }
        // Every level in range works and round-trips.
        let data = sampleBytes(50_000)
        for (ext, level) in [(".gz", 1), (".gz", 9), (".zst", 1), (".zst", 19), (".bz2", 1)] {
            let path = dir + "/lvl\(level)" + ext
            try writeCompressed(data, to: path, level: level)
            #expect(readInChunks(path, chunk: 4096).bytes == data)
        }
    }

    /// Wikipedia's multistream dumps decode to the end (a real multi-stream bz2 from the corpus).
    @Test(.enabled(if: TestSupport.corpusAvailable, Comment(rawValue: TestSupport.corpusMissingReason)))
    func wikipediaDumpDecodes() throws {
        let path = TestSupport.corpus("wiki/enwiki-table-markup.xml.bz2")
        let (back, error) = readInChunks(path, chunk: 1 << 16)
        #expect(error == nil)
        let text = String(decoding: back.suffix(200), as: UTF8.self)
        #expect(text.contains("</mediawiki>"))
    }
}
