// End to end through the engine: Pipelines/wikipedia.yaml on the wiki fixtures (including the
// truncated and malformed ones), output JSONL.zst read back, stats checked.
import Foundation
import SluiceCore
import SluiceIngest
import SluiceTestSupport
import Testing

@Suite struct WikiPipelineTests {
    @Test func wikipediaPipelineOnFixtures() throws {
        let inputs = [
            "enwiki-excerpt.xml.bz2", "enwiki-excerpt-truncated.xml.bz2", "enwiki-excerpt-malformed.xml",
            "pywikibot-article-pyrus-utf16.xml.bz2", "mwxml-dump.xml",
        ].map { TestSupport.fixture("wiki/" + $0) }
        let (docs, stats, output) = try PipelineHarness.run("wikipedia.yaml", inputs: inputs)
        defer { try? FileManager.default.removeItem(atPath: output) }
        let reader = try #require(stats.first { $0.name == "wikipedia" })
        #expect(reader.errors == ["wikipedia:truncated_stream": 1, "wikipedia:xml_error": 1])
        // Anarchism, Autism, Albedo (full excerpt), what survives of the truncated copy, Albedo
        // (after the malformed page) and "Revision 2 text" (3 words, dropped by length).
        let titles = docs.map { $0.metadata["title"]?.stringValue ?? "" }
        #expect(titles.filter { $0 == "Albedo" }.count == 2)
        #expect(titles.contains("Anarchism") && titles.contains("Autism"))
        #expect(!titles.contains("Foo"))
        let length = try #require(stats.first { $0.name == "length" })
        #expect(length.drops.values.reduce(0, +) >= 1)
        #expect(docs.allSatisfy { $0.source == "wikipedia" && $0.id.hasPrefix("wikipedia/enwiki/") })
    }
}
