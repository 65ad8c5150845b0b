// The wikipedia reader on damaged and oversized dumps built in the test: a stray entity or a raw
// `<` in one page costs that page only (named in the report) and never hangs; a page over the size
// cap is skipped by streaming past it, and the pages around it are kept.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

/// A source that streams `head`, then `pattern` repeated `count` times, then `tail`, without
/// holding the repeated part.
final class RepeatingSource: ByteSource {
    let parts: [(bytes: [UInt8], times: Int)]
    let path = "generated.xml"
    private var part = 0
    private var done = 0  // bytes of `parts[part]` (all repetitions) handed out
    private(set) var compressedOffset = 0

    init(head: String, pattern: String, count: Int, tail: String) {
        parts = [(Array(head.utf8), 1), (Array(pattern.utf8), count), (Array(tail.utf8), 1)]
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var n = 0
        while n < buffer.count && part < parts.count {
            let (bytes, times) = parts[part]
            let total = bytes.count * times
            if done == total || bytes.isEmpty {
                part += 1
                done = 0
                continue
            }
            let offset = done % bytes.count
            let take = min(buffer.count - n, bytes.count - offset, total - done)
            bytes.withUnsafeBytes {
                (buffer.baseAddress! + n).copyMemory(from: $0.baseAddress! + offset, byteCount: take)
            }
            n += take
            done += take
        }
        compressedOffset += n
        return n
    }
}

@Suite struct MediaWikiDumpParserTests {
    static func page(_ title: String, _ id: Int, _ text: String) -> String {
        """
          <page>
            <title>\(title)</title>
            <ns>0</ns>
            <id>\(id)</id>
            <revision>
              <id>\(id + 100)</id>
              <timestamp>2023-05-01T00:00:00Z</timestamp>
              <text bytes="\(text.utf8.count)" xml:space="preserve">\(text)</text>
            </revision>
          </page>

        """
    }

    static func dump(_ pages: String) -> [UInt8] {
        Array(
            ("<mediawiki xmlns=\"http://www.mediawiki.org/xml/export-0.10/\" version=\"0.10\">\n" + pages
                + "</mediawiki>\n").utf8)
    }

    /// Titles of the pages and of the damage reports, and whether the end was reached; the parser is pulled at most `bound` times, so a loop fails instead of hanging.
    static func read(
        _ bytes: [UInt8], chunk: Int, maxPageBytes: Int = WikipediaReader.defaultMaxPageBytes, bound: Int = 1000
    ) throws -> (titles: [String], damaged: [String?], finished: Bool) {
        let parser = MediaWikiDumpParser(source: ChunkedSource(bytes, chunk: chunk), maxPageBytes: maxPageBytes)
        var titles: [String] = []
        var damaged: [String?] = []
        for _ in 0..<bound {
            switch parser.next() {
            case .end: return (titles, damaged, true)
            case .damage(let d): damaged.append(d.pageInProgress)
            case .page: titles.append(parser.title)
            }
        }
        return (titles, damaged, false)
    }

    static func iterate(_ bytes: [UInt8], chunk: Int, maxPageBytes: Int = 1 << 20, source: (any ByteSource)? = nil)
        throws -> ([Document], StageStats)
    {
        let context = StageHarness.context("wikipedia")
        var it = WikipediaPageIterator(
            parser: MediaWikiDumpParser(
                source: source ?? ChunkedSource(bytes, chunk: chunk), maxPageBytes: maxPageBytes),
            reader: WikipediaReader(maxPageBytes: maxPageBytes), converter: WikitextConverter(), context: context)
        var docs: [Document] = []
        var pulls = 0
        while let d = try it.next() {
            docs.append(d)
            pulls += 1
            try #require(pulls < 1000, "the reader does not stop")
        }
        return (docs, context.stats.stages[0])
    }

    // MARK: - Issue 16 item 3: a stray entity

    /// Small pages: the good page before the broken one sits in the same libxml2 chunk as the
    /// error, which used to cost it (and the report named it instead of the broken page).
    @Test(arguments: [1, 7, 512, 4096, 1 << 20])
    func strayEntityCostsOnlyItsOwnPage(chunk: Int) throws {
        let bytes = Self.dump(
            Self.page("Before", 1, "Good text before.") + Self.page("Broken", 2, "Text with &bogus; entity.")
                + Self.page("After", 3, "Good text after."))
        let r = try Self.read(bytes, chunk: chunk)
        #expect(r.finished)
        #expect(r.titles == ["Before", "After"])
        #expect(r.damaged == ["Broken"])
        let (docs, stats) = try Self.iterate(bytes, chunk: chunk)
        #expect(docs.map { $0.metadata["title"]?.stringValue } == ["Before", "After"])
        #expect(docs.first?.text == "Good text before.")
        #expect(stats.errors == ["wikipedia:xml_error": 1])
        #expect(stats.counters["pages_incomplete"] == 1)
    }

    @Test func strayEntityInFirstAndLastPages() throws {
        let bytes = Self.dump(
            Self.page("First &amp; broken", 1, "&bogus;") + Self.page("Good", 2, "Fine.")
                + Self.page("Last", 3, "x &nope; y"))
        let r = try Self.read(bytes, chunk: 4096)
        #expect(r.finished)
        #expect(r.titles == ["Good"])
        #expect(r.damaged == ["First & broken", "Last"])
    }

    /// Many small good pages before one bad one, all within a few libxml2 chunks.
    @Test func everyGoodPageAroundABadOneSurvives() throws {
        var pages = ""
        for i in 0..<40 { pages += Self.page("P\(i)", i + 1, i == 25 ? "bad &bogus; page" : "Page \(i) text.") }
        let r = try Self.read(Self.dump(pages), chunk: 1 << 16)
        #expect(r.finished)
        #expect(r.titles == (0..<40).filter { $0 != 25 }.map { "P\($0)" })
        #expect(r.damaged == ["P25"])
    }

    // MARK: - Issue 16 item 8: a raw `<` used to loop forever

    @Test(arguments: [1, 7, 4096, 1 << 20])
    func rawAngleBracketEndsAndKeepsTheOtherPages(chunk: Int) throws {
        let bytes = Self.dump(
            Self.page("Before", 1, "Good.") + Self.page("Angle", 2, "bad <<< tag") + Self.page("After", 3, "Good too."))
        let r = try Self.read(bytes, chunk: chunk, bound: 50)
        #expect(r.finished, "the parser did not reach the end within 50 steps")
        #expect(r.titles == ["Before", "After"])
        #expect(r.damaged == ["Angle"])
    }

    @Test func rawAngleBracketAsTheOnlyPage() throws {
        let bytes = Self.dump(Self.page("Angle", 1, "bad <<< tag"))
        let r = try Self.read(bytes, chunk: 4096, bound: 50)
        #expect(r.finished)
        #expect(r.titles.isEmpty)
        #expect(r.damaged == ["Angle"])
    }

    /// Junk between pages: reported once, no page lost.
    @Test func junkBetweenPagesIsReportedAndThePagesKept() throws {
        let junk = String(repeating: "  <junk attr=1>\n", count: 100)
        let bytes = Self.dump(Self.page("A", 1, "a") + junk + Self.page("B", 2, "b"))
        let r = try Self.read(bytes, chunk: 4096, bound: 50)
        #expect(r.finished)
        #expect(r.titles == ["A", "B"])
        #expect(r.damaged == [nil])
    }

    // MARK: - Issue 16 item 7: the per-page size cap

    /// A 40 MB page between two good ones, with a 64 KB cap: it is skipped and counted, its text
    /// never held (the feeder's window stays near the cap), and the pages around it are kept.
    /// The repeated text mixes multi-byte characters and entities so the cut falls inside them.
    @Test func oversizedPageIsSkippedByStreaming() throws {
        let cap = 64 << 10
        let head =
            "<mediawiki>\n" + Self.page("Before", 1, "Good text before.")
            + "  <page>\n    <title>Huge</title>\n    <ns>0</ns>\n    <id>2</id>\n    <revision>\n      <id>102</id>\n"
            + "      <text xml:space=\"preserve\">"
        let tail =
            "</text>\n    </revision>\n  </page>\n" + Self.page("After", 3, "Good text after.") + "</mediawiki>\n"
        let pattern = "Großes Lémma &amp; ωμέγα &lt;b&gt; 日本語 "
        let count = 40_000_000 / pattern.utf8.count
        let source = RepeatingSource(head: head, pattern: pattern, count: count, tail: tail)
        let parser = MediaWikiDumpParser(source: source, maxPageBytes: cap)
        var seen: [(String, Bool, Int)] = []
        for _ in 0..<100 {
            guard case .page = parser.next() else { break }
            seen.append((parser.title, parser.isTooLarge, parser.text.count))
        }
        #expect(seen.map(\.0) == ["Before", "Huge", "After"])
        #expect(seen.map(\.1) == [false, true, false])
        #expect(seen[1].2 <= cap)
        #expect(parser.heldBytesPeak < cap + (1 << 20), "held \(parser.heldBytesPeak) bytes")

        let source2 = RepeatingSource(head: head, pattern: pattern, count: count, tail: tail)
        let (docs, stats) = try Self.iterate([], chunk: 0, maxPageBytes: cap, source: source2)
        #expect(docs.map { $0.metadata["title"]?.stringValue } == ["Before", "After"])
        #expect(stats.counters["pages_too_large"] == 1)
        #expect(stats.errors.isEmpty)
    }

    @Test(arguments: [1, 7, 4096])
    func pageUnderTheCapIsKeptAndOneOverIsNot(chunk: Int) throws {
        let cap = 2048
        let fits = String(repeating: "word ", count: 300)  // 1500 bytes
        let over = String(repeating: "wörd &amp; ", count: 300)  // 3600 bytes
        let bytes = Self.dump(Self.page("Fits", 1, fits) + Self.page("Over", 2, over) + Self.page("After", 3, "ok"))
        let (docs, stats) = try Self.iterate(bytes, chunk: chunk, maxPageBytes: cap)
        #expect(docs.map { $0.metadata["title"]?.stringValue } == ["Fits", "After"])
        #expect(docs.first?.text == fits.trimmingCharacters(in: .whitespaces))
        #expect(stats.counters["pages_too_large"] == 1)
        #expect(stats.errors.isEmpty)
    }

    @Test func capOptionIsParsedAndChecked() throws {
        let reader = try StageHarness.build(WikipediaReader.self, yaml: "{max_page_bytes: 4MB}")
        #expect(reader.maxPageBytes == 4_000_000)
        #expect(WikipediaReader().maxPageBytes == 16 << 20)
        #expect(throws: SluiceError.self) { try StageHarness.build(WikipediaReader.self, yaml: "{max_page_bytes: 10}") }
    }
}
