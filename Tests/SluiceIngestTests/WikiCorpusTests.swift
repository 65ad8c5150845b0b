// Acceptance over ../shared/corpus/wiki: for every dump, documents + empty pages = a streaming
// count of complete `<page>` elements minus redirects and other namespaces (counted here by a
// plain byte scan, independent of libxml2); the truncated viwiki dump keeps its 970 complete pages.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

@Suite(.enabled(if: TestSupport.corpusAvailable, Comment(rawValue: TestSupport.corpusMissingReason)))
struct WikiCorpusTests {
    struct Expected: Equatable {
        var articles = 0
        var redirects = 0
        var otherNamespaces = 0
    }

    /// Counts complete `<page>…</page>` blocks by bytes: `<redirect` marks a redirect, `<ns>N</ns>`
    /// the namespace (schemas without `<ns>` are namespace 0 for these files).
    static func scan(_ bytes: [UInt8]) -> Expected {
        var e = Expected()
        bytes.withUnsafeBytes { b in
            let base = b.baseAddress!
            func find(_ needle: String, _ from: Int, _ to: Int) -> Int? {
                let n = Array(needle.utf8)
                var i = from
                while i + n.count <= to {
                    guard let p = memchr(base + i, Int32(n[0]), to - n.count + 1 - i) else { return nil }
                    i = base.distance(to: UnsafeRawPointer(p))
                    if memcmp(base + i, n, n.count) == 0 { return i }
                    i += 1
                }
                return nil
            }
            var i = 0
            while let start = find("<page>", i, b.count) {
                guard let end = find("</page>", start, b.count) else { break }
                if find("<redirect", start, end) != nil {
                    e.redirects += 1
                } else if let ns = find("<ns>", start, end), find("<ns>0</ns>", ns, min(ns + 10, end)) == nil {
                    e.otherNamespaces += 1
                } else {
                    e.articles += 1
                }
                i = end + 7
            }
        }
        return e
    }

    static let dumps = [
        "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2", "enwiki-table-markup.xml.bz2",
        "jawiki-pages-articles-excerpt.xml.bz2", "ukwiki-pages-articles-excerpt.xml.bz2",
        "elwiki-pages-articles-excerpt.xml.bz2", "viwiki-pages-articles-truncated-100k.xml.bz2",
        "pywikibot-article-pear.xml", "pywikibot-article-pear-0.10.xml", "pywikibot-article-pyrus.xml",
        "pywikibot-article-pyrus.xml.bz2", "pywikibot-pair-0.10.xml", "pywikibot-dummy-reflinks.xml",
        "pywikibot-dummy-template.xml", "mwxml-dump.xml",
    ]

    @Test(arguments: dumps)
    func pageCountsMatchAStreamingCount(file: String) throws {
        // Decompressed once: the byte scan and the reader (fed in 64 KB reads) share it.
        let path = TestSupport.corpus("wiki/" + file)
        let bytes = try openByteSource(path).readAllTolerant()
        let expected = Self.scan(bytes)
        let context = StageHarness.context("wikipedia")
        var iterator = WikipediaPageIterator(
            parser: MediaWikiDumpParser(source: ChunkedSource(bytes, chunk: 1 << 16, path: path)),
            reader: WikipediaReader(),
            converter: WikitextConverter(), context: context)
        var docs: [Document] = []
        while let d = try iterator.next() { docs.append(d) }
        let stats = context.stats.stages[0]
        let empty = stats.counters["pages_empty"] ?? 0
        #expect(docs.count + empty == expected.articles, "\(file): \(docs.count) documents + \(empty) empty")
        #expect((stats.counters["pages_redirect"] ?? 0) == expected.redirects)
        #expect((stats.counters["pages_other_namespace"] ?? 0) == expected.otherNamespaces)
        if file.hasPrefix("viwiki") {
            #expect(stats.errors == ["wikipedia:truncated_xml": 1])
            #expect(stats.counters["pages_incomplete"] == 1)
            #expect(expected.articles + expected.redirects + expected.otherNamespaces == 970)
        } else {
            #expect(stats.errors.isEmpty)
        }
        // Markup does not leak: few pages keep a template or link opener (only unbalanced ones).
        let leaking = docs.filter { $0.text.contains("{{") || $0.text.contains("[[") || $0.text.contains("<ref") }
        #expect(leaking.count * 50 <= max(docs.count, 1), "\(file): \(leaking.map { $0.metadata["title"] ?? "" })")
        #expect(Set(docs.map(\.id)).count == docs.count)
    }

    /// Link, template and table cases from real pages, checked on their converted text.
    @Test func realPageCases() throws {
        let path = TestSupport.corpus("wiki/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")
        let (docs, _) = try StageHarness.read(WikipediaReader(), path)
        let byTitle = Dictionary(docs.map { ($0.metadata["title"]!.stringValue!, $0) }, uniquingKeysWith: { a, _ in a })
        let anarchism = try #require(byTitle["Anarchism"])
        // `[[political philosophy]]` → the target; `[[Stateless society|stateless societies]]` → the label.
        #expect(anarchism.text.hasPrefix("Anarchism is a political philosophy that advocates self-governed societies"))
        // `{{Redirect2|…}}`, `{{Anarchism sidebar}}` and `{{Use dmy dates|…}}` vanish without a trace.
        #expect(!anarchism.text.contains("Redirect2") && !anarchism.text.contains("sidebar"))
        #expect(anarchism.metadata["categories"]?.arrayValue?.contains("Anarchism") == true)
        let albedo = try #require(byTitle["Albedo"])
        // The table of typical albedos ({| class="wikitable" … |}) is removed by default.
        #expect(!albedo.text.contains("wikitable"))
        #expect(albedo.text.contains("\n\nTerrestrial albedo\n\n"))
    }
}

extension ByteSource {
    /// Every byte a possibly truncated stream yields before its damage.
    func readAllTolerant() throws -> [UInt8] {
        var result: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n: Int
            do { n = try block.withUnsafeMutableBytes { try read(into: $0) } } catch { return result }
            if n == 0 { return result }
            result.append(contentsOf: block[0..<n])
        }
    }
}
