// The `wikipedia` reader on real dump excerpts from Fixtures/wiki: namespaces, redirects, latest
// revision, metadata, old schemas, UTF-16, chunked input, and truncated or malformed dumps whose
// good pages must all survive.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

/// A source that hands out an in-memory file a few bytes at a time.
final class ChunkedSource: ByteSource {
    let bytes: [UInt8]
    let chunk: Int
    let path: String
    private var position = 0
    var compressedOffset: Int { position }

    init(_ bytes: [UInt8], chunk: Int, path: String = "memory.xml") {
        self.bytes = bytes
        self.chunk = chunk
        self.path = path
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(chunk, buffer.count, bytes.count - position)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
        position += n
        return n
    }
}

@Suite struct WikipediaReaderTests {
    let reader = WikipediaReader()

    @Test func mwxmlDumpTakesLatestRevisionOfNamespaceZero() throws {
        let (docs, stats) = try StageHarness.read(reader, TestSupport.fixture("wiki/mwxml-dump.xml"))
        #expect(docs.count == 1)
        #expect(stats.counters["pages_other_namespace"] == 1)
        let d = try #require(docs.first)
        #expect(d.text == "Revision 2 text")
        #expect(d.source == "wikipedia")
        #expect(d.metadata["title"] == "Foo")
        #expect(d.metadata["revision_id"] == 2)
        #expect(d.metadata["page_id"] == 1)
        #expect(d.metadata["timestamp"] == "2004-08-10T09:04:08Z")
        #expect(d.metadata["namespace"] == 0)
    }

    @Test func nonASCIITitleURLAndId() throws {
        let (docs, stats) = try StageHarness.read(reader, TestSupport.fixture("wiki/pywikibot-pair-0.10.xml"))
        #expect(stats.counters["pages_other_namespace"] == 1)
        let d = try #require(docs.first)
        #expect(docs.count == 1)
        #expect(d.id == "wikipedia/enwiki/19252820")
        #expect(d.metadata["url"] == "http://en.wikipedia.org/wiki/Çullu,_Agdam")  // <base> as the dump gives it
        #expect(d.metadata["revision_id"] == 237_383_099)
        #expect(d.text == "Çullu, Agdam may refer to:\nÇullu, Quzanlı\nÇullu (Chullu Vtoroye), Agdam")
    }

    @Test func otherNamespacesOnRequest() throws {
        let all = try StageHarness.build(WikipediaReader.self, yaml: "{namespaces: [0, 1]}")
        let (docs, stats) = try StageHarness.read(all, TestSupport.fixture("wiki/pywikibot-pair-0.10.xml"))
        #expect(docs.map { $0.metadata["title"] } == ["Çullu, Agdam"])
        #expect(stats.counters["pages_other_namespace"] == nil)
        #expect(stats.counters["pages_empty"] == 1)  // the talk page is only {{DisambigProject}}
    }

    @Test func oldSchemaWithoutNsElement() throws {
        let (docs, _) = try StageHarness.read(reader, TestSupport.fixture("wiki/pywikibot-article-pear.xml"))
        let d = try #require(docs.first)
        #expect(d.metadata["title"] == "Pear")
        #expect(d.metadata["revision_id"] == 188_924)  // the latest of four revisions
        #expect(d.id == "wikipedia/enwiki/24278")  // wiki name from <base>, schema 0.3 has no <dbname>
    }

    @Test func redirectElementSkipsPage() throws {
        let (docs, stats) = try StageHarness.read(reader, TestSupport.fixture("wiki/pywikibot-article-pyrus.xml"))
        #expect(docs.isEmpty)
        #expect(stats.counters["pages_redirect"] == 1)
    }

    @Test(arguments: [1, 2, 7, 4096, 1 << 20])
    func chunkSizesGiveTheSameDocuments(chunk: Int) throws {
        let path = TestSupport.fixture("wiki/enwiki-excerpt-malformed.xml")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let context = StageHarness.context("wikipedia")
        var it = WikipediaPageIterator(
            parser: MediaWikiDumpParser(source: ChunkedSource(bytes, chunk: chunk, path: path)), reader: reader,
            converter: WikitextConverter(), context: context)
        var titles: [String] = []
        while let d = try it.next() { titles.append(d.metadata["title"]?.stringValue ?? "") }
        #expect(titles == ["Albedo"])
        #expect(context.stats.stages[0].errors == ["wikipedia:xml_error": 1])
        #expect(context.stats.stages[0].counters["pages_redirect"] == 2)
    }

    @Test func malformedPageIsDroppedAndTheNextPagesKept() throws {
        let (docs, stats) = try StageHarness.read(reader, TestSupport.fixture("wiki/enwiki-excerpt-malformed.xml"))
        #expect(docs.map { $0.metadata["title"] } == ["Albedo"])
        #expect(stats.errors == ["wikipedia:xml_error": 1])
        #expect(stats.counters["pages_incomplete"] == 1)
        #expect(stats.counters["pages_redirect"] == 2)
        let albedo = try #require(docs.first)
        // The lead image's caption (issue 15 §5: prose strip_code keeps) comes first, on its own line.
        #expect(albedo.text.hasPrefix("Percentage of diffusely reflected sunlight"))
        #expect(albedo.text.contains("\nAlbedo or reflection coefficient"))
        #expect(albedo.text.contains("\n\nTerrestrial albedo\n\n"))
    }

    @Test func cutOffXMLKeepsCompletePagesAndNamesTheDamage() throws {
        let (docs, stats) = try StageHarness.read(reader, TestSupport.fixture("wiki/enwiki-excerpt-cut.xml"))
        #expect(docs.isEmpty)  // three redirects, then Albedo cut off
        #expect(stats.counters["pages_redirect"] == 3)
        #expect(stats.counters["pages_incomplete"] == 1)
        #expect(stats.errors == ["wikipedia:truncated_xml": 1])
    }

    @Test func categoriesGoToMetadata() throws {
        let (docs, _) = try StageHarness.read(reader, TestSupport.fixture("wiki/enwiki-excerpt-malformed.xml"))
        let categories = try #require(docs.first?.metadata["categories"]?.arrayValue)
        #expect(categories.contains("Climate forcing"))
        #expect(!(docs.first?.text.contains("Category:") ?? true))
    }

    @Test func optionsAreStrict() throws {
        #expect(throws: SluiceError.self) { try StageHarness.build(WikipediaReader.self, yaml: "{namespace: [0]}") }
        #expect(throws: SluiceError.self) { try StageHarness.build(WikipediaReader.self, yaml: "{keep_tables: maybe}") }
    }

    @Test func missingFileIsAnError() {
        #expect(throws: SluiceError.self) {
            try reader.open("/nonexistent/dump.xml", context: StageHarness.context("wikipedia"))
        }
    }
}

// MARK: - Compressed dumps

@Suite struct WikipediaCompressedDumpTests {
    let reader = WikipediaReader()

    @Test func bzip2Excerpt() throws {
        let (docs, stats) = try StageHarness.read(reader, TestSupport.fixture("wiki/enwiki-excerpt.xml.bz2"))
        #expect(docs.map { $0.metadata["title"]?.stringValue ?? "" } == ["Anarchism", "Autism", "Albedo"])
        #expect(stats.counters["pages_redirect"] == 18)
        #expect(stats.errors.isEmpty)
        #expect(docs.map(\.id) == ["wikipedia/enwiki/12", "wikipedia/enwiki/25", "wikipedia/enwiki/39"])
        let anarchism = try #require(docs.first)
        #expect(anarchism.text.hasPrefix("Anarchism is a political philosophy that advocates self-governed societies"))
        #expect(!anarchism.text.contains("{{"))
        #expect(!anarchism.text.contains("[["))
        #expect(!anarchism.text.contains("<ref"))
    }

    @Test func truncatedBzip2KeepsEveryCompletePage() throws {
        let (full, _) = try StageHarness.read(reader, TestSupport.fixture("wiki/enwiki-excerpt.xml.bz2"))
        let (docs, stats) = try StageHarness.read(reader, TestSupport.fixture("wiki/enwiki-excerpt-truncated.xml.bz2"))
        #expect(stats.errors == ["wikipedia:truncated_stream": 1])
        #expect(!docs.isEmpty && docs.count < full.count)
        #expect(docs == Array(full.prefix(docs.count)))  // what survives is exactly what a clean read gives
    }

    /// UTF-16 big-endian without a byte-order mark, declared `encoding="UTF-16"`: libxml2 sees the
    /// `00 3C 00 3F` start and decodes it; the page reads exactly as the UTF-8 copy.
    @Test func utf16DumpReadsLikeItsUTF8Copy() throws {
        func pages(_ path: String) throws -> [String] {
            let parser = MediaWikiDumpParser(source: try openByteSource(TestSupport.fixture(path)))
            var out: [String] = []
            while case .page = parser.next() {
                out.append(
                    "\(parser.title)|\(parser.revisionID)|\(parser.isRedirect)|\(String(decoding: parser.text, as: UTF8.self))"
                )
            }
            return out
        }
        let utf16 = try pages("wiki/pywikibot-article-pyrus-utf16.xml.bz2")
        #expect(utf16.count == 1)
        #expect(utf16 == (try pages("wiki/pywikibot-article-pyrus.xml")))
    }

    /// Tables from real articles (gensim's enwiki-table-markup.xml.bz2): removed by default, their
    /// cell text kept with `keep_tables`.
    @Test func realTables() throws {
        let (docs, _) = try StageHarness.read(reader, TestSupport.fixture("wiki/enwiki-table-markup.xml.bz2"))
        #expect(docs.count == 5)
        for d in docs {
            #expect(!d.text.contains("{|"))
            #expect(!d.text.contains("|-"))
        }
        let keeping = try StageHarness.build(WikipediaReader.self, yaml: "{keep_tables: true}")
        let (kept, _) = try StageHarness.read(keeping, TestSupport.fixture("wiki/enwiki-table-markup.xml.bz2"))
        #expect(kept.count == 5)
        for (a, b) in zip(docs, kept) { #expect(b.text.utf8.count > a.text.utf8.count) }
        #expect(kept.allSatisfy { !$0.text.contains("{|") && !$0.text.contains("|}") })
    }
}
