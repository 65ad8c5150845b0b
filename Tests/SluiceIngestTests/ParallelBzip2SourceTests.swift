// ParallelBzip2Source gives byte for byte what Core's sequential Bzip2Source gives: multistream
// and multi-block files, any thread count and read size, and truncated files (same prefix, then
// a corrupt-input error naming the file).
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

@Suite struct ParallelBzip2SourceTests {
    static func drain(_ source: any ByteSource, readSize: Int = 1 << 16) -> (bytes: [UInt8], error: SluiceError?) {
        var result: [UInt8] = []
        var block = [UInt8](repeating: 0, count: readSize)
        while true {
            do {
                let n = try block.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { return (result, nil) }
                result.append(contentsOf: block[0..<n])
            } catch let e as SluiceError {
                return (result, e)
            } catch {
                return (result, SluiceError(.io, "\(error)"))
            }
        }
    }

    /// A single-stream file of several 100 kB blocks (bzip2 -1), written with Core's sink.
    static func multiBlockFile() throws -> String {
        let plain = drain(try openByteSource(TestSupport.fixture("wiki/enwiki-excerpt.xml.bz2"))).bytes
        let path = try TestSupport.temporaryDirectory("bz2") + "/blocks.xml.bz2"
        let sink = try createByteSink(path, level: 1)
        try sink.write(plain)
        try sink.close()
        return path
    }

    @Test(arguments: [1, 2, 3])
    func sameBytesAsTheSequentialDecoder(threads: Int) throws {
        for path in [
            TestSupport.fixture("wiki/enwiki-excerpt.xml.bz2"), try Self.multiBlockFile(),
            TestSupport.fixture("wiki/pywikibot-article-pyrus-utf16.xml.bz2"),
        ] {
            let expected = Self.drain(try openByteSource(path))
            let got = Self.drain(try ParallelBzip2Source(path: path, threads: threads), readSize: 7919)
            #expect(expected.error == nil && got.error == nil)
            #expect(got.bytes == expected.bytes, "\(path)")
        }
    }

    @Test func truncatedFileGivesTheSamePrefixThenAnError() throws {
        let path = TestSupport.fixture("wiki/enwiki-excerpt-truncated.xml.bz2")
        let expected = Self.drain(try openByteSource(path))
        let got = Self.drain(try ParallelBzip2Source(path: path, threads: 2))
        #expect(expected.error != nil)
        let error = try #require(got.error)
        #expect(error.code == .corruptInput && error.file == path)
        #expect(got.bytes == expected.bytes)
        // A multi-block stream cut in its middle block.
        let blocks = try Self.multiBlockFile()
        let data = try Data(contentsOf: URL(fileURLWithPath: blocks))
        let cut = blocks + ".cut.bz2"
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        let seq = Self.drain(try openByteSource(cut))
        let par = Self.drain(try ParallelBzip2Source(path: cut, threads: 2))
        #expect(par.error?.message == "truncated bzip2 stream")
        #expect(!par.bytes.isEmpty && par.bytes.count <= seq.bytes.count + 1_000_000)
        #expect(Array(seq.bytes.prefix(par.bytes.count)) == par.bytes)
    }

    @Test func notBzip2IsAnError() throws {
        let got = Self.drain(try ParallelBzip2Source(path: TestSupport.fixture("wiki/mwxml-dump.xml")))
        #expect(got.bytes.isEmpty && got.error?.code == .corruptInput)
    }

    @Test(.enabled(if: TestSupport.corpusAvailable, Comment(rawValue: TestSupport.corpusMissingReason)))
    func corpusDumps() throws {
        for name in [
            "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
            "viwiki-pages-articles-truncated-100k.xml.bz2",
        ] {
            let path = TestSupport.corpus("wiki/" + name)
            let expected = Self.drain(try openByteSource(path))
            let got = Self.drain(try ParallelBzip2Source(path: path, threads: 2))
            #expect(got.error == nil && got.bytes == expected.bytes, "\(name)")
        }
    }
}
