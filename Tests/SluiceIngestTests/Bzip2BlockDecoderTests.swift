// Bzip2BlockDecoder against libbz2: every block of real dumps and of data compressed here at levels
// 1 and 9 (runs, all byte values, one byte, random bytes) decodes to libbz2's bytes, stream CRCs
// combine from the block CRCs, and mutated or cut blocks return false (or the right bytes).
import CBzip2
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

/// Finds the blocks of a `.bz2` file the way ParallelBzip2Source does: 48-bit magics at any bit.
enum Bzip2TestBlocks {
    struct Block {
        var start: Int  // bit of the block magic
        var end: Int  // bit where the next magic starts (or the file's end when truncated)
        var level: Int
        var truncated = false
    }
    struct Stream {
        var blocks: [Block] = []
        var crc: UInt32?  // the stored combined CRC (nil when the file ends first)
    }

    static let blockMagic: UInt64 = 0x3141_5926_5359
    static let endMagic: UInt64 = 0x1772_4538_5090

    /// `n` (≤ 57) bits at bit `at`, MSB first; zeros past the end.
    static func bits(_ data: [UInt8], _ at: Int, _ n: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<8 {
            let i = at >> 3 + k
            v = v << 8 | UInt64(i < data.count ? data[i] : 0)
        }
        return (v << UInt64(at & 7)) >> UInt64(64 - n)
    }

    /// Every bit position holding a block or end-of-stream magic, sorted; memmem finds the five
    /// whole bytes each of the 8 alignments fixes, then the 48 bits are checked.
    static func magics(_ data: [UInt8]) -> [(bit: Int, isEnd: Bool)] {
        var found: [(bit: Int, isEnd: Bool)] = []
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            for (magic, isEnd) in [(blockMagic, false), (endMagic, true)] {
                for shift in 0..<8 {
                    // The magic at bit `shift` of a 7-byte window: bytes 1…5 are entirely magic.
                    let window = magic << UInt64(8 - shift)
                    var needle: [UInt8] = (1...5).map { UInt8(truncatingIfNeeded: window >> UInt64(8 * (6 - $0))) }
                    var from = 0
                    while from < raw.count {
                        // memchr for the first byte, then the other four (memmem is not in Glibc's module).
                        guard let hit = memchr(base + from, Int32(needle[0]), raw.count - from) else { break }
                        let at = base.distance(to: UnsafeRawPointer(hit))
                        from = at + 1
                        guard at + 5 <= raw.count, memcmp(hit, &needle, 5) == 0 else { continue }
                        let bit = (at - 1) * 8 + shift
                        if bit >= 0 && bits(data, bit, 48) == magic { found.append((bit, isEnd)) }
                    }
                }
            }
        }
        return found.sorted { $0.bit < $1.bit }
    }

    /// The streams and blocks of a `.bz2` file (single or multi-stream, possibly truncated).
    static func streams(_ data: [UInt8]) -> [Stream] {
        var streams: [Stream] = []
        var headerByte: Int? = 0
        var current = Stream()
        var level = 9
        var open: Int?
        for (bit, isEnd) in magics(data) {
            if let h = headerByte {
                guard bit >= h * 8 + 32, h + 4 <= data.count, data[h] == 0x42, data[h + 1] == 0x5A,
                    data[h + 2] == 0x68, (0x31...0x39).contains(data[h + 3])
                else { continue }
                level = Int(data[h + 3] - 0x30)
                headerByte = nil
            }
            if let start = open { current.blocks.append(Block(start: start, end: bit, level: level)) }
            if isEnd {
                current.crc = UInt32(bits(data, bit + 48, 32))
                streams.append(current)
                current = Stream()
                open = nil
                headerByte = (bit + 80 + 7) >> 3
            } else {
                open = bit
            }
        }
        if let start = open {
            current.blocks.append(Block(start: start, end: data.count * 8, level: level, truncated: true))
        }
        if !current.blocks.isEmpty { streams.append(current) }
        return streams
    }
}

@Suite struct Bzip2BlockDecoderTests {
    /// libbz2 (BZ2_bzBuffToBuffCompress) at `level`.
    static func compress(_ plain: [UInt8], level: Int32) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: plain.count + plain.count / 50 + 1024)
        var length = UInt32(out.count)
        var input = plain
        let r = out.withUnsafeMutableBytes { o in
            input.withUnsafeMutableBytes { i in
                BZ2_bzBuffToBuffCompress(
                    o.baseAddress!.assumingMemoryBound(to: CChar.self), &length,
                    i.baseAddress?.assumingMemoryBound(to: CChar.self), UInt32(i.count), level, 0, 30)
            }
        }
        precondition(r == BZ_OK, "BZ2_bzBuffToBuffCompress: \(r)")
        return Array(out.prefix(Int(length)))
    }

    /// libbz2's decoding of a whole buffer (BZ2_bzDecompress; multi-stream; stops at damage).
    static func libbz2(_ compressed: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var input = compressed
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        input.withUnsafeMutableBytes { inBytes in
            var offset = 0
            while offset < inBytes.count {
                var s = bz_stream()
                guard BZ2_bzDecompressInit(&s, 0, 0) == BZ_OK else { return }
                defer { BZ2_bzDecompressEnd(&s) }
                s.next_in = (inBytes.baseAddress! + offset).assumingMemoryBound(to: CChar.self)
                s.avail_in = UInt32(inBytes.count - offset)
                var r: Int32 = BZ_OK
                repeat {
                    let produced = chunk.withUnsafeMutableBytes { o -> Int in
                        s.next_out = o.baseAddress!.assumingMemoryBound(to: CChar.self)
                        s.avail_out = UInt32(o.count)
                        r = BZ2_bzDecompress(&s)
                        return o.count - Int(s.avail_out)
                    }
                    result.append(contentsOf: chunk.prefix(produced))
                } while r == BZ_OK && (s.avail_in > 0 || s.avail_out == 0)
                guard r == BZ_STREAM_END else { return }
                offset = inBytes.count - Int(s.avail_in)
            }
        }
        return result
    }

    /// Decodes every block with one decoder (alternately from the whole buffer and from a copy of
    /// the block's bytes); checks each stream's combined CRC; returns the bytes and how many blocks
    /// decoded, failed, and were truncated.
    static func decodeBlocks(_ data: [UInt8]) -> (bytes: [UInt8], blocks: Int, failed: Int, truncated: Int) {
        let decoder = Bzip2BlockDecoder()
        var out: [UInt8] = []
        var blocks = 0
        var failed = 0
        var truncated = 0
        for stream in Bzip2TestBlocks.streams(data) {
            var combined: UInt32 = 0
            for block in stream.blocks {
                blocks += 1
                if block.truncated { truncated += 1 }
                let before = out.count
                let ok: Bool
                if blocks % 2 == 0 {
                    ok = data.withUnsafeBytes {
                        decoder.decode($0, startBit: block.start, endBit: block.end, level: block.level, into: &out)
                    }
                } else {
                    // Every other block from a copy of just its bytes: the reader's end-of-buffer path.
                    let first = block.start >> 3
                    let copy = Array(data[first..<(block.end + 7) >> 3])
                    ok = copy.withUnsafeBytes {
                        decoder.decode(
                            $0, startBit: block.start - first * 8, endBit: block.end - first * 8, level: block.level,
                            into: &out)
                    }
                }
                if !ok {
                    #expect(out.count == before, "a failed decode must not change the output")
                    failed += 1
                    continue
                }
                combined = (combined << 1 | combined >> 31) ^ decoder.lastBlockCRC
            }
            if let crc = stream.crc, failed == 0 { #expect(combined == crc, "combined stream CRC") }
        }
        return (out, blocks, failed, truncated)
    }

    /// Compresses at levels 1 and 9 and checks the round trip through the block decoder.
    static func roundTrip(_ plain: [UInt8], _ label: String) {
        for level: Int32 in [1, 9] {
            let compressed = compress(plain, level: level)
            let got = decodeBlocks(compressed)
            #expect(got.failed == 0, "\(label) level \(level)")
            #expect(difference(got.bytes, plain) == nil, "\(label) level \(level)")
        }
    }

    /// nil when equal, else where and how the bytes differ (never the whole arrays: they are large).
    static func difference(_ got: [UInt8], _ expected: [UInt8]) -> String? {
        if got == expected { return nil }
        let at =
            zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(got.count, expected.count)
        return "\(got.count) bytes, expected \(expected.count); first difference at \(at)"
    }

    /// A seeded xorshift generator (the tests must be repeatable).
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    // MARK: - Real files

    @Test func fixtureFilesMatchLibbz2() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: TestSupport.fixture("wiki"))
            .filter { $0.hasSuffix(".bz2") }.sorted()
        #expect(names.count >= 3)
        for name in names {
            let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("wiki/" + name))))
            let got = Self.decodeBlocks(data)
            #expect(got.blocks > 0, "\(name)")
            // Only a block cut by the end of the file may fail.
            #expect(got.failed == got.truncated, "\(name)")
            #expect(Self.difference(got.bytes, Self.libbz2(data)) == nil, "\(name)")
        }
    }

    @Test func multiBlockFileAtLevelOne() throws {
        // The enwiki excerpt recompressed at level 1: several 100 kB blocks in one stream.
        let excerpt = URL(fileURLWithPath: TestSupport.fixture("wiki/enwiki-excerpt.xml.bz2"))
        let plain = Self.libbz2([UInt8](try Data(contentsOf: excerpt)))
        let compressed = Self.compress(plain, level: 1)
        let got = Self.decodeBlocks(compressed)
        #expect(got.blocks == (plain.count + 99_999) / 100_000 || got.blocks > 2)
        #expect(got.failed == 0 && Self.difference(got.bytes, plain) == nil)
        // Two streams back to back (a multistream file).
        let twice = Self.decodeBlocks(compressed + Self.compress(Array(plain.prefix(12345)), level: 9))
        #expect(twice.failed == 0 && Self.difference(twice.bytes, plain + plain.prefix(12345)) == nil)
    }

    @Test(.enabled(if: TestSupport.corpusAvailable, Comment(rawValue: TestSupport.corpusMissingReason)))
    func corpusDumpsMatchLibbz2() throws {
        let folder = TestSupport.corpus("wiki")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".bz2") }.sorted()
        #expect(names.count >= 5)
        for name in names {
            let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
            let got = Self.decodeBlocks(data)
            #expect(got.blocks > 0 && got.failed == got.truncated, "\(name)")
            #expect(Self.difference(got.bytes, Self.libbz2(data)) == nil, "\(name)")
        }
    }

    // MARK: - Made here

    @Test func runsOfEveryLength() {
        // RLE1 counts 0…255 (runs of 4…259), runs just past 259, and runs long enough to need many
        // RUNA/RUNB digits after the BWT.
        var plain: [UInt8] = []
        let lengths = [
            1, 2, 3, 4, 5, 6, 7, 8, 9, 254, 255, 256, 257, 258, 259, 260, 261, 262, 263, 264, 518, 519, 1000,
        ]
        for length in lengths {
            plain += [UInt8](repeating: UInt8(length & 0xFF), count: length)
            plain.append(0x41)
        }
        Self.roundTrip(plain, "short runs")
        Self.roundTrip([UInt8](repeating: 0x61, count: 250_000), "one long run")
        Self.roundTrip([UInt8](repeating: 0, count: 4), "four equal bytes")
        var mixed: [UInt8] = []
        var random = Random(state: 0x9E37_79B9_7F4A_7C15)
        while mixed.count < 300_000 {
            mixed += [UInt8](repeating: UInt8(random.below(4)), count: 1 + random.below(random.below(2) == 0 ? 8 : 700))
        }
        Self.roundTrip(mixed, "random runs")
    }

    @Test func periodicBlocks() {
        // A periodic block's BWT vector has several cycles; the output repeats origPtr's.
        for (pattern, times) in [("ab", 5000), ("abc", 7), ("xyz", 120_000), ("hello ", 3), ("aaaab", 999)] {
            let plain = Array(String(repeating: pattern, count: times).utf8)
            Self.roundTrip(plain, "\(pattern) × \(times)")
        }
    }

    @Test func allByteValuesAndTinyBlocks() {
        Self.roundTrip((0..<256).map { (i: Int) -> UInt8 in UInt8(i) }, "all byte values")
        let mixed: [UInt8] = (0..<10240).map { (i: Int) -> UInt8 in UInt8(truncatingIfNeeded: i * 7 + i / 256) }
        Self.roundTrip(mixed, "all byte values, mixed")
        Self.roundTrip([0x7A], "one byte")
        Self.roundTrip([0x00, 0xFF], "two bytes")
    }

    @Test func randomData() {
        var random = Random(state: 42)
        let noise = (0..<250_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        Self.roundTrip(noise, "random bytes")
        // Text-like: a small alphabet, so tables are skewed and long codes appear.
        let text = (0..<200_000).map { _ -> UInt8 in
            let r = random.below(1000)
            return r < 900 ? UInt8(0x61 + r % 26) : r < 990 ? 0x20 : UInt8(random.below(256))
        }
        Self.roundTrip(text, "skewed text")
    }

    // MARK: - Rejected blocks

    @Test func refusesWhatItDoesNotHandle() throws {
        let plain = (0..<150_000).map { UInt8(($0 / 3) % 251) }
        let compressed = Self.compress(plain, level: 9)
        let block = try #require(Bzip2TestBlocks.streams(compressed).first?.blocks.first)
        let decoder = Bzip2BlockDecoder()
        var out: [UInt8] = []
        func decode(_ data: [UInt8], start: Int = block.start, end: Int = block.end, level: Int = 9) -> Bool {
            data.withUnsafeBytes { decoder.decode($0, startBit: start, endBit: end, level: level, into: &out) }
        }
        #expect(decode(compressed))
        #expect(Self.difference(out, plain) == nil)
        out.removeAll()
        // More than level × 100000 bytes.
        #expect(!decode(compressed, level: 1))
        // Not at a block magic; an empty or inverted range; levels outside 1…9.
        #expect(!decode(compressed, start: block.start + 1))
        #expect(!decode(compressed, end: block.start))
        #expect(!decode(compressed, level: 0) && !decode(compressed, level: 10))
        #expect(!decode(compressed, end: compressed.count * 8 + 8))
        // The obsolete randomised bit (after magic and CRC).
        var randomised = compressed
        let bit = block.start + 80
        randomised[bit >> 3] ^= 0x80 >> UInt8(bit & 7)
        #expect(!decode(randomised))
        // A wrong stored CRC.
        var wrongCRC = compressed
        wrongCRC[(block.start + 60) >> 3] ^= 0x10
        #expect(!decode(wrongCRC))
        // Cut anywhere: the block cannot end before its end-of-block symbol.
        for cut in stride(from: block.start + 8, to: block.end, by: max(1, (block.end - block.start) / 97)) {
            #expect(!decode(compressed, end: cut))
            #expect(!decode(Array(compressed.prefix((cut + 7) / 8)), end: cut))
        }
        #expect(out.isEmpty)
        #expect(decode(compressed) && Self.difference(out, plain) == nil)
    }

    @Test func mutatedBlocksNeverDecodeWrongly() throws {
        // A small text block, with 1–3 bits flipped at random places, a few thousand times.
        var random = Random(state: 7)
        let words: [String] = [
            "the ", "of ", "and ", "bzip2 ", "block ", "{{cite}} ", "[[link]] ", "\n", "aaaaaaa", "1234 ",
        ]
        var plain: [UInt8] = []
        while plain.count < 6000 { plain += Array(words[random.below(words.count)].utf8) }
        for level: Int32 in [1, 9] {
            let compressed = Self.compress(plain, level: level)
            let block = try #require(Bzip2TestBlocks.streams(compressed).first?.blocks.first)
            let decoder = Bzip2BlockDecoder()
            var accepted = 0
            for trial in 0..<2000 {
                var mutated = compressed
                for _ in 0...random.below(3) {
                    // Mostly after the magic, so the header and tables get exercised.
                    let bit = block.start + 48 + random.below(block.end - block.start - 48)
                    mutated[bit >> 3] ^= 0x80 >> UInt8(bit & 7)
                }
                var end = block.end
                if trial % 5 == 4 { end = block.start + random.below(block.end - block.start) }
                // Decode from an exact-size copy ending at the cut, so a read past it would be a read past the buffer.
                let bytes = Array(mutated.prefix((end + 7) / 8))
                var out: [UInt8] = [1, 2, 3]
                let ok = bytes.withUnsafeBytes {
                    decoder.decode($0, startBit: block.start, endBit: end, level: Int(level), into: &out)
                }
                if ok {
                    accepted += 1
                    #expect(Self.difference(out, [1, 2, 3] + plain) == nil, "trial \(trial) decoded wrong bytes")
                } else {
                    #expect(out == [1, 2, 3], "trial \(trial) changed the output")
                }
            }
            // Flips that matter are caught by the CRC at the latest; few flips can be harmless.
            #expect(accepted < 100)
            // The decoder still works after all that.
            var out: [UInt8] = []
            let ok = compressed.withUnsafeBytes {
                decoder.decode($0, startBit: block.start, endBit: block.end, level: Int(level), into: &out)
            }
            #expect(ok && Self.difference(out, plain) == nil)
        }
    }
}
