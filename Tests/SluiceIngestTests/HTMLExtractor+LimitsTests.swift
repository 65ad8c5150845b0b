// HTMLExtractor+Limits: nesting deeper than libxml2's 256, the cap on attributes per start tag, and
// the per-page CPU budget.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

extension HTMLExtractorTests {
    // MARK: - Issue 16 item 2: nesting deeper than libxml2's 256

    /// A page whose middle is nested `depth` elements deep, with shallow text before and after.
    static func deepPage(_ depth: Int) -> String {
        "<html><body><p>First paragraph, before the deep part of the page.</p>"
            + String(repeating: "<div>", count: depth) + "<p>The deep paragraph.</p>"
            + String(repeating: "</div>", count: depth)
            + "<p>Shallow paragraph after the deep part, which libxml2 used to drop.</p></body></html>"
    }

    @Test(arguments: [300, 1_000, 20_000])
    func textAfterDeepNestingIsKept(depth: Int) {
        let e = HTMLExtractor(
            options: {
                var o = ExtractionOptions(); o.mainContent = false; return o
            }())
        let bytes = Array(Self.deepPage(depth).utf8)
        let text = bytes.withUnsafeBytes { e.extract(utf8: $0)?.text } ?? "<nil>"
        #expect(text.contains("First paragraph"))
        #expect(text.contains("The deep paragraph."))
        #expect(text.contains("Shallow paragraph after the deep part"))
        #expect(!e.report.parseStopped)
        // Blocks past maxBlockDepth are flattened into their ancestor's block, and counted.
        #expect((e.report.flattenedElements > 0) == (depth + 2 > HTMLExtractor.maxBlockDepth))
    }

    // MARK: - Issue 16 item 10: attributes

    @Test func manyAttributesOnOneElementAreCappedAndTheTextKept() {
        let n = 200_000
        var html = "<html><body><div"
        for i in 0..<n { html += " a\(i)=\"v>\(i)\"" }
        html += "><p>The text after two hundred thousand attributes.</p></div></body></html>"
        let e = HTMLExtractor()
        let bytes = Array(html.utf8)
        let page = bytes.withUnsafeBytes { e.extract(utf8: $0, budget: 600) }
        #expect(page?.text == "The text after two hundred thousand attributes.")
        #expect(e.report.attributesDropped == n - maxAttributesPerTag)
        #expect(!e.report.timedOut)
    }

    @Test func capAttributesLeavesOrdinaryPagesAlone() {
        let ordinary = Array(Self.article.utf8)
        #expect(ordinary.withUnsafeBytes { capAttributes($0) } == nil)
        // Quoted values may hold `>` and spaces; an unquoted value ends at `>`.
        var tag = "<p id=x"
        for i in 0..<(maxAttributesPerTag + 3) { tag += " d\(i)='a > b'" }
        let page = Array((tag + " last=1>kept</p><b c=d>e</b>").utf8)
        let capped = page.withUnsafeBytes { capAttributes($0) }
        #expect(capped?.dropped == 5)  // id, d0…d130 and last are 133
        let out = String(decoding: capped?.bytes ?? [], as: UTF8.self)
        #expect(out.hasSuffix(" d\(maxAttributesPerTag - 2)='a > b' >kept</p><b c=d>e</b>"))
        #expect(!out.contains("last=1"))
    }

    @Test func aBudgetOfZeroStopsTheExtraction() {
        let e = HTMLExtractor()
        let bytes = Array(Self.article.utf8)
        #expect(bytes.withUnsafeBytes { e.extract(utf8: $0, budget: 0) } == nil)
        #expect(e.report.timedOut)
        #expect(bytes.withUnsafeBytes { e.extract(utf8: $0, budget: nil) }?.text.contains("third paragraph") == true)
        #expect(!e.report.timedOut)
    }
}
