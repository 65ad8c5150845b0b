// HTML → text on small inline pages: what is kept and dropped, block and inline layout, tables,
// code, entities, NFC, metadata, charsets, and hostile input (depth bombs, broken markup).
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

@Suite struct HTMLExtractorTests {
    static let article = """
        <html lang="en"><head><title> A  title </title><meta name="description" content="About things.">
        <style>p { color: red }</style><script>var x = "script text";</script></head>
        <body><header><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>
        <div class="cookie-banner">We use cookies to improve your experience, accept them please.</div>
        <article><h1>The headline</h1>
        <p>The first paragraph of the article is long enough to count, with commas, clauses, and detail.</p>
        <p>A second paragraph follows it, again with several words, commas, and a full stop at the end.</p>
        <ul><li>first item</li><li>second item</li></ul>
        <p>The third paragraph closes the story, and it too has enough words to score as content.</p></article>
        <aside><p>Related: another story that nobody asked for, with links and more links.</p></aside>
        <footer><p>Copyright 2024 Example Corp. All rights reserved. Terms of use apply here.</p></footer>
        <div class="share-buttons"><a href="#">Share on X</a> <a href="#">Share on Facebook</a></div>
        </body></html>
        """

    @Test func keepsTheArticleAndDropsBoilerplate() {
        let text = Web.text(Self.article)
        #expect(text.contains("The first paragraph of the article"))
        #expect(text.contains("The third paragraph closes the story"))
        #expect(text.contains("first item\nsecond item"))
        for gone in ["Home", "script text", "color: red", "cookies", "Related:", "Copyright", "Share on"] {
            #expect(!text.contains(gone), "\(gone) should be dropped")
        }
    }

    @Test func wholePageModeKeepsEveryVisibleBlock() {
        let text = Web.text(Self.article, mainContent: false)
        #expect(text.contains("Home"))
        #expect(text.contains("Copyright 2024"))
        #expect(text.contains("We use cookies"))
        #expect(!text.contains("script text"))
        #expect(!text.contains("color: red"))
    }

    @Test func blocksBreakLinesAndInlinesDoNot() {
        let text = Web.text(
            "<body><p>a<b>b</b><i>c</i> d</p><div>e<span>f</span></div>g<br>h</body>", mainContent: false)
        #expect(text == "abc d\n\nef\n\ng\nh")
    }

    @Test func tablesSeparateCellsAndRows() {
        let text = Web.text(
            "<table><tr><th>Name</th><th>Value</th></tr><tr><td>alpha</td><td>1</td></tr><tr><td>beta</td><td>2</td></tr></table>",
            mainContent: false)
        #expect(text == "Name\tValue\nalpha\t1\nbeta\t2")
    }

    @Test func preKeepsLineBreaks() {
        let text = Web.text("<body><p>Code:</p><pre>for x in y:\n    print(x)\n</pre></body>", mainContent: false)
        #expect(text == "Code:\n\nfor x in y:\n    print(x)")
    }

    @Test func decodesEntitiesAndNormalizesToNFC() {
        let text = Web.text(
            "<p>Fish &amp; chips &eacute;t&eacute; &#x4e2d;&#25991; cafe\u{301}</p>", mainContent: false)
        #expect(text == "Fish & chips été 中文 café")
        #expect(text.unicodeScalars.contains("\u{e9}"))
        #expect(!text.unicodeScalars.contains("\u{301}"))
    }

    @Test func readsTitleLangAndDescription() throws {
        let e = HTMLExtractor()
        let page = try #require(Array(Self.article.utf8).withUnsafeBytes { e.extract(utf8: $0) })
        #expect(page.title == "A title")
        #expect(page.lang == "en")
        #expect(page.description == "About things.")
    }

    @Test func optionsDropKindsOfBlock() {
        var o = ExtractionOptions()
        o.mainContent = false
        o.keepTables = false
        o.keepLists = false
        o.keepCode = false
        o.keepHeadings = false
        let e = HTMLExtractor(options: o)
        let html = "<h2>Head</h2><p>Para.</p><ul><li>item</li></ul><table><tr><td>cell</td></tr></table><pre>code</pre>"
        let text = Array(html.utf8).withUnsafeBytes { e.extract(utf8: $0)?.text }
        #expect(text == "Para.")
    }

    @Test func survivesBrokenMarkup() {
        let text = Web.text(
            "<html><body><div><p>One <b>bold <i>both</b> italic?</p></span></div></td><p>Two", mainContent: false)
        #expect(text.contains("One bold both italic?"))
        #expect(text.contains("Two"))
    }

    @Test func survivesADepthBomb() {
        let depth = 100_000
        let html = String(repeating: "<div>", count: depth) + "deep text" + String(repeating: "</div>", count: depth)
        let text = Web.text(html, mainContent: true)
        #expect(text == "deep text")
        let unclosed = String(repeating: "<span><b>", count: depth) + "x"
        _ = Web.text(unclosed, mainContent: false)
    }

    @Test func headingPermalinksAreDropped() {
        let text = Web.text(
            "<h2>Editor windows<a class=\"headerlink\" href=\"#e\">¶</a></h2><p>Text.</p>", mainContent: false)
        #expect(text == "Editor windows\n\nText.")
    }

    @Test func hiddenElementsAreNotText() {
        let text = Web.text(
            "<p>shown</p><p hidden>no1</p><p style='display: none'>no2</p><div aria-hidden='true'>no3</div>",
            mainContent: false)
        #expect(text == "shown")
    }
}

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

    // MARK: - Issue 15 §1: a tiny main-content result is never the answer

    static let longParagraphs = (1...6).map {
        "<p>Paragraph \($0) of the story carries the news, with clauses, commas, names, and figures that a"
            + " reader came for, long enough to score as content.</p>"
    }.joined()

    @Test func articleInsideABoilerplateLookingContainerIsKept() {
        // A class word such as "paywall" marks the container as boilerplate; the strict pass then
        // finds only an advertisement label, and the relaxed pass must win.
        let html = """
            <html><body><nav><a href="/">Home</a> <a href="/a">A</a></nav>
            <div class="page-content paywall"><div class="ad">Advertisement</div>
            <article><h1>Headline</h1>\(Self.longParagraphs)</article></div>
            <footer><p>Copyright 2024 Example News. All rights reserved.</p></footer></body></html>
            """
        let text = Web.text(html)
        #expect(text.contains("Paragraph 1 of the story"))
        #expect(text.contains("Paragraph 6 of the story"))
        #expect(!text.contains("Copyright"))
    }

    @Test func articleInsideAFormIsKept() {
        // ASP.NET pages wrap the whole body in one <form>.
        let html =
            "<html><body><form id=\"aspnetForm\"><div id=\"main\">\(Self.longParagraphs)</div></form></body></html>"
        let text = Web.text(html)
        #expect(text.contains("Paragraph 1 of the story"))
        #expect(text.contains("Paragraph 6 of the story"))
    }

    @Test func shortArticleIsNotSwappedForThePage() {
        // A short article (over the retry threshold) beside a long comment section: the strict
        // result stands, although the relaxed one would be much longer.
        let note =
            "<p>A short note, with one clause, that is nearly the whole article here, and a few more words.</p>"
            + "<p>Its second paragraph adds a detail or two, with commas, so that the story reads as a story.</p>"
            + "<p>And a third one closes it, briefly, as short news items often end on a quote or a date.</p>"
        let html =
            "<html><body><article>\(note)</article><div class=\"comments\">\(Self.longParagraphs)</div></body></html>"
        let text = Web.text(html)
        #expect(text.hasPrefix("A short note"))
        #expect(text.hasSuffix("on a quote or a date."))
        #expect(!text.contains("Paragraph 1 of the story"))
    }

    @Test func schemaArticleBodyIsTheLastResort() {
        let html = """
            <html><head><script type="application/ld+json">{"@type":"NewsArticle","headline":"H",
            "articleBody":"The body from JSON-LD, with \\"quotes\\", a caf\\u00e9 and an emoji \\ud83d\\ude00.\\nSecond line."}
            </script></head><body><nav><a href="/">Home</a></nav><div class="promo">Subscribe</div></body></html>
            """
        let text = Web.text(html)
        #expect(text == "The body from JSON-LD, with \"quotes\", a café and an emoji 😀. Second line.")
    }

    @Test func articleSplitOverSeveralContainersIsKeptWhole() {
        // Four chunks of one article in separate grid rows, each beside an ad rail: readability.js
        // moves the top candidate up to the ancestor that three close-scoring candidates share.
        func chunk(_ k: Int) -> String {
            "<div class=\"grid\"><div class=\"body\">"
                + (1...3).map {
                    "<p>Chunk \(k) paragraph \($0), with words, clauses, commas, and enough length to count.</p>"
                }
                .joined() + "</div><div class=\"rail\"><p>Ad rail</p></div></div>"
        }
        let html =
            "<html><body><article><div class=\"chunks\">" + (1...4).map(chunk).joined()
            + "</div></article></body></html>"
        let text = Web.text(html)
        for k in 1...4 { #expect(text.contains("Chunk \(k) paragraph 3"), "chunk \(k)") }
    }

    @Test func hiddenArticleIsTheLastResortInMainContentMode() {
        // Text hidden by style (shown by a script the crawler did not run) or inside <noscript>:
        // never text in whole-page mode, but better than nothing in main-content mode.
        let html = """
            <html><body><nav><a href="/">Home</a></nav>
            <div style="display:none"><article>\(Self.longParagraphs)</article></div></body></html>
            """
        #expect(Web.text(html).contains("Paragraph 6 of the story"))
        #expect(!Web.text(html, mainContent: false).contains("Paragraph"))
        let noscript = "<html><body><noscript><div>\(Self.longParagraphs)</div></noscript></body></html>"
        #expect(Web.text(noscript).contains("Paragraph 1 of the story"))
        // A visible article wins over hidden text.
        let both =
            "<html><body><div hidden><p>Hidden words, many of them, in a long enough paragraph.</p></div>"
            + "<article>\(Self.longParagraphs)</article></body></html>"
        #expect(!Web.text(both).contains("Hidden words"))
    }

    @Test(arguments: [
        "<button>Share", "<select><option>Pick one", "<svg><circle r=1>", "<video src=v.mp4>", "<menu><li>More",
    ])
    func anUnclosedWidgetDoesNotSwallowTheArticle(widget: String) {
        // libxml2 nests everything up to the parent's end tag inside an unclosed widget; the
        // footer after that parent was kept while the article inside it was lost.
        let html =
            "<html><body><div class=\"story\">\(widget)<div>\(Self.longParagraphs)</div></div>"
            + "<footer><p>Footer text after the story.</p></footer></body></html>"
        let whole = Web.text(html, mainContent: false)
        #expect(whole.contains("Paragraph 1 of the story"))
        #expect(whole.contains("Footer text"))
        #expect(Web.text(html).contains("Paragraph 6 of the story"))
        // A closed widget is still not text.
        #expect(!Web.text("<p>Text.</p><button>Share</button><select><option>Pick</option></select>").contains("Share"))
    }
}
