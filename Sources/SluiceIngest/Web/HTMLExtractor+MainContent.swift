// Main-content selection, after Mozilla Readability (readability.js, Apache-2.0; re-implemented
// over our text blocks): paragraphs score their ancestors, scores are damped by link density,
// the best container (moved up as readability.js does) and its like-scored siblings are kept,
// then link lists are dropped; a short result is retried with the boilerplate marks relaxed,
// then replaced by the page's schema.org articleBody. No visual layout, no site-specific rules.
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

    /// The main text: the scored selection with every boilerplate mark; when that is short,
    /// the same selection with the marks relaxed (class marks, then tag marks, then hidden), as
    /// readability.js retries without its flags; a relaxed result replaces a stricter one only
    /// when it is more than `relaxGain` times longer, so a short article is not swapped for its
    /// page. Last, the schema.org `articleBody` of the page's JSON-LD (trafilatura's baseline)
    /// when the DOM gave little. An empty result is never the answer while any pass
    /// or the JSON-LD has text.
    func mainText() -> String {
        chars.removeAll(keepingCapacity: true)
        for b in blocks { chars.append(characters(b)) }
        var best = selectMainContent(exclude: classBoilerplate | tagBoilerplate | hiddenBoilerplate)
        var bestLength = length(best)
        for mask in [tagBoilerplate | hiddenBoilerplate, hiddenBoilerplate, 0] where bestLength < Self.enoughCharacters
        {
            if budget.check() { break }
            let relaxed = selectMainContent(exclude: mask)
            let l = length(relaxed)
            if Double(l) > Self.relaxGain * Double(bestLength) {
                best = relaxed
                bestLength = l
            }
        }
        if bestLength < Self.enoughCharacters, let body = schemaArticleBody(), body.count > 2 * bestLength {
            return normalizeNFC(body)
        }
        return assemble(best)
    }

    /// A selection this long (characters) is not retried: trafilatura's `min_extracted_size`.
    /// 2-fold CV over 100, 250, 400, 500, 1000: half A prefers 100–400 (500 swaps a 465-character
    /// article for 7,684 of page), half B is indifferent; readability.js's 500 is the first value
    /// that loses on A.
    static let enoughCharacters = 250
    /// How much longer a relaxed selection must be to replace a stricter one (trafilatura's
    /// `_prefer_readability`: "much longer" is twice).
    static let relaxGain = 2.0

    /// Readability.js's three ways up from the top candidate, so that an article split over
    /// several containers is kept whole: (1) the nearest ancestor shared by at least three of the
    /// other top-five candidates scoring ≥ 0.75 of the top; (2) a parent scoring higher than the
    /// candidate below it, climbing while scores stay above a third of the top's; (3) the parent
    /// of an only child. Never above body.
    private func promoteTop(
        _ start: UnsafeMutablePointer<xmlNode>, topScore: Double, nodes: [UnsafeMutablePointer<xmlNode>],
        score: [Double], scored: [Bool]
    ) -> UnsafeMutablePointer<xmlNode> {
        typealias Node = UnsafeMutablePointer<xmlNode>
        func isBody(_ n: Node) -> Bool {
            guard let name = n.pointee.name, n.pointee.type == XML_ELEMENT_NODE else { return true }
            return nameEquals(name, "body") || nameEquals(name, "html")
        }
        func scoreOf(_ n: Node) -> Double? {
            guard let p = n.pointee._private else { return nil }
            let k = Int(bitPattern: p) - 1
            return scored[k] ? score[k] : nil
        }
        var top = start
        // (1) Top five candidates after the top one, close in score.
        var best: [(Double, Node)] = []
        for k in nodes.indices where scored[k] && nodes[k] != start {
            if best.count < 4 || score[k] > best[best.count - 1].0 {
                best.append((score[k], nodes[k]))
                best.sort { $0.0 > $1.0 }
                if best.count > 4 { best.removeLast() }
            }
        }
        let close = topScore > 0 ? best.filter { $0.0 / topScore >= 0.75 }.map(\.1) : []
        if close.count >= 3 {
            var p = top.pointee.parent
            search: while let a = p, !isBody(a) {
                var containing = 0
                for c in close {
                    var q = c.pointee.parent
                    while let x = q, x.pointee.type == XML_ELEMENT_NODE {
                        if x == a {
                            containing += 1
                            break
                        }
                        q = x.pointee.parent
                    }
                    if containing >= 3 {
                        top = a
                        break search
                    }
                }
                p = a.pointee.parent
            }
        }
        // (2) A parent scoring higher than the node below it.
        if var last = scoreOf(top) {
            let threshold = last / 3
            var p = top.pointee.parent
            while let a = p, !isBody(a) {
                if let ps = scoreOf(a) {
                    if ps < threshold { break }
                    if ps > last {
                        top = a
                        break
                    }
                    last = ps
                }
                p = a.pointee.parent
            }
        }
        // (3) The parent of an only child.
        while let p = top.pointee.parent, !isBody(p) {
            var elements = 0
            var c = p.pointee.children
            while let x = c, elements < 2 {
                if x.pointee.type == XML_ELEMENT_NODE { elements += 1 }
                c = x.pointee.next
            }
            if elements != 1 { break }
            top = p
        }
        return top
    }

    /// Characters in the chosen blocks.
    func length(_ chosen: [Int]) -> Int {
        var n = 0
        for i in chosen { n += chars[i] }
        return n
    }

    /// The blocks of the main content, in document order, leaving out blocks whose boilerplate
    /// bits meet `exclude`.
    func selectMainContent(exclude: UInt8) -> [Int] {
        typealias Node = UnsafeMutablePointer<xmlNode>
        // Per-element figures live in arrays; libxml2's `_private` field holds each element's index
        // + 1 (the tree is ours until it is freed), so no pointer hashing.
        var nodes: [Node] = []
        var text: [Int] = []
        var link: [Int] = []
        var score: [Double] = []
        var scored: [Bool] = []
        var firstBlock: [Int] = []  // the first block an element owns, or -1
        func index(_ n: Node) -> Int {
            if let p = n.pointee._private { return Int(bitPattern: p) - 1 }
            nodes.append(n)
            firstBlock.append(-1)
            text.append(0)
            link.append(0)
            score.append(0)
            scored.append(false)
            n.pointee._private = UnsafeMutableRawPointer(bitPattern: nodes.count)
            return nodes.count - 1
        }
        defer { for n in nodes { n.pointee._private = nil } }
        // Totals of text and link text per ancestor, for link density.
        for (i, b) in blocks.enumerated() {
            guard b.boilerplate & exclude == 0, var n = b.owner else { continue }
            var level = 0
            while level < 64 {
                let k = index(n)
                if level == 0 && firstBlock[k] < 0 { firstBlock[k] = i }
                text[k] += b.end - b.start
                link[k] += b.linkBytes
                guard let p = n.pointee.parent, p.pointee.type == XML_ELEMENT_NODE else { break }
                n = p
                level += 1
            }
        }
        // Paragraph scores flow to five ancestors: parent 1, grandparent 1/2, then 1/(3·level).
        for (i, b) in blocks.enumerated() where b.boilerplate & exclude == 0 {
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
        guard top >= 0 else {
            return blocks.indices.filter { blocks[$0].boilerplate & exclude == 0 && linkDensity(blocks[$0]) < 0.5 }
        }
        var topNode = nodes[top]
        topNode = promoteTop(topNode, topScore: topScore, nodes: nodes, score: score, scored: scored)
        if let k = topNode.pointee._private.map({ Int(bitPattern: $0) - 1 }), scored[k] { topScore = score[k] }
        // Siblings that score like the top candidate join it.
        var chosen: [Node] = [topNode]
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
                    chosen.append(s)
                } else if let k, tagKind(s.pointee.name) == .paragraph {
                    let total = text[k]
                    let density = total > 0 ? Double(link[k]) / Double(total) : 0
                    if total > 80 && density < 0.25 {
                        chosen.append(s)
                    } else if total > 0 && total <= 80 && density == 0, firstBlock[k] >= 0,
                        case let b = blocks[firstBlock[k]], b.end > b.start, buffer[b.end - 1] == 0x2e
                    {
                        chosen.append(s)
                    }
                }
            }
        }
        // Chosen elements flagged by index (`_private`), so the climb below hashes nothing.
        for n in chosen { _ = index(n) }
        var isChosen = [Bool](repeating: false, count: nodes.count)
        for n in chosen { isChosen[Int(bitPattern: n.pointee._private!) - 1] = true }
        var out: [Int] = []
        for (i, b) in blocks.enumerated() where b.boilerplate & exclude == 0 {
            guard var n = b.owner else { continue }
            var inside = false
            var steps = 0
            while steps < 10_000 {
                if let p = n.pointee._private, case let k = Int(bitPattern: p) - 1, k < isChosen.count, isChosen[k] {
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

    /// The `articleBody` (or `reviewBody`) string of the page's schema.org JSON-LD, unescaped;
    /// nil when there is none or it holds markup.
    func schemaArticleBody() -> [UInt8]? {
        var best: [UInt8]?
        for p in jsonLD {
            var q = p
            while q.pointee != 0 {
                if q.pointee == 0x22, let value = jsonStringValue(after: q), value.count > (best?.count ?? 0) {
                    best = value
                }
                q += 1
            }
        }
        return best
    }

    /// If `p` starts `"articleBody"` or `"reviewBody"` followed by `:` and a JSON string, that
    /// string decoded (escapes, \u surrogate pairs); whitespace collapsed.
    private func jsonStringValue(after p: UnsafePointer<xmlChar>) -> [UInt8]? {
        var q = p + 1
        guard matchesKey(&q, "articlebody\"") || matchesKey(&q, "reviewbody\"") else { return nil }
        while q.pointee == 0x20 || q.pointee == 0x0a || q.pointee == 0x09 || q.pointee == 0x0d { q += 1 }
        guard q.pointee == 0x3a else { return nil }
        q += 1
        while q.pointee == 0x20 || q.pointee == 0x0a || q.pointee == 0x09 || q.pointee == 0x0d { q += 1 }
        guard q.pointee == 0x22 else { return nil }
        q += 1
        var out: [UInt8] = []
        var space = true
        func put(_ b: UInt8) {
            if b == 0x20 || b == 0x0a || b == 0x09 || b == 0x0d {
                if !space { out.append(0x20) }
                space = true
            } else {
                out.append(b)
                space = false
            }
        }
        func putScalar(_ v: UInt32) {
            guard let u = Unicode.Scalar(v) else { return }
            if v < 0x80 { put(UInt8(v)) } else { for b in String(Character(u)).utf8 { put(b) } }
        }
        func hex4(_ r: UnsafePointer<xmlChar>) -> UInt32? {
            var v: UInt32 = 0
            for i in 0..<4 {
                let c = r[i]
                let l = c | 0x20
                if c >= 0x30 && c <= 0x39 {
                    v = v << 4 | UInt32(c - 0x30)
                } else if l >= 0x61 && l <= 0x66 {
                    v = v << 4 | UInt32(l - 0x57)
                } else {
                    return nil
                }
            }
            return v
        }
        while q.pointee != 0x22 {
            let c = q.pointee
            if c == 0 { return nil }
            if c == 0x3c { return nil }  // markup inside: not plain text
            if c != 0x5c {
                put(c)
                q += 1
                continue
            }
            q += 1
            switch q.pointee {
            case 0x6e, 0x72, 0x74: put(0x20)
            case 0x75:
                guard var v = hex4(q + 1) else { return nil }
                q += 4
                if v >= 0xd800 && v < 0xdc00, q[1] == 0x5c, q[2] == 0x75, let lo = hex4(q + 3), lo >= 0xdc00,
                    lo < 0xe000
                {
                    v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00)
                    q += 6
                }
                putScalar(v)
            case 0: return nil
            default: put(q.pointee)  // \" \\ \/ and the rest: the character itself
            }
            q += 1
        }
        if out.last == 0x20 { out.removeLast() }
        return out.isEmpty ? nil : out
    }

    /// Whether `q` starts with `key` (ASCII, case-insensitive); advances past it if so.
    private func matchesKey(_ q: inout UnsafePointer<xmlChar>, _ key: StaticString) -> Bool {
        let n = key.utf8CodeUnitCount
        let k = key.utf8Start
        for i in 0..<n where q[i] == 0 || (q[i] | 0x20) != k[i] && q[i] != k[i] { return false }
        q += n
        return true
    }

    func linkDensity(_ b: TextBlock) -> Double {
        let n = b.end - b.start
        return n > 0 ? Double(b.linkBytes) / Double(n) : 0
    }

    /// Readability's starting score: by tag, plus ±25 for class and id words.
    private func initialScore(_ n: UnsafeMutablePointer<xmlNode>) -> Double {
        var s = 0.0
        if let name = n.pointee.name {
            if nameEquals(name, "div") || nameEquals(name, "article") || nameEquals(name, "main")
                || nameEquals(name, "section")
            {
                s += 5
            } else if nameEquals(name, "pre") || nameEquals(name, "td") || nameEquals(name, "blockquote") {
                s += 3
            } else if nameEquals(name, "ol") || nameEquals(name, "ul") || nameEquals(name, "dl")
                || nameEquals(name, "li")
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
        "yom-remote", "cookie", "consent", "share", "sharing", "newsletter", "subscribe", "promo", "advert",
        "recommend",
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
