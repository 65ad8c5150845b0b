// The extract step: named drops for bad pages, metadata, and quality on the two gold pages in
// Fixtures/html (scored as the scrapinghub benchmark does: word 4-gram shingles).
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

@Suite struct ExtractStepTests {
    func run(_ raw: [UInt8], charset: String? = nil, _ values: [(String, ConfigValue)] = []) throws -> (
        Verdict, Document
    ) {
        var meta = JSONObject()
        if let charset { meta["charset"] = .string(charset) }
        let d = Document(id: "x", text: "", source: "warc", metadata: meta, raw: raw)
        let result = try StageHarness.run(try Web.extractStep(values), [d])[0]
        return (result.verdict, result.document)
    }

    @Test func extractsAndFillsMetadata() throws {
        let html = Array(
            "<html lang=de><title>T</title><body><p>Grüße aus Köln, mit freundlichen Grüßen.</p></body></html>".utf8)
        let (v, d) = try run(html)
        #expect(v == .keep)
        #expect(d.text == "Grüße aus Köln, mit freundlichen Grüßen.")
        #expect(d.raw == nil)
        #expect(d.metadata["title"] == .string("T"))
        #expect(d.metadata["lang"] == .string("de"))
        #expect(d.metadata["charset"] == .string("utf-8"))
    }

    @Test func usesTheHTTPCharset() throws {
        let html: [UInt8] = Array("<p>caf".utf8) + [0xe9] + Array(" au lait</p>".utf8)
        let (v, d) = try run(html, charset: "windows-1252")
        #expect(v == .keep)
        #expect(d.text == "café au lait")
    }

    @Test func binaryPayloadIsDropped() throws {
        let png: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]
        #expect(try run(png).0 == .drop(ExtractStep.binary))
        #expect(ExtractStep.binary.rawValue == "extract:binary")
        let nul: [UInt8] = Array("<html>".utf8) + [0, 1, 2, 0] + Array("</html>".utf8)
        #expect(try run(nul).0 == .drop(ExtractStep.binary))
    }

    @Test func hugePageIsDropped() throws {
        // 50 MB of markup: dropped by size before parsing.
        let page = [UInt8](repeating: 0x61, count: 50_000_000)
        #expect(try run(page).0 == .drop(ExtractStep.tooLarge))
        #expect(ExtractStep.tooLarge.rawValue == "extract:too_large")
        let small = try run(
            Array("<p>\(String(repeating: "word ", count: 300))</p>".utf8), [("max_bytes", Web.scalar("1KB"))])
        #expect(small.0 == .drop(ExtractStep.tooLarge))
    }

    @Test func emptyResultIsDropped() throws {
        #expect(try run(Array("<html><script>only()</script></html>".utf8)).0 == .drop(ExtractStep.empty))
        #expect(ExtractStep.empty.rawValue == "extract:empty")
        #expect(try run([]).0 == .drop(ExtractStep.empty))
    }

    @Test func plainTextPassesThrough() throws {
        var step = try Web.extractStep()
        let c = Web.context("extract")
        var d = Document(id: "x", text: "a < b && c > d", source: "warc", metadata: ["content_type": "text/plain"])
        #expect(try step.apply(to: &d, context: c) == .keep)
        #expect(d.text == "a < b && c > d")
    }

    @Test func unknownOptionIsAnError() {
        #expect(throws: SluiceError.self) { try Web.extractStep([("keep_tabels", Web.scalar("true"))]) }
    }

    @Test(arguments: [
        "20b2b64916b00b25203c9f1bf14248922f4d522f18328e9f876cce116df0083e",
        "9da36ae4714bfccc72374c6c146e9d1cd3cca39e2110bd67ccdbcc806f4cf139",
    ])
    func goldPagesScoreWell(id: String) throws {
        let truth =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("html/ground-truth.json"))))
            as! [String: [String: String]]
        let gold = try #require(truth[id]?["articleBody"])
        let html = try HTMLPage.readFile(TestSupport.fixture("html/\(id).html.gz"))
        let (v, d) = try run(html)
        #expect(v == .keep)
        let (p, r) = ShingleScore.precisionRecall(predicted: d.text, gold: gold)
        #expect(p > 0.9 && r > 0.9, "precision \(p), recall \(r)")
    }
}

/// The scrapinghub benchmark's score for one page: `\w+` tokens, word 4-gram shingles, counts.
enum ShingleScore {
    static func tokens(_ s: String) -> [String] {
        var out: [String] = []
        var cur = ""
        for ch in s.unicodeScalars {
            if ch.properties.isAlphabetic || ch.properties.numericType != nil || ch == "_"
                || ch.properties.generalCategory == .nonspacingMark
            {
                cur.unicodeScalars.append(ch)
            } else if !cur.isEmpty {
                out.append(cur)
                cur = ""
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    static func shingles(_ s: String) -> [String: Int] {
        let t = tokens(s)
        var c: [String: Int] = [:]
        if t.isEmpty { return c }
        for i in 0..<max(1, t.count - 3) { c[t[i..<min(i + 4, t.count)].joined(separator: " "), default: 0] += 1 }
        return c
    }

    static func precisionRecall(predicted: String, gold: String) -> (Double, Double) {
        let p = shingles(predicted)
        let g = shingles(gold)
        var tp = 0
        for (k, v) in p { tp += min(v, g[k] ?? 0) }
        let np = p.values.reduce(0, +)
        let ng = g.values.reduce(0, +)
        return (np > 0 ? Double(tp) / Double(np) : 0, ng > 0 ? Double(tp) / Double(ng) : 0)
    }
}

extension ExtractStepTests {
    /// The step over `raw` with options, returning the verdict, document and the stage's counters.
    func runCounting(_ raw: [UInt8], _ values: [(String, ConfigValue)] = []) throws -> (
        Verdict, Document, [String: Int]
    ) {
        var step = try Web.extractStep(values)
        let c = Web.context("extract")
        try step.prepare(context: c)
        var d = Document(id: "x", text: "", source: "warc", metadata: [:], raw: raw)
        let v = try step.apply(to: &d, context: c)
        return (v, d, c.stats.stages[0].counters)
    }

    @Test func aZeroBudgetDropsThePageAsTimeout() throws {
        let html = Array("<html><body><p>Some text that would be kept, with a clause or two.</p></body></html>".utf8)
        let (v, _, _) = try runCounting(html, [("timeout", Web.scalar("0.000000001"))])
        #expect(v == .drop(ExtractStep.timeout))
        #expect(ExtractStep.timeout.rawValue == "extract:timeout")
        // 0 means no limit.
        #expect(try runCounting(html, [("timeout", Web.scalar("0"))]).0 == .keep)
    }

    @Test func pageWithManyAttributesFinishesAndIsCounted() throws {
        var html = "<html><body><div"
        for i in 0..<200_000 { html += " a\(i)=x" }
        html += "><p>Text after the attributes.</p></div></body></html>"
        let (v, d, counters) = try runCounting(Array(html.utf8), [("timeout", Web.scalar("600"))])
        #expect(v == .keep)
        #expect(d.text == "Text after the attributes.")
        #expect(counters[ExtractStep.attributesDroppedCounter] == 200_000 - maxAttributesPerTag)
    }

    @Test func deeplyNestedPageKeepsItsShallowTextAndCountsTheFlattening() throws {
        let depth = 2_000
        let html =
            "<html><body><div>" + String(repeating: "<div>", count: depth) + "<p>Deep.</p>"
            + String(repeating: "</div>", count: depth)
            + "<p>The shallow paragraph after the deep part is the article, with clauses, commas, and words.</p>"
            + "</div></body></html>"
        let (v, d, counters) = try runCounting(Array(html.utf8))
        #expect(v == .keep)
        #expect(d.text.contains("The shallow paragraph after the deep part"))
        #expect((counters[ExtractStep.deepNestingCounter] ?? 0) > 0)
        #expect(counters[ExtractStep.parseStoppedCounter] == nil)
    }

    @Test func aBinaryPageDoesNotRecountThePreviousPage() throws {
        var step = try Web.extractStep()
        let c = Web.context("extract")
        try step.prepare(context: c)
        var html = "<div"
        for i in 0..<(maxAttributesPerTag + 10) { html += " a\(i)=x" }
        var d = Document(
            id: "a", text: "", source: "warc", metadata: [:], raw: Array((html + "><p>Text.</p></div>").utf8))
        #expect(try step.apply(to: &d, context: c) == .keep)
        var png = Document(id: "b", text: "", source: "warc", metadata: [:], raw: [0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0])
        #expect(try step.apply(to: &png, context: c) == .drop(ExtractStep.binary))
        #expect(c.stats.stages[0].counters[ExtractStep.attributesDroppedCounter] == 10)
    }
}
