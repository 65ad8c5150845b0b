// LineReader: line splitting across read sizes, CRLF, missing final newline, BOM, huge lines,
// and the behaviour at a damaged compressed stream.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

/// A ByteSource over memory that returns at most `chunk` bytes per read, then optionally throws.
final class MemorySource: ByteSource {
    let data: [UInt8]
    let chunk: Int
    let failure: SluiceError?
    var position = 0
    let path = "memory"
    var compressedOffset: Int { position }

    init(_ data: [UInt8], chunk: Int, failure: SluiceError? = nil) {
        self.data = data
        self.chunk = chunk
        self.failure = failure
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(chunk, buffer.count, data.count - position)
        if n == 0, let failure { throw failure }
        for k in 0..<n { buffer[k] = data[position + k] }
        position += n
        return n
    }
}

func allLines(_ reader: LineReader) throws -> [String] {
    var out: [String] = []
    while let line = try reader.next() { out.append(String(decoding: line, as: UTF8.self)) }
    return out
}

@Suite struct LineReaderTests {
    @Test(arguments: [1, 2, 7, 4096, 1 << 20])
    func splitsLines(chunk: Int) throws {
        let text = "first\nsecond\r\n\nfourth has a \r inside\r\nlast without newline"
        let reader = LineReader(source: MemorySource(Array(text.utf8), chunk: chunk), initialCapacity: 16)
        #expect(
            try allLines(reader) == ["first", "second", "", "fourth has a \r inside", "last without newline"])
        #expect(reader.lineNumber == 5)
        #expect(!reader.lastLineTerminated)
    }

    @Test(arguments: [1, 7, 4096])
    func lineNumbersAndOffsets(chunk: Int) throws {
        let reader = LineReader(source: MemorySource(Array("ab\ncde\n\nf\n".utf8), chunk: chunk), initialCapacity: 16)
        var seen: [(Int, Int)] = []
        while try reader.next() != nil { seen.append((reader.lineNumber, reader.lineOffset)) }
        #expect(seen.map(\.0) == [1, 2, 3, 4])
        #expect(seen.map(\.1) == [0, 3, 7, 8])
        #expect(reader.lastLineTerminated)
    }

    @Test(arguments: [1, 2, 4096])
    func skipsByteOrderMarkOnlyAtStart(chunk: Int) throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let data = bom + Array("a\n".utf8) + bom + Array("b\n".utf8)
        let lines = try allLines(LineReader(source: MemorySource(data, chunk: chunk), initialCapacity: 16))
        #expect(lines == ["a", "\u{FEFF}b"])
    }

    @Test func emptyInputHasNoLines() throws {
        #expect(try allLines(LineReader(source: MemorySource([], chunk: 10))).isEmpty)
        #expect(try allLines(LineReader(source: MemorySource(Array("\n".utf8), chunk: 10))) == [""])
    }

    /// A 100 MB line comes back whole, and short lines around it too.
    @Test func hundredMegabyteLine() throws {
        var data = Array("before\n".utf8)
        data += [UInt8](repeating: UInt8(ascii: "x"), count: 100_000_000)
        data += Array("\nafter\n".utf8)
        let reader = LineReader(source: MemorySource(data, chunk: 1 << 22), initialCapacity: 1 << 16)
        #expect(try reader.next().map { $0.count } == 6)
        let long = try #require(try reader.next())
        #expect(long.count == 100_000_000)
        #expect(long.allSatisfy { $0 == UInt8(ascii: "x") })
        #expect(try reader.next().map { String(decoding: $0, as: UTF8.self) } == "after")
        #expect(try reader.next() == nil)
    }

    /// Complete lines before the damage come back; the line cut by it does not; then the error.
    @Test(arguments: [1, 7, 4096])
    func stopsAtDamage(chunk: Int) throws {
        let damage = SluiceError(.corruptInput, "truncated zstd frame", file: "x.zst", offset: 99)
        let reader = LineReader(source: MemorySource(Array("one\ntwo\nthr".utf8), chunk: chunk, failure: damage))
        #expect(try reader.next().map { String(decoding: $0, as: UTF8.self) } == "one")
        #expect(try reader.next().map { String(decoding: $0, as: UTF8.self) } == "two")
        #expect(throws: SluiceError.self) { _ = try reader.next() }
    }

    @Test(arguments: ["", ".gz", ".zst", ".bz2"])
    func readsCompressedFiles(ext: String) throws {
        let dir = try TestSupport.temporaryDirectory("lines")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lines = (0..<5000).map { "line \($0) " + String(repeating: "ü", count: $0 % 50) }
        try writeCompressed(Array((lines.joined(separator: "\n") + "\n").utf8), to: dir + "/l.txt" + ext)
        #expect(try allLines(LineReader(path: dir + "/l.txt" + ext)) == lines)
    }

    @Test(arguments: [1, 7, 4096, 1 << 20])
    func lineReaderSkipsAnOversizedLineWithoutGrowingPastTheCap(chunk: Int) throws {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 300_000)
        let data = Array("first\n".utf8) + big + Array("\nlast\n".utf8) + big
        let reader = LineReader(source: MemorySource(data, chunk: chunk), initialCapacity: 16, maxLineBytes: 1000)
        var events: [String] = []
        while let line = try reader.nextLine() {
            switch line {
            case .text(let b): events.append("text \(String(decoding: b, as: UTF8.self)) @\(reader.lineNumber)")
            case .oversized(let n): events.append("oversized \(n) @\(reader.lineNumber):\(reader.lineOffset)")
            }
            #expect(reader.bufferCapacity <= 2 * 1016)
        }
        #expect(events == ["text first @1", "oversized 300000 @2:6", "text last @3", "oversized 300000 @4:300012"])
        // A line of exactly the cap is kept.
        let exact = LineReader(
            source: MemorySource(Array(repeating: 0x61, count: 1000) + [0x0A], chunk: chunk), maxLineBytes: 1000)
        #expect(try exact.next()?.count == 1000)
    }
}
