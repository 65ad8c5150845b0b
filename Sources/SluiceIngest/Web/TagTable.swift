// The element names HTMLExtractor knows, by kind, packed into integer keys for `tagKind`
// (TagKind.swift). Unknown names are inline.

/// Element names by packed key (see `tagKind`).
enum TagTable {
    static func pack(_ s: String) -> UInt64 {
        var key: UInt64 = 0
        let b = Array(s.utf8)
        if b.count > 8 {
            for i in 0..<8 { key |= UInt64(b[i]) << (8 * UInt64(i)) }
            return key &* 31 &+ UInt64(b[8]) &* 7 &+ UInt64(b.count == 10 ? b[9] : 1)
        }
        for (i, c) in b.enumerated() { key |= UInt64(c) << (8 * UInt64(i)) }
        return key
    }

    static let names: [(TagKind, [String])] = [
        (
            .skip,
            [
                "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed", "canvas",
                "button",
                "select", "input", "textarea", "option", "link", "audio", "video", "map", "datalist", "dialog", "menu",
                "source", "track", "picture", "frameset", "frame", "applet", "param",
            ]
        ),
        (.title, ["title"]),
        (.boilerplate, ["nav", "aside", "form", "footer", "header"]),
        (.br, ["br", "hr", "wbr"]),
        (.image, ["img"]),
        (.anchor, ["a"]),
        (.heading, ["h1", "h2", "h3", "h4", "h5", "h6"]),
        (.paragraph, ["p"]),
        (.listItem, ["li", "dt", "dd"]),
        (.list, ["ul", "ol", "dl"]),
        (.tableCell, ["td", "th"]),
        (.tableRow, ["tr"]),
        (.table, ["table", "thead", "tbody", "tfoot"]),
        (.pre, ["pre", "listing", "plaintext", "xmp"]),
        (.code, ["code", "kbd", "samp", "tt"]),
        (.blockquote, ["blockquote"]),
        (.caption, ["figcaption", "caption"]),
        (.body, ["body"]),
        (
            .block,
            [
                "div", "section", "article", "main", "address", "center", "details", "summary", "fieldset", "figure",
                "hgroup", "legend", "html", "head",
            ]
        ),
    ]

    static let short: [UInt64: TagKind] = {
        var d: [UInt64: TagKind] = [:]
        for (k, list) in names { for n in list where n.utf8.count <= 8 { d[pack(n)] = k } }
        return d
    }()

    static let long: [UInt64: TagKind] = {
        var d: [UInt64: TagKind] = [:]
        for (k, list) in names { for n in list where n.utf8.count > 8 { d[pack(n)] = k } }
        return d
    }()
}
