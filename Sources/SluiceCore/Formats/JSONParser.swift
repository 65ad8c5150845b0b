// A JSON parser (RFC 8259) working on raw bytes, with a fast path that reads a JSONL line
// straight into a `Document`. Strings are scanned eight bytes at a time; invalid UTF-8 and lone
// surrogate escapes become U+FFFD and are counted. No streaming of values larger than one buffer.

/// A JSON text that does not parse, with the byte offset where the problem was found.
public struct JSONSyntaxError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var offset: Int
    /// A well-formed number that no double holds (`1e999`, `-1e400`): JSON allows it, but writing it
    /// back would need `null` or infinity, so it is refused.
    public var outOfRange = false
    public init(_ message: String, offset: Int, outOfRange: Bool = false) {
        self.message = message
        self.offset = offset
        self.outOfRange = outOfRange
    }
    public var description: String { "\(message) at byte \(offset)" }
}

/// Parses JSON from bytes. Keep one per task and reuse it: its scratch buffer is kept.
///
/// ```swift
/// var parser = JSONParser()
/// let value = try parser.parse(bytes)            // any JSON value
/// let doc = try parser.parseDocument(line, defaultID: "f.jsonl:3", defaultSource: "jsonl")
/// ```
public struct JSONParser {
    /// Strings in which invalid UTF-8 or a lone surrogate escape was replaced by U+FFFD, counted
    /// since this parser was made; callers compare it before and after a parse.
    public var invalidUTF8Count = 0
    /// Deeper nesting is an error (keeps the recursion bounded).
    public var maxDepth = 512

    private var base = UnsafePointer<UInt8>(bitPattern: 0x10)!
    private var count = 0
    private var i = 0
    private var scratch: [UInt8] = []

    public init() {}

    // MARK: - Entry points

    /// Parses one complete JSON value; only whitespace may follow it.
    /// - Throws: `JSONSyntaxError` with the offset of the problem.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        begin(bytes)
        let v = try value(depth: 0)
        try end()
        return v
    }

    /// Parses the JSON text of `string`.
    public mutating func parse(_ string: String) throws -> JSONValue {
        var s = string
        return try s.withUTF8 { try parse(UnsafeRawBufferPointer($0)) }
    }

    /// Reads a JSONL line `{"id","text","source","metadata",...}` into a Document.
    ///
    /// `text` must be a string. `id` and `source` are taken as they are when strings; numbers and
    /// other values become their JSON text; when missing or null the defaults apply. `metadata`
    /// (an object) becomes the document's metadata, and every other top-level field is added to
    /// it; a top-level field wins over a metadata key of the same name, as in datatrove's
    /// `JsonlReader` adapter (`data.pop("metadata", {}) | data`).
    /// - Throws: `JSONSyntaxError` for bad JSON, a non-object line, or a missing/non-string `text`.
    public mutating func parseDocument(
        _ bytes: UnsafeRawBufferPointer, defaultID: @autoclosure () -> String, defaultSource: String
    ) throws -> Document {
        begin(bytes)
        skipWhitespace()
        guard i < count, base[i] == UInt8(ascii: "{") else {
            throw JSONSyntaxError("a JSONL line must be a JSON object", offset: i)
        }
        i += 1
        var id: String?
        var text: String?
        var source: String?
        var metadata: JSONObject?
        var extras = JSONObject()
        skipWhitespace()
        if i < count && base[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                skipWhitespace()
                guard i < count, base[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                let field = try knownKey()
                skipWhitespace()
                guard i < count, base[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipWhitespace()
                switch field {
                case .text:
                    guard i < count, base[i] == UInt8(ascii: "\"") else {
                        throw fail("\"text\" is not a string")
                    }
                    text = try string()
                case .id:
                    id = try scalarText(depth: 1)
                case .source:
                    source = try scalarText(depth: 1)
                case .metadata:
                    switch try value(depth: 1) {
                    case .object(let o): metadata = o
                    case .null: break
                    case let other: extras["metadata"] = other
                    }
                case .other(let key):
                    extras[key] = try value(depth: 1)
                }
                skipWhitespace()
                guard i < count else { throw fail("unterminated object") }
                if base[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard base[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                i += 1
                break
            }
        }
        try end()
        guard let text else { throw JSONSyntaxError("no \"text\" field", offset: 0) }
        var meta = metadata ?? JSONObject()
        if meta.isEmpty {
            meta = extras
        } else {
            for (k, v) in extras { meta[k] = v }
        }
        return Document(id: id ?? defaultID(), text: text, source: source ?? defaultSource, metadata: meta)
    }

    // MARK: - Values

    private mutating func begin(_ bytes: UnsafeRawBufferPointer) {
        if let b = bytes.baseAddress, bytes.count > 0 {
            base = b.assumingMemoryBound(to: UInt8.self)
            count = bytes.count
        } else {
            count = 0
        }
        i = 0
    }

    private mutating func end() throws {
        skipWhitespace()
        if i < count { throw fail("unexpected text after the JSON value") }
        count = 0
    }

    @inline(__always)
    private func fail(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(i < count ? message : "unexpected end of input (\(message))", offset: i)
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while i < count {
            let c = base[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        skipWhitespace()
        guard i < count else { throw fail("expected a value") }
        switch base[i] {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"): return .object(try object(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try array(depth: depth + 1))
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character")
        }
    }

    /// A value as document text: strings as they are, null as nil, others as their JSON text.
    private mutating func scalarText(depth: Int) throws -> String? {
        if i < count && base[i] == UInt8(ascii: "\"") { return try string() }
        let start = i
        let v = try value(depth: depth)
        if case .null = v { return nil }
        if case .int = v {
            return String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)
        }
        return JSONSerializer.string(v)
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard count - i >= n, memcmp(base + i, word.utf8Start, n) == 0 else { throw fail("invalid literal") }
        i += n
    }

    private mutating func object(depth: Int) throws -> JSONObject {
        guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
        i += 1
        var o = JSONObject()
        skipWhitespace()
        if i < count && base[i] == UInt8(ascii: "}") {
            i += 1
            return o
        }
        // Duplicate keys: the last wins (as Python's json and orjson). Big objects use a set.
        var seen: Set<String>?
        while true {
            skipWhitespace()
            guard i < count, base[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
            let key = try string()
            skipWhitespace()
            guard i < count, base[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            i += 1
            let v = try value(depth: depth)
            if o.count < 16 {
                o[key] = v
            } else {
                if seen == nil { seen = Set(o.keys) }
                if seen!.insert(key).inserted { o.append(key, v) } else { o[key] = v }
            }
            if try closes(UInt8(ascii: "}"), "object") { return o }
        }
    }

    private mutating func array(depth: Int) throws -> [JSONValue] {
        guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
        i += 1
        var a: [JSONValue] = []
        skipWhitespace()
        if i < count && base[i] == UInt8(ascii: "]") {
            i += 1
            return a
        }
        while true {
            a.append(try value(depth: depth))
            if try closes(UInt8(ascii: "]"), "array") { return a }
        }
    }

    /// After an object member or array element: steps over the `,` before the next one (false) or
    /// over `close`, which ends the container (true).
    /// - Throws: the parse error naming the `container` when neither follows.
    @inline(__always)
    private mutating func closes(_ close: UInt8, _ container: StaticString) throws -> Bool {
        skipWhitespace()
        guard i < count else { throw fail("unterminated \(container)") }
        if base[i] == UInt8(ascii: ",") {
            i += 1
            return false
        }
        guard base[i] == close else { throw fail("expected ',' or '\(UnicodeScalar(close))'") }
        i += 1
        return true
    }

    private mutating func number() throws -> JSONValue {
        let start = i
        var negative = false
        if base[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < count, isDigit(base[i]) else { throw fail("invalid number") }
        if base[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < count && isDigit(base[i]) { i += 1 }
        }
        var integral = true
        if i < count && base[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard i < count, isDigit(base[i]) else { throw fail("invalid number") }
            while i < count && isDigit(base[i]) { i += 1 }
        }
        if i < count && (base[i] | 0x20) == UInt8(ascii: "e") {
            integral = false
            i += 1
            if i < count && (base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < count, isDigit(base[i]) else { throw fail("invalid number") }
            while i < count && isDigit(base[i]) { i += 1 }
        }
        if integral {
            // Accumulate negatively so Int64.min parses; overflow falls back to Double.
            var v: Int64 = 0
            var overflow = false
            for k in (negative ? start + 1 : start)..<i {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.subtractingReportingOverflow(Int64(base[k] &- 48))
                if o1 || o2 {
                    overflow = true
                    break
                }
                v = s
            }
            if !overflow {
                if negative { return .int(v) }
                if v != .min { return .int(-v) }
            }
        }
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)
        guard let d = Double(text) else { throw JSONSyntaxError("invalid number", offset: start) }
        guard d.isFinite else {
            throw JSONSyntaxError(
                "number \(text.prefix(40)) is out of range for a double", offset: start, outOfRange: true)
        }
        return .double(d)
    }

    @inline(__always) private func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }

    // MARK: - Strings

    private enum Field {
        case id, text, source, metadata
        case other(String)
    }

    /// Reads a key, recognizing the document fields without making a String for them.
    private mutating func knownKey() throws -> Field {
        let start = i + 1
        var k = start
        while k < count && k - start <= 8 {
            let c = base[k]
            if c == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(start: base + start, count: k - start)
                let f: Field? =
                    switch raw.count {
                    case 2 where raw.elementsEqual("id".utf8): .id
                    case 4 where raw.elementsEqual("text".utf8): .text
                    case 6 where raw.elementsEqual("source".utf8): .source
                    case 8 where raw.elementsEqual("metadata".utf8): .metadata
                    default: nil
                    }
                if let f {
                    i = k + 1
                    return f
                }
                break
            }
            if c == UInt8(ascii: "\\") { break }
            k += 1
        }
        let key = try string()
        return switch key {
        case "id": .id
        case "text": .text
        case "source": .source
        case "metadata": .metadata
        default: .other(key)
        }
    }

    /// True when any of the eight bytes of `w` is '"', '\\' or a control character (< 0x20).
    @inline(__always)
    static func hasSpecialByte(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let q = w ^ (ones &* 0x22)
        let b = w ^ (ones &* 0x5C)
        let zeroQ = (q &- ones) & ~q
        let zeroB = (b &- ones) & ~b
        let below = (w &- ones &* 0x20) & ~w
        return (zeroQ | zeroB | below) & highs != 0
    }

    /// Reads a string starting at its opening quote and returns its value.
    private mutating func string() throws -> String {
        i += 1
        let start = i
        var high: UInt64 = 0
        // Eight bytes at a time until a byte that needs a look: '"', '\\' or a control character.
        while count - i >= 8 {
            let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            if Self.hasSpecialByte(w) { break }
            high |= w
            i += 8
        }
        while i < count {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(start: base + start, count: i - start)
                i += 1
                if high & 0x8080_8080_8080_8080 == 0 { return UTF8Text.makeASCIIString(raw) }
                return UTF8Text.makeString(raw, invalid: &invalidUTF8Count)
            }
            if c == UInt8(ascii: "\\") { return try escapedString(from: start) }
            if c < 0x20 { throw fail("control character in string") }
            high |= UInt64(c)
            i += 1
        }
        throw fail("unterminated string")
    }

    /// The slow path once a backslash is met: decodes into `scratch`, then validates while
    /// copying into the String. (Decoding straight into the String's storage needs a separate
    /// pass to find the closing quote and measured slower.)
    private mutating func escapedString(from start: Int) throws -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: base + start, count: i - start))
        var replaced = false
        while i < count {
            let runStart = i
            while count - i >= 8 {
                let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if Self.hasSpecialByte(w) { break }
                i += 8
            }
            while i < count {
                let c = base[i]
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { break }
                i += 1
            }
            if i > runStart {
                scratch.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i - runStart))
            }
            guard i < count else { break }
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                var invalid = 0
                let s = scratch.withUnsafeBytes { UTF8Text.makeString($0, invalid: &invalid) }
                if invalid > 0 || replaced { invalidUTF8Count += 1 }
                return s
            }
            if c < 0x20 { throw fail("control character in string") }
            // A backslash escape.
            i += 1
            guard i < count else { break }
            let e = base[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(e)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate must be followed by \u and a low surrogate.
                    if count - i >= 6 && base[i] == UInt8(ascii: "\\") && base[i + 1] == UInt8(ascii: "u") {
                        let save = i
                        i += 2
                        let low = try hex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = save
                            scalar = 0xFFFD
                            replaced = true
                        }
                    } else {
                        scalar = 0xFFFD
                        replaced = true
                    }
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    scalar = 0xFFFD
                    replaced = true
                }
                appendUTF8(scalar)
            default:
                i -= 1
                throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }

    private mutating func hex4() throws -> UInt32 {
        guard count - i >= 4 else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = base[i]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - 48
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - 87
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - 55
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    private mutating func appendUTF8(_ s: UInt32) {
        switch s {
        case 0..<0x80: scratch.append(UInt8(s))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | s >> 6))
            scratch.append(UInt8(0x80 | s & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | s >> 12))
            scratch.append(UInt8(0x80 | (s >> 6) & 0x3F))
            scratch.append(UInt8(0x80 | s & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | s >> 18))
            scratch.append(UInt8(0x80 | (s >> 12) & 0x3F))
            scratch.append(UInt8(0x80 | (s >> 6) & 0x3F))
            scratch.append(UInt8(0x80 | s & 0x3F))
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
