// Main-content selection, after Mozilla Readability (readability.js, Apache-2.0; re-implemented
// over our text blocks): paragraphs score their ancestors, scores are damped by link density,
// the best container and its like-scored siblings are kept, then link lists are dropped. It
// does not use visual layout or site-specific rules.
@preconcurrency internal import CXML2

extension HTMLExtractor {
    /// Every block (whole-page mode).
    func wholePage() -> [Int] { Array(blocks.indices) }

    /// Characters in a block (UTF-8 continuation bytes not counted).
    func characters(_ b: TextBlock) -> Int {
        var n = 0
        for i in b.start..<b.end where buffer[i] & 0xc0 != 0x80 { n += 1 }
        return n
    }

    /// The blocks of the main content, in document order.
    func selectMainContent() -> [Int] {
        typealias Node = UnsafeMutablePointer<xmlNode>
        // Per-element figures live in arrays; libxml2's `_private` field holds each element's index
        // + 1 (the tree is ours until it is freed), so no pointer hashing.
        var nodes: [Node] = []
        var text: [Int] = []
        var link: [Int] = []
        var score: [Double] = []
        var scored: [Bool] = []
        func index(_ n: Node) -> Int {
            if let p = n.pointee._private { return Int(bitPattern: p) - 1 }
            nodes.append(n)
            text.append(0)
            link.append(0)
            score.append(0)
            scored.append(false)
            n.pointee._private = UnsafeMutableRawPointer(bitPattern: nodes.count)
            return nodes.count - 1
        }
        var chars = [Int](repeating: 0, count: blocks.count)
        // Totals of text and link text per ancestor, for link density.
        for (i, b) in blocks.enumerated() {
            chars[i] = characters(b)
            guard !b.boilerplate, var n = b.owner else { continue }
            var level = 0
            while level < 64 {
                let k = index(n)
                text[k] += b.end - b.start
                link[k] += b.linkBytes
                guard let p = n.pointee.parent, p.pointee.type == XML_ELEMENT_NODE else { break }
                n = p
                level += 1
            }
        }
        // Paragraph scores flow to five ancestors: parent 1, grandparent 1/2, then 1/(3·level).
        for (i, b) in blocks.enumerated() where !b.boilerplate {
            guard let owner = b.owner else { continue }
            switch b.kind {
            case .paragraph, .block, .pre, .tableRow, .blockquote, .listItem: break
            default: continue
            }
            let len = chars[i]
            if len < 25 { continue }
            var s = 1.0 + Double(b.commas) + Double(min(len / 100, 3))
            if b.kind == .listItem { s *= 0.5 }
            var n = owner.pointee.parent
            var level = 0
            while let a = n, a.pointee.type == XML_ELEMENT_NODE, level < 5 {
                let k = index(a)
                if !scored[k] {
                    scored[k] = true
                    score[k] = initialScore(a)
                }
                let divider = level == 0 ? 1.0 : level == 1 ? 2.0 : Double(level * 3)
                score[k] += s / divider
                n = a.pointee.parent
                level += 1
            }
        }
        var top = -1
        var topScore = -Double.infinity
        for k in nodes.indices where scored[k] {
            let density = text[k] > 0 ? Double(link[k]) / Double(text[k]) : 0
            score[k] *= 1 - density
            // Ties go to the earlier (outer or preceding) candidate, as in document order.
            if score[k] > topScore {
                topScore = score[k]
                top = k
            }
        }
        defer { for n in nodes { n.pointee._private = nil } }
        guard top >= 0 else {
            return blocks.indices.filter { !blocks[$0].boilerplate && linkDensity(blocks[$0]) < 0.5 }
        }
        let topNode = nodes[top]
        // Siblings that score like the top candidate join it.
        var chosen: Set<Node> = [topNode]
        if let parent = topNode.pointee.parent {
            let threshold = max(10, topScore * 0.2)
            var c = parent.pointee.children
            let topClass = attribute(topNode, "class") ?? ""
            while let s = c {
                defer { c = s.pointee.next }
                guard s != topNode, s.pointee.type == XML_ELEMENT_NODE else { continue }
                var bonus = 0.0
                if !topClass.isEmpty, attribute(s, "class") == topClass { bonus = topScore * 0.2 }
                let k = s.pointee._private.map { Int(bitPattern: $0) - 1 }
                if let k, scored[k], score[k] + bonus >= threshold {
                    chosen.insert(s)
                } else if let k, tagKind(s.pointee.name) == .paragraph {
                    let total = text[k]
                    let density = total > 0 ? Double(link[k]) / Double(total) : 0
                    if total > 80 && density < 0.25 {
                        chosen.insert(s)
                    } else if total > 0 && total <= 80 && density == 0, let b = blocks.first(where: { $0.owner == s }),
                        b.end > b.start, buffer[b.end - 1] == 0x2e
                    {
                        chosen.insert(s)
                    }
                }
            }
        }
        var out: [Int] = []
        for (i, b) in blocks.enumerated() where !b.boilerplate {
            guard var n = b.owner else { continue }
            var inside = false
            var steps = 0
            while steps < 10_000 {
                if chosen.contains(n) {
                    inside = true
                    break
                }
                guard let p = n.pointee.parent else { break }
                n = p
                steps += 1
            }
            guard inside else { continue }
            // Link lists and navigation left inside the content.
            let density = linkDensity(b)
            if density > 0.5 && b.kind != .heading { continue }
            if b.kind == .heading && density > 0.9 { continue }
            out.append(i)
        }
        return out
    }

    func linkDensity(_ b: TextBlock) -> Double {
        let n = b.end - b.start
        return n > 0 ? Double(b.linkBytes) / Double(n) : 0
    }

    /// Readability's starting score: by tag, plus ±25 for class and id words.
    private func initialScore(_ n: UnsafeMutablePointer<xmlNode>) -> Double {
        var s = 0.0
        if let name = n.pointee.name {
            if nameEquals(name, "div") || nameEquals(name, "article") || nameEquals(name, "main") || nameEquals(name, "section") {
                s += 5
            } else if nameEquals(name, "pre") || nameEquals(name, "td") || nameEquals(name, "blockquote") {
                s += 3
            } else if nameEquals(name, "ol") || nameEquals(name, "ul") || nameEquals(name, "dl") || nameEquals(name, "li")
                || nameEquals(name, "form") || nameEquals(name, "address")
            {
                s -= 3
            } else if tagKind(name) == .heading || nameEquals(name, "th") {
                s -= 5
            }
        }
        return s + classWeight(n)
    }

    /// +25 for content-looking class or id words, −25 for boilerplate-looking ones (each attribute).
    func classWeight(_ n: UnsafeMutablePointer<xmlNode>) -> Double {
        var w = 0.0
        for v in [attributeValue(n, "class"), attributeValue(n, "id")] {
            guard let v, v.pointee != 0 else { continue }
            scratch.removeAll(keepingCapacity: true)
            appendLowercased(v, to: &scratch)
            scratch.withUnsafeBufferPointer {
                if HTMLWords.negativeMatcher.matches($0) { w -= 25 }
                if HTMLWords.positiveMatcher.matches($0) { w += 25 }
            }
        }
        if let ip = attributeValue(n, "itemprop") {
            scratch.removeAll(keepingCapacity: true)
            appendLowercased(ip, to: &scratch)
            if scratch.withUnsafeBufferPointer({ HTMLWords.articleBodyMatcher.matches($0) }) { w += 50 }
        }
        return w
    }

    /// Readability's "unlikely candidate": a class, id or role that names boilerplate, without a
    /// word that names content. Never for body, article, main or links.
    func looksLikeBoilerplate(_ n: UnsafeMutablePointer<xmlNode>, kind: TagKind) -> Bool {
        guard let name = n.pointee.name else { return false }
        if kind == .body || kind == .anchor || kind == .tableCell || kind == .tableRow || nameEquals(name, "article")
            || nameEquals(name, "main") || nameEquals(name, "html")
        {
            return false
        }
        scratch.removeAll(keepingCapacity: true)
        if let role = attributeValue(n, "role") {
            appendLowercased(role, to: &scratch)
            if scratch.withUnsafeBufferPointer({ HTMLWords.rolesMatcher.matches($0) }) { return true }
            scratch.removeAll(keepingCapacity: true)
        }
        appendLowercased(attributeValue(n, "class"), to: &scratch)
        scratch.append(0x20)
        appendLowercased(attributeValue(n, "id"), to: &scratch)
        guard scratch.count > 1 else { return false }
        return scratch.withUnsafeBufferPointer {
            HTMLWords.unlikelyMatcher.matches($0) && !HTMLWords.maybeMatcher.matches($0)
        }
    }
}

/// Class and id words, from readability.js's REGEXPS plus common modern widgets.
enum HTMLWords {
    static let unlikely = [
        "-ad-", "ai2html", "banner", "breadcrumb", "combx", "comment", "community", "cover-wrap", "disqus", "extra",
        "footer", "gdpr", "header", "legends", "menu", "related", "remark", "replies", "rss", "shoutbox", "sidebar",
        "skyscraper", "social", "sponsor", "supplemental", "ad-break", "agegate", "pagination", "pager", "popup",
        "yom-remote", "cookie", "consent", "share", "sharing", "newsletter", "subscribe", "promo", "advert", "recommend",
        "outbrain", "taboola", "trending", "most-popular", "navbar", "signup", "sign-up", "login", "paywall", "modal",
        "toolbar", "skip-link", "sr-only", "visually-hidden", "screen-reader",
    ]
    static let maybe = ["and", "article", "body", "column", "content", "main", "shadow"]
    static let positive = [
        "article", "body", "content", "entry", "hentry", "h-entry", "main", "page", "post", "text", "blog", "story",
    ]
    static let negative = [
        "hidden", "banner", "combx", "comment", "com-", "contact", "foot", "footer", "footnote", "gdpr", "masthead",
        "media", "meta", "outbrain", "promo", "related", "scroll", "share", "shoutbox", "sidebar", "skyscraper",
        "sponsor", "shopping", "tags", "tool", "widget",
    ]
    static let unlikelyMatcher = WordMatcher(unlikely)
    static let positiveMatcher = WordMatcher(positive)
    static let negativeMatcher = WordMatcher(negative)
    static let articleBodyMatcher = WordMatcher(["articlebody"])
    static let permalinkMatcher = WordMatcher(["headerlink", "anchorjs", "permalink", "anchor-link", "heading-anchor"])
    static let hiddenStyleMatcher = WordMatcher(["display:none", "visibility:hidden"])
    static let maybeMatcher = WordMatcher(maybe)
    static let rolesMatcher = WordMatcher(Array(boilerplateRoles))
    static let boilerplateRoles: Set<String> = [
        "menu", "menubar", "complementary", "navigation", "alert", "alertdialog", "dialog", "banner", "contentinfo",
        "search",
    ]
}
