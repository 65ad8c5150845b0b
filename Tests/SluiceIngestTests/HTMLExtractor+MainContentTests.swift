// HTMLExtractor+MainContent: a tiny main-content result is never the answer; articles inside
// boilerplate-looking containers and forms, split over containers, hidden, or only in schema.org articleBody.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

extension HTMLExtractorTests {
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
