// Substring tests of class, id and style attribute values against word lists, on bytes: lower-cased
// once into a scratch buffer, patterns bucketed by first byte. Foundation's String.contains cost
// 40% of extraction time before this (perf, 60 crawl pages).
@preconcurrency internal import CXML2

/// Finds whether any of a fixed list of lower-case ASCII patterns occurs in a byte string.
struct WordMatcher: Sendable {
    /// Patterns by first byte.
    private let buckets: [[[UInt8]]]

    init(_ patterns: [String]) {
        var b = [[[UInt8]]](repeating: [], count: 256)
        for p in patterns where !p.isEmpty {
            let bytes = Array(p.utf8)
            b[Int(bytes[0])].append(bytes)
        }
        buckets = b
    }

    /// Whether a pattern occurs in `text` (already lower-case).
    func matches(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = text.count
        for i in 0..<n {
            let bucket = buckets[Int(text[i])]
            if bucket.isEmpty { continue }
            for p in bucket where p.count <= n - i {
                var k = 1
                while k < p.count && text[i + k] == p[k] { k += 1 }
                if k == p.count { return true }
            }
        }
        return false
    }
}

/// Lower-cases an attribute value into `scratch` (ASCII only), appending; returns false if absent.
@inline(__always)
func appendLowercased(_ v: UnsafePointer<xmlChar>?, to scratch: inout [UInt8]) {
    guard var p = v else { return }
    while p.pointee != 0 {
        let c = p.pointee
        scratch.append(c >= 0x41 && c <= 0x5a ? c | 0x20 : c)
        p += 1
    }
}

/// The raw value of attribute `name` (lower-case literal) of element `n`, or nil.
@inline(__always)
func attributeValue(_ n: UnsafeMutablePointer<xmlNode>, _ name: StaticString) -> UnsafePointer<xmlChar>? {
    var a = n.pointee.properties
    while let attr = a {
        if let an = attr.pointee.name, nameEquals(an, name) {
            return UnsafePointer(attr.pointee.children?.pointee.content) ?? UnsafePointer(emptyValue)
        }
        a = attr.pointee.next
    }
    return nil
}

/// An empty NUL-terminated value for attributes without one (`<p hidden>`).
nonisolated(unsafe) private let emptyValue: UnsafeMutablePointer<xmlChar> = {
    let p = UnsafeMutablePointer<xmlChar>.allocate(capacity: 1)
    p.pointee = 0
    return p
}()
