// WikitextConverter on inline wikitext: one test per construct (links, templates, tables, tags,
// quotes, headings, lists, entities, magic words) and per kind of unbalanced markup.
import Testing

@testable import SluiceIngest

@Suite struct WikitextConverterTests {
    func convert(_ s: String, _ options: WikitextConverter.Options = .init()) -> String {
        var c = WikitextConverter(options: options)
        return c.convert(s)
    }

    @Test func links() {
        #expect(convert("See [[Paris]] and [[Paris, France|the capital]].") == "See Paris and the capital.")
        #expect(convert("[[apple]]s and [[:Category:Fruit]]") == "apples and Category:Fruit")
        #expect(convert("[[Paris, Texas|]] and [[Help:Contents|]]") == "Paris and Contents")
        #expect(convert("[[Foo|''bold'' [[Bar]]]]") == "bold Bar")
    }

    @Test func filesCategoriesAndInterlanguageLinksVanish() {
        var c = WikitextConverter()
        let text = c.convert(
            "A [[File:X.jpg|thumb|A [[cat]] on [http://e.org a mat]]] B [[Category:Cats|Sort]] [[Kategorie:Katzen]] [[de:Katze]] C"
        )
        #expect(text == "A\nA cat on a mat\nB C")  // a caption of three words or more is kept, on its own line
        #expect(c.categories == ["Cats", "Katzen"])
        #expect(
            convert("A [[File:X.jpg|thumb|upright=1.2|Two words]] B [[File:Y.jpg|alt=a long alt text here]] C")
                == "A B C")
        #expect(convert("[[Image:y.png]][[Файл:z.png|мини]][[ファイル:a.jpg]]x") == "x")
    }

    @Test func externalLinks() {
        #expect(convert("[https://example.org/a?b=1 Example site] and [http://x.org]") == "Example site and")
        #expect(convert("a [not a link] b") == "a [not a link] b")
        #expect(convert("bare http://example.org stays") == "bare http://example.org stays")
    }

    @Test func templatesAndParserFunctions() {
        #expect(convert("A{{cite web|url=http://x|title={{!}}T}}B") == "AB")
        #expect(convert("{{Infobox\n| name = X\n| a = {{nowrap|1 km}}\n}}\nText {{#if:x|y|z}}here") == "Text here")
        #expect(convert("{{{1}}}x{{{{{a}}}}}") == "x")
    }

    @Test func keptTemplates() {
        let options = WikitextConverter.Options(
            keepTemplates: WikitextConverter.Options.parseKeepTemplates(["lang", "convert:1", "Nowrap"])!)
        #expect(
            convert("{{lang|fr|bonjour}} {{convert|5|km|mi}} {{nowrap|a b}} {{other|x}}", options) == "bonjour 5 a b")
        #expect(convert("{{Lang|fr|text=x|''salut''}}", options) == "salut")
    }

    @Test func tables() {
        let t =
            "Before\n{| class=\"wikitable\"\n|+ Caption\n! H1 !! H2\n|-\n| a || style=\"x\" | b\n|-\n| [[c]]\n| d\n|}\nAfter"
        #expect(convert(t) == "Before\n\nCaption\n\nAfter")  // data cells go, the caption stays
        #expect(convert(t, WikitextConverter.Options(proseWords: 0)) == "Before\n\nAfter")  // a block: a paragraph break
        let kept = convert(t, WikitextConverter.Options(keepTables: true))
        #expect(kept == "Before\n\nCaption\nH1 | H2\na | b\nc | d\n\nAfter")
        #expect(convert("x\n{|\n| a\n{|\n| inner\n|}\n| b\n|}\ny") == "x\n\ny")
        #expect(convert("x\n:{| style=\"border:1px\"\n| indented\n|}\ny") == "x\n\ny")
    }

    /// Issue 15 §5: text that strip_code keeps and a removed table used to lose. A layout table
    /// holding the page (headings and paragraphs under one cell), and cells of sentences, keep
    /// their text; cells of one or two words (names, numbers) do not.
    @Test func proseInTablesIsKept() {
        let layout =
            "Intro.\n{| class=\"layout\"\n|\n== Early life ==\nShe was born in a small town.\n* a listed item of four words\n|}\nEnd."
        #expect(
            convert(layout)
                == "Intro.\n\nEarly life\n\nShe was born in a small town.\na listed item of four words\n\nEnd.")
        let sentences = "{| class=\"wide\"\n! Formula !! Reading\n|-\n| 2 + 2 || two plus two is four\n|-\n| x || y\n|}"
        #expect(convert(sentences) == "two plus two is four")
        #expect(convert("{|\n! Name !! Born\n|-\n| Ada Lovelace || 1815\n|}") == "")
        // CJK has no spaces: each character counts half a word.
        #expect(convert("{|\n| 東京都の区部\n|-\n| 東京\n|}") == "東京都の区部")
        // A template running over several lines of a table is not a column of cells.
        #expect(
            convert("{|\n|+ Layers {{cite journal\n| title = Structure of the interior\n| first = T. H.\n}}\n|}") == "")
        #expect(convert("{|\n| a b c d e f\n|}", WikitextConverter.Options(proseWords: 7)) == "")
        #expect(convert("{|\n| a b c d e f\n|}", WikitextConverter.Options(proseWords: 6)) == "a b c d e f")
    }

    @Test func tagsAndComments() {
        #expect(convert("A<ref name=\"a\">cite {{x}}</ref> b<ref name=a/>.") == "A b.")
        #expect(convert("x <!-- hidden [[link]] --> y") == "x y")
        #expect(convert("<math>x^2</math>E=mc<sup>2</sup>") == "E=mc2")
        #expect(convert("<nowiki>[[not a link]] &amp;</nowiki>") == "[[not a link]] &")
        #expect(convert("a<br/>b<span style=\"c\">d</span>") == "a\nbd")
        #expect(convert("<gallery>\nA.jpg|x\n</gallery>after") == "after")
        #expect(convert("1 < 2 and a<b") == "1 < 2 and a<b")
        #expect(convert("<syntaxhighlight lang=\"c\">int *p = &x;</syntaxhighlight>") == "int *p = &x;")
    }

    @Test func quotesHeadingsListsEntities() {
        #expect(convert("'''Bold''' and ''italic'' and '''''both''''' l''''x'''") == "Bold and italic and both l'x")
        #expect(
            convert("Intro.\n== History ==\nOld.\n=== Early ===\nEarlier.")
                == "Intro.\n\nHistory\n\nOld.\n\nEarly\n\nEarlier.")
        #expect(convert("* one\n** two\n# three\n; term\n: def\n----\nend") == "one\ntwo\nthree\nterm\ndef\n\nend")
        #expect(convert("a&nbsp;b &amp; &lt;c&gt; &#8212; &#x41; &bogus; &") == "a\u{A0}b & <c> — A &bogus; &")
        #expect(convert("__NOTOC__Text __TOC__ snake_case __init__") == "Text snake_case __init__")
    }

    @Test func emptySectionsAreRemoved() {
        let page =
            "Intro.\n== History ==\n=== Early ===\nOld.\n=== Late ===\n{{empty}}\n== References ==\n{{reflist}}\n== External links ==\n* [http://x.org]\n[[Category:X]]"
        #expect(convert(page) == "Intro.\n\nHistory\n\nEarly\n\nOld.")
        #expect(convert("== Only ==\n") == "")
    }

    @Test func paragraphs() {
        #expect(
            convert("\n\nOne\nline.\n\n\n\nTwo.  Spaces   here.\n{{x}}\n\nThree ( {{y}} ) end .")
                == "One\nline.\n\nTwo. Spaces here.\n\nThree end.")
    }

    @Test func unbalancedMarkupIsKeptAndCounted() {
        var c = WikitextConverter()
        #expect(c.convert("Text {{unclosed template and more") == "Text {{unclosed template and more")
        #expect(c.damage.unbalancedBraces == 1)
        #expect(c.convert("Text [[unclosed link\nnext line") == "Text [[unclosed link\nnext line")
        #expect(c.damage.unbalancedBrackets == 1)
        #expect(c.convert("stray }} and ]] closers") == "stray and closers")
        #expect(c.damage.unbalancedBraces == 1 && c.damage.unbalancedBrackets == 1)
        #expect(c.convert("kept <!-- never closed [[x]]") == "kept")
        #expect(c.damage.unterminatedComments == 1)
        #expect(c.convert("a\n{|\n| cell\nno end") == "a")
        #expect(c.damage.unterminatedTables == 1)
        #expect(c.convert("a<ref>no close b") == "ano close b")
        #expect(c.damage.unclosedTags == 1)
    }

    @Test func pathologicalOpenersStayLinear() {
        let s = String(repeating: "{{[[", count: 20000)
        var c = WikitextConverter()
        let text = c.convert(s)
        #expect(text.utf8.count == s.utf8.count)
    }
}
