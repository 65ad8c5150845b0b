// libxml2 links and parses HTML: a recovering parse of a small page with broken markup.
@preconcurrency import CXML2
import Testing

@Suite struct LibXML2Tests {
    @Test func parsesHTMLString() throws {
        let html = "<html><head><title>Hello</title></head><body><p>One<p>Two</body></html>"
        let options = Int32(
            HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
                | HTML_PARSE_NONET.rawValue)
        let doc = try #require(htmlReadMemory(html, Int32(html.utf8.count), nil, "UTF-8", options))
        defer { xmlFreeDoc(doc) }
        let root = try #require(xmlDocGetRootElement(doc))
        #expect(String(cString: root.pointee.name) == "html")
        let text = try #require(xmlNodeGetContent(root))
        defer { xmlFree(text) }
        #expect(String(cString: text) == "HelloOneTwo")
    }
}
