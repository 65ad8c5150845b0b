// The kinds of HTML element HTMLExtractor's walk tells apart, the lookup of an element's kind by
// name, and ASCII case-insensitive comparisons of libxml2 names with literals. The name table is
// TagTable.swift.
@preconcurrency internal import CXML2

/// The kinds of element the walk distinguishes.
enum TagKind: UInt8 {
    case inline, block, heading, paragraph, listItem, list, tableCell, tableRow, table, pre, code, br, skip, blockquote,
        caption, anchor, image, title, body, boilerplate
}

// MARK: - Tag names

/// Whether a NUL-terminated value equals a lower-case ASCII literal, ignoring ASCII case and
/// surrounding spaces.
func asciiEqualsLowercased(_ p: UnsafePointer<xmlChar>, _ s: StaticString) -> Bool {
    var p = p
    while p.pointee == 0x20 || p.pointee == 0x09 || p.pointee == 0x0a { p += 1 }
    let n = s.utf8CodeUnitCount
    let q = s.utf8Start
    for i in 0..<n where p[i] == 0 || (p[i] != q[i] && (p[i] | 0x20) != q[i]) { return false }
    var e = p + n
    while e.pointee == 0x20 || e.pointee == 0x09 || e.pointee == 0x0a { e += 1 }
    return e.pointee == 0
}

/// Compares a NUL-terminated libxml2 name with a lower-case ASCII literal (ASCII case-insensitive).
@inline(__always)
func nameEquals(_ p: UnsafePointer<xmlChar>, _ s: StaticString) -> Bool {
    let n = s.utf8CodeUnitCount
    let q = s.utf8Start
    for i in 0..<n {
        let c = p[i]
        if c == 0 { return false }
        if c != q[i] && (c | 0x20) != q[i] { return false }
    }
    return p[n] == 0
}

/// The kind of an element by name: the name's bytes (lower-cased, at most 10) packed into a key.
func tagKind(_ name: UnsafePointer<xmlChar>?) -> TagKind {
    guard let p = name else { return .inline }
    var key: UInt64 = 0
    var len = 0
    while p[len] != 0 {
        if len == 8 {
            // Only blockquote, figcaption and plaintext are longer than 8 among the names we know.
            var rest = 0
            while p[len + rest] != 0 && rest < 3 { rest += 1 }
            if rest > 2 || p[len + rest] != 0 { return .inline }
            key = key &* 31 &+ UInt64(p[8] | 0x20) &* 7 &+ UInt64(rest == 2 ? p[9] | 0x20 : 1)
            return TagTable.long[key] ?? .inline
        }
        key |= UInt64(p[len] | 0x20) << (8 * UInt64(len))
        len += 1
    }
    return TagTable.short[key] ?? .inline
}
