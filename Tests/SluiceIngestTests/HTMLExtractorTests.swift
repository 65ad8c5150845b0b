// HTML → text on small inline pages: what is kept and dropped, block and inline layout, tables,
// code, entities, NFC, metadata, broken markup and depth bombs, hidden elements. The limits and the main-content
// selection are in HTMLExtractor+LimitsTests.swift and HTMLExtractor+MainContentTests.swift.
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
