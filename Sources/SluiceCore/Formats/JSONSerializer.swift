// Deterministic JSON output into a reused byte buffer: documents as one JSONL line each, any
// JSONValue as compact JSON. Like orjson: non-ASCII is written as raw UTF-8, only '"', '\\' and
// control characters are escaped, doubles print shortest-round-trip, NaN and infinities as null.

/// Appends compact JSON to `bytes`. Keep one per task and `reset()` it between uses.
///
/// ```swift
/// var out = JSONSerializer()
/// out.appendDocument(doc)   // {"id":…,"text":…,"source":…,"metadata":{…}}\n
/// sink.write(out.bytes); out.reset()
/// ```
public struct JSONSerializer {
    /// The JSON written so far.
    public var bytes: [UInt8]
    /// Separators as Python's `json.dumps` writes them by default (`", "`, `": "`) instead of
    /// compact: the layout of the one-line summaries the CLI prints.
    public var spaced = false

    public init(capacity: Int = 1 << 16) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer, keeping its storage.
    public mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    /// The compact JSON bytes of `value`.
    public static func serialize(_ value: JSONValue) -> [UInt8] {
        var s = JSONSerializer(capacity: 64)
        s.append(value)
        return s.bytes
    }

    /// The compact JSON text of `value`.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: serialize(value), as: UTF8.self)
    }

    /// `value` on one line with `", "` and `": "` between items (`{"documents": 4, "seconds": 0.5}`),
    /// as the CLI prints its summaries.
    public static func spacedString(_ value: JSONValue) -> String {
        var s = JSONSerializer(capacity: 64)
        s.spaced = true
        s.append(value)
        return String(decoding: s.bytes, as: UTF8.self)
    }

    /// `string` as a quoted JSON string literal: `"`, `\` and control characters escaped, the rest
    /// raw UTF-8.
    public static func quoted(_ string: String) -> String {
        var s = JSONSerializer(capacity: string.utf8.count + 2)
        s.appendString(string)
        return String(decoding: s.bytes, as: UTF8.self)
    }

    /// The JSONL line of `document`, with its newline.
    public static func line(_ document: Document) -> [UInt8] {
        var s = JSONSerializer(capacity: document.text.utf8.count + 128)
        s.appendDocument(document)
        return s.bytes
    }

    /// Appends `{"id":…,"text":…,"source":…,"metadata":{…}}` and a newline; `raw` is not written.
    public mutating func appendDocument(_ document: Document) {
        appendLiteral("{\"id\":")
        appendString(document.id)
        appendLiteral(",\"text\":")
        appendString(document.text)
        appendLiteral(",\"source\":")
        appendString(document.source)
        appendLiteral(",\"metadata\":")
        appendObject(document.metadata)
        appendLiteral("}\n")
    }

    /// Appends a value as compact JSON.
    public mutating func append(_ value: JSONValue) {
        switch value {
        case .null: appendLiteral("null")
        case .bool(let b): appendLiteral(b ? "true" : "false")
        case .int(let v): appendInt(v)
        case .double(let d): appendDouble(d)
        case .string(let s): appendString(s)
        case .array(let a):
            bytes.append(UInt8(ascii: "["))
            for (k, v) in a.enumerated() {
                if k > 0 { appendComma() }
                append(v)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let o): appendObject(o)
        }
    }

    /// Appends an object, keys in their stored order.
    public mutating func appendObject(_ object: JSONObject) {
        bytes.append(UInt8(ascii: "{"))
        var first = true
        for (k, v) in object {
            if !first { appendComma() }
            first = false
            appendString(k)
            bytes.append(UInt8(ascii: ":"))
            if spaced { bytes.append(UInt8(ascii: " ")) }
            append(v)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    @inline(__always)
    private mutating func appendComma() {
        bytes.append(UInt8(ascii: ","))
        if spaced { bytes.append(UInt8(ascii: " ")) }
    }

    @inline(__always)
    private mutating func appendLiteral(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Appends a decimal integer.
    public mutating func appendInt(_ v: Int64) {
        if v >= 0 && v < 10 {
            bytes.append(UInt8(truncatingIfNeeded: v) + 48)
            return
        }
        // Digits are produced backwards into a small stack buffer.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buf in
            var n = v.magnitude
            var k = 24
            repeat {
                k -= 1
                buf[k] = UInt8(truncatingIfNeeded: n % 10) + 48
                n /= 10
            } while n > 0
            if v < 0 {
                k -= 1
                buf[k] = UInt8(ascii: "-")
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[k..<24]))
        }
    }

    /// Appends a double in its shortest round-trip form (`0.1`, `1e-05`, `1.5e+300`); NaN and
    /// infinities, which JSON cannot hold, as `null` (as orjson does).
    public mutating func appendDouble(_ d: Double) {
        guard d.isFinite else {
            appendLiteral("null")
            return
        }
        // Swift's description is the shortest string that parses back to the same double.
        var s = d.description
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Appends a quoted, escaped string.
    public mutating func appendString(_ string: String) {
        var s = string
        s.withUTF8 { appendString(bytes: UnsafeRawBufferPointer($0)) }
    }

    private static let hex: StaticString = "0123456789abcdef"

    /// Appends valid UTF-8 `raw` as a JSON string: runs without special bytes are copied whole.
    public mutating func appendString(bytes raw: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "\""))
        guard let p = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        let n = raw.count
        var runStart = 0
        var i = 0
        while i < n {
            // Eight bytes at a time past ordinary text.
            while n - i >= 8 && !JSONParser.hasSpecialByte(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) {
                i += 8
            }
            while i < n {
                let c = p[i]
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { break }
                i += 1
            }
            guard i < n else { break }
            if i > runStart { bytes.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart)) }
            let c = p[i]
            switch c {
            case UInt8(ascii: "\""): appendLiteral("\\\"")
            case UInt8(ascii: "\\"): appendLiteral("\\\\")
            case 0x0A: appendLiteral("\\n")
            case 0x0D: appendLiteral("\\r")
            case 0x09: appendLiteral("\\t")
            case 0x08: appendLiteral("\\b")
            case 0x0C: appendLiteral("\\f")
            default:
                appendLiteral("\\u00")
                bytes.append(Self.hex.utf8Start[Int(c >> 4)])
                bytes.append(Self.hex.utf8Start[Int(c & 15)])
            }
            i += 1
            runStart = i
        }
        if n > runStart { bytes.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: n - runStart)) }
        bytes.append(UInt8(ascii: "\""))
    }
}
