// Bounds on what one page can cost: a cap on attributes per start tag (libxml2 2.9's HTML parser
// is quadratic in them: it checks each new attribute against all earlier ones and appends it by
// walking the list), and a per-page CPU budget checked while parsing, walking and selecting. It
// does not limit page size (ExtractStep's `max_bytes` does) or nesting depth (parsed with
// HTML_PARSE_HUGE; the walk flattens past `maxBlockDepth`).
@preconcurrency internal import CXML2

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Attributes kept per start tag; later ones are dropped before parsing (counted per page).
let maxAttributesPerTag = 128

/// Drops attributes past `maxAttributesPerTag` from every start tag of `html`.
/// - Returns: nil when no tag has that many (the common case: nothing is copied), else the
///   rewritten page and the number of attributes dropped.
/// - Complexity: O(n) in the bytes of the page: one forward scan, no backtracking.
func capAttributes(_ html: UnsafeRawBufferPointer) -> (bytes: [UInt8], dropped: Int)? {
    let n = html.count
    var out: [UInt8] = []
    var copied = 0  // bytes of `html` already in `out`
    var dropped = 0
    var i = 0
    @inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0c }
    guard let base = html.baseAddress else { return nil }
    // The next `c` at or after `i`, or n (memchr: text between tags and quoted values are most bytes).
    @inline(__always) func find(_ c: UInt8, from i: Int) -> Int {
        guard i < n, let p = memchr(base + i, Int32(c), n - i) else { return n }
        return base.distance(to: UnsafeRawPointer(p))
    }
    while i < n {
        // Next `<` followed by an ASCII letter: a start tag as the HTML tokenizer sees one.
        i = find(0x3c, from: i)
        guard i + 1 < n, (html[i + 1] | 0x20) >= 0x61, (html[i + 1] | 0x20) <= 0x7a else {
            i += 1
            continue
        }
        i += 1
        while i < n && !isSpace(html[i]) && html[i] != 0x3e && html[i] != 0x2f { i += 1 }  // tag name
        var count = 0
        var cut = -1  // where the first attribute past the cap starts
        while i < n && html[i] != 0x3e {
            let c = html[i]
            if isSpace(c) || c == 0x2f {
                i += 1
                continue
            }
            // One attribute: name, then optionally = and a quoted or unquoted value.
            let start = i
            while i < n && !isSpace(html[i]) && html[i] != 0x3e && html[i] != 0x2f && (html[i] != 0x3d || i == start) {
                i += 1
            }
            var j = i
            while j < n && isSpace(html[j]) { j += 1 }
            if j < n && html[j] == 0x3d {
                j += 1
                while j < n && isSpace(html[j]) { j += 1 }
                if j < n && (html[j] == 0x22 || html[j] == 0x27) {
                    j = find(html[j], from: j + 1)
                    if j < n { j += 1 }
                } else {
                    while j < n && !isSpace(html[j]) && html[j] != 0x3e { j += 1 }
                }
                i = j
            }
            count += 1
            if count == maxAttributesPerTag + 1 { cut = start }
        }
        if cut >= 0 {
            // Keep the tag up to the cut and its closing `>`.
            if out.isEmpty { out.reserveCapacity(n) }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: html[copied..<cut]))
            dropped += count - maxAttributesPerTag
            copied = i
        }
    }
    guard dropped > 0 else { return nil }
    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: html[copied..<n]))
    return (out, dropped)
}

/// A per-page CPU-time budget (this thread's CPU time, so a busy machine does not trip it).
struct ExtractionBudget {
    /// Deadline in nanoseconds of thread CPU time; `.max` for none.
    var deadline: UInt64 = .max
    var exceeded = false

    static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }

    init(seconds: Double?) {
        if let s = seconds, s.isFinite, s >= 0 { deadline = Self.now() &+ UInt64(s * 1e9) }
    }

    /// Whether the budget is spent (sticky once it is).
    mutating func check() -> Bool {
        if exceeded { return true }
        if deadline != .max && Self.now() >= deadline { exceeded = true }
        return exceeded
    }
}

/// State the wrapped SAX callback sees through the parser context's `_private`.
struct ParseWatch {
    var budget: ExtractionBudget
    var startElement: startElementSAXFunc? = nil
    var elements = 0
}

/// libxml2's tree-building startElement, then every 256 elements a look at the clock.
let budgetedStartElement: startElementSAXFunc = { ctx, name, atts in
    guard let ctx else { return }
    let ctxt = ctx.assumingMemoryBound(to: xmlParserCtxt.self)
    guard let w = ctxt.pointee._private?.assumingMemoryBound(to: ParseWatch.self) else { return }
    w.pointee.startElement?(ctx, name, atts)
    w.pointee.elements &+= 1
    if w.pointee.elements & 255 == 0 && w.pointee.budget.check() { xmlStopParser(ctxt) }
}
