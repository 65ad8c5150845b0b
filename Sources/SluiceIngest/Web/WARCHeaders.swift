// The header block of a WARC record kept as bytes, with the byte-level helpers that read its
// lines and compare field names without making Strings (WARCScanner.swift parses the few fields
// it needs with them). It does not find records in a file.
import SluiceCore

/// The named header fields of one WARC record, in file order (repeated names kept). The block is
/// kept as bytes; fields become Strings only when asked for (the scanner parses the few it needs).
public struct WARCHeaders: Sendable {
    /// `WARC/1.0`, `WARC/1.1`.
    public var version: String
    /// The field lines as read, up to (not including) the empty line.
    let block: [UInt8]

    /// Every field as (name, value), continuation lines joined with a space.
    public var fields: [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        block.withUnsafeBufferPointer { b in
            forEachHeaderLine(b) { line in
                if line[0] == 0x20 || line[0] == 0x09, !out.isEmpty {
                    out[out.count - 1].value += " " + trimmedString(line)
                    return true
                }
                guard let colon = line.firstIndex(of: 0x3a) else { return true }
                out.append(
                    (
                        trimmedString(UnsafeBufferPointer(rebasing: line[..<colon])),
                        trimmedString(UnsafeBufferPointer(rebasing: line[(colon + 1)...]))
                    ))
                return true
            }
        }
        return out
    }

    /// The first value of `name` (ASCII case-insensitive), or nil.
    public func value(_ name: String) -> String? {
        var found: String?
        var wanted = Array(name.utf8)
        for i in wanted.indices where wanted[i] >= 0x41 && wanted[i] <= 0x5a { wanted[i] |= 0x20 }
        block.withUnsafeBufferPointer { b in
            forEachHeaderLine(b) { line in
                guard let colon = line.firstIndex(of: 0x3a) else { return true }
                let n = UnsafeBufferPointer(rebasing: line[..<colon])
                guard lowerEquals(n, wanted) else { return true }
                found = trimmedString(UnsafeBufferPointer(rebasing: line[(colon + 1)...]))
                return false
            }
        }
        return found
    }
}

/// Calls `body` with each non-empty line of `b` (CR stripped) until it returns false.
@inline(__always)
func forEachHeaderLine(_ b: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) {
    var start = 0
    while start < b.count {
        var end = start
        while end < b.count && b[end] != 0x0a { end += 1 }
        var e = end
        if e > start && b[e - 1] == 0x0d { e -= 1 }
        if e > start, !body(UnsafeBufferPointer(rebasing: b[start..<e])) { return }
        start = end + 1
    }
}

/// Whether `name` (trimmed of spaces) equals the lower-case `wanted`, ASCII case-insensitively.
@inline(__always)
func lowerEquals(_ name: UnsafeBufferPointer<UInt8>, _ wanted: [UInt8]) -> Bool {
    var s = 0
    var e = name.count
    while s < e && (name[s] == 0x20 || name[s] == 0x09) { s += 1 }
    while e > s && (name[e - 1] == 0x20 || name[e - 1] == 0x09) { e -= 1 }
    guard e - s == wanted.count else { return false }
    for k in 0..<wanted.count {
        let c = name[s + k]
        if (c >= 0x41 && c <= 0x5a ? c | 0x20 : c) != wanted[k] { return false }
    }
    return true
}

/// Whether `name` equals the lower-case literal `lower` (ASCII case-insensitive, exact length).
@inline(__always)
func bytesEqualLower(_ name: UnsafeBufferPointer<UInt8>, _ lower: StaticString) -> Bool {
    guard name.count == lower.utf8CodeUnitCount else { return false }
    let l = lower.utf8Start
    for k in 0..<name.count {
        let c = name[k]
        if (c >= 0x41 && c <= 0x5a ? c | 0x20 : c) != l[k] { return false }
    }
    return true
}

/// A header value without surrounding blanks (`trimmedRange`), as a String (invalid UTF-8 replaced).
@inline(__always)
func trimmedString(_ line: UnsafeBufferPointer<UInt8>) -> String {
    String(decoding: UnsafeBufferPointer(rebasing: line[trimmedRange(line)]), as: UTF8.self)
}
