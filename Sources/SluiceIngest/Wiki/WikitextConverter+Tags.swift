// Tags and comments in wikitext (WikitextConverter.swift): `<!-- -->` is removed (an unclosed one
// hides the rest of the page, as in MediaWiki), `<ref>` and other removed elements go with their
// content, other tags leave their text. No HTML is rendered.
import SluiceCore

extension WikitextConverter {
    /// The index just past the comment starting at `s[i]` (`<!--`), `to` when it never closes
    /// (MediaWiki hides the rest of the page), or nil when `s[i]` does not start a comment.
    func commentEnd(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int) -> Int? {
        guard i + 3 < to, s[i + 1] == UInt8(ascii: "!"), s[i + 2] == UInt8(ascii: "-"), s[i + 3] == UInt8(ascii: "-")
        else { return nil }
        var j = i + 4
        while j + 2 < to {
            if s[j] == UInt8(ascii: "-") && s[j + 1] == UInt8(ascii: "-") && s[j + 2] == UInt8(ascii: ">") {
                return j + 3
            }
            j += 1
        }
        return to
    }

    mutating func openAngle(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int, depth: Int) -> Int {
        if let e = commentEnd(s, i, to) {
            if e == to && !(to >= 3 && s[to - 1] == UInt8(ascii: ">") && s[to - 2] == UInt8(ascii: "-")) {
                damage.unterminatedComments += 1
            }
            return e
        }
        var j = i + 1
        let closing = j < to && s[j] == UInt8(ascii: "/")
        if closing { j += 1 }
        let nameStart = j
        while j < to && Self.isTagNameByte(s[j]) { j += 1 }
        guard j > nameStart, let kind = WikiNames.tags.lookup(s, nameStart, j),
            j == to || s[j] == 32 || s[j] == UInt8(ascii: ">") || s[j] == UInt8(ascii: "/") || s[j] == 10 || s[j] == 9
        else {
            out.append(s[i])
            return i + 1
        }
        // Find the end of the tag, skipping quoted attribute values.
        var quote: UInt8 = 0
        var k = j
        while k < to {
            let c = s[k]
            if quote != 0 {
                if c == quote { quote = 0 }
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                quote = c
            } else if c == UInt8(ascii: ">") {
                break
            } else if c == UInt8(ascii: "<") {
                break  // a new tag before this one closed: not a tag
            }
            k += 1
        }
        guard k < to && s[k] == UInt8(ascii: ">") else {
            out.append(s[i])
            return i + 1
        }
        let tagEnd = k + 1
        let selfClosing = s[k - 1] == UInt8(ascii: "/")
        if closing {
            if kind == .block { out.append(10) }
            return tagEnd
        }
        switch kind {
        case .inline:
            return tagEnd
        case .block:
            out.append(10)
            return tagEnd
        case .removeWithContent, .literal:
            if selfClosing { return tagEnd }
            guard let (contentEnd, after) = closingTag(s, tagEnd, to, name: nameStart, nameEnd: j) else {
                damage.unclosedTags += 1
                return tagEnd  // drop only the opening tag; what follows stays text
            }
            if kind == .literal {
                literal(s, tagEnd, contentEnd, decodeEntities: s[nameStart] | 0x20 != UInt8(ascii: "s"))
            }
            return after
        }
    }

    @inline(__always)
    private static func isTagNameByte(_ c: UInt8) -> Bool {
        (c | 0x20 >= 97 && c | 0x20 <= 122) || (c >= 48 && c <= 57)
    }

    /// Finds `</name>` (any case, optional spaces) after `from`; returns where the content ends
    /// and where the closing tag ends.
    private func closingTag(
        _ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, name: Int, nameEnd: Int
    ) -> (Int, Int)? {
        let n = nameEnd - name
        var j = from
        // `j < last` is `j + 2 + n < to` without two checked sums per byte; j + 1 < to (-O).
        let last = to - 2 - n
        while j < last {
            if s[j] == UInt8(ascii: "<") && s[j &+ 1] == UInt8(ascii: "/") {
                var same = true
                for q in 0..<n where s[j + 2 + q] | 0x20 != s[name + q] | 0x20 {
                    same = false
                    break
                }
                if same {
                    var e = j + 2 + n
                    while e < to && (s[e] == 32 || s[e] == 9) { e += 1 }
                    if e < to && s[e] == UInt8(ascii: ">") { return (j, e + 1) }
                }
            }
            j &+= 1
        }
        return nil
    }

    private mutating func literal(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, decodeEntities: Bool) {
        var i = from
        while i < to {
            if decodeEntities && s[i] == UInt8(ascii: "&"), let (scalar, next) = HTMLEntities.decode(s, at: i, end: to)
            {
                HTMLEntities.appendUTF8(scalar, to: &out)
                i = next
            } else {
                out.append(s[i])
                i += 1
            }
        }
    }
}
