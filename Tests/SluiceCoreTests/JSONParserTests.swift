// JSONParser: the JSON spec (escapes, surrogate pairs, numbers, nesting), rejection of invalid
// text with an offset, invalid UTF-8 repair, and the JSONL document fast path.
import SluiceCore
import Testing

func parse(_ text: String) throws -> JSONValue {
    var p = JSONParser()
    return try p.parse(text)
}

func parseBytes(_ bytes: [UInt8]) throws -> (JSONValue, Int) {
    var p = JSONParser()
    let v = try bytes.withUnsafeBytes { try p.parse($0) }
    return (v, p.invalidUTF8Count)
}

func parseDoc(_ text: String, defaultID: String = "f.jsonl:1") throws -> Document {
    var p = JSONParser()
    return try Array(text.utf8).withUnsafeBytes {
        try p.parseDocument($0, defaultID: defaultID, defaultSource: "jsonl")
    }
}

@Suite struct JSONParserTests {
    @Test func scalars() throws {
        #expect(try parse("null") == .null)
        #expect(try parse(" true ") == .bool(true))
        #expect(try parse("false") == .bool(false))
        #expect(try parse("0") == .int(0))
        #expect(try parse("-12") == .int(-12))
        #expect(try parse("9223372036854775807") == .int(.max))
        #expect(try parse("-9223372036854775808") == .int(.min))
        #expect(try parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try parse("1.5") == .double(1.5))
        #expect(try parse("-0.25e2") == .double(-25))
        #expect(try parse("1E-3") == .double(0.001))
        #expect(try parse("\"\"") == .string(""))
    }

    @Test func stringEscapes() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        #expect(try parse(#""\u00e9\u4E2D""#) == .string("é中"))
        // A surrogate pair is one scalar (U+1F600).
        #expect(try parse(#""x\ud83d\ude00y""#) == .string("x😀y"))
        // Raw UTF-8 passes through; long strings take the eight-byte path.
        let long = String(repeating: "Grüße, 世界! ", count: 100)
        #expect(try parse("\"" + long + "\"") == .string(long))
        #expect(
            try parse("\"" + String(repeating: "abcdefgh", count: 9) + "\\n\"")
                == .string(String(repeating: "abcdefgh", count: 9) + "\n"))
    }

    @Test func loneSurrogatesAreReplacedAndCounted() throws {
        var p = JSONParser()
        #expect(try p.parse(#""a\ud800b""#) == .string("a\u{FFFD}b"))
        #expect(try p.parse(#""\udc00""#) == .string("\u{FFFD}"))
        #expect(try p.parse(#""\ud800\u0041""#) == .string("\u{FFFD}A"))
        #expect(p.invalidUTF8Count == 3)
    }

    @Test func invalidUTF8IsReplacedAndCounted() throws {
        let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x62, 0xC3, 0x22]  // "a\xFFb\xC3"
        let (v, invalid) = try parseBytes(bytes)
        #expect(v == .string("a\u{FFFD}b\u{FFFD}"))
        #expect(invalid == 1)
        // Also inside an escaped string.
        let (w, invalid2) = try parseBytes([0x22, 0x5C, 0x6E, 0xE2, 0x82, 0x22])
        #expect(w == .string("\n\u{FFFD}"))
        #expect(invalid2 == 1)
    }

    @Test func containers() throws {
        let v = try parse(#" { "a" : [1, 2.5, "x", null, true, {"b": []}], "c": {} , "a2": -0} "#)
        let o = try #require(v.objectValue)
        #expect(o.keys == ["a", "c", "a2"])
        #expect(o["a"] == [1, 2.5, "x", nil, true, ["b": []]])
        #expect(o["c"] == .object(JSONObject()))
        #expect(o["a2"] == .int(0))
    }

    @Test func duplicateKeysLastWins() throws {
        #expect(try parse(#"{"a":1,"b":2,"a":3}"#).objectValue?["a"] == 3)
        // Past 16 keys the parser uses a set; same outcome.
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let o = try #require(try parse("{" + many + ",\"k3\":99}").objectValue)
        #expect(o.count == 40 && o["k3"] == 99 && o.keys[3] == "k3")
    }

    @Test(arguments: [
        "", "   ", "{", "}", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":1,}", "{a:1}", "01", "1.", ".5", "-", "1e",
        "+1", "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"a\u{1}b\"", "\"tab\there\"",
        "[1] 2", "NaN", "Infinity", "'a'",
    ])
    func rejectsInvalidJSON(text: String) {
        #expect(throws: JSONSyntaxError.self) { _ = try parse(text) }
    }

    @Test func errorsCarryOffsets() {
        do {
            _ = try parse(#"{"a": [1, 2, x]}"#)
            Issue.record("parsed invalid JSON")
        } catch let e as JSONSyntaxError {
            #expect(e.offset == 13)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONSyntaxError.self) { _ = try parse(deep) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        _ = try parse(ok)
    }

    // MARK: - Documents

    @Test func documentFields() throws {
        let d = try parseDoc(
            #"{"text":"hello\nworld","id":"doc-1","source":"web","metadata":{"url":"http://x","score":0.5},"lang":"en"}"#
        )
        #expect(d.id == "doc-1")
        #expect(d.text == "hello\nworld")
        #expect(d.source == "web")
        #expect(d.metadata.keys == ["url", "score", "lang"])
        #expect(d.metadata["score"] == 0.5)
        #expect(d.metadata["lang"] == "en")
    }

    @Test func documentDefaultsAndOddTypes() throws {
        let d = try parseDoc(#"{"text":"t"}"#, defaultID: "a.jsonl:7")
        #expect(d.id == "a.jsonl:7" && d.source == "jsonl" && d.metadata.isEmpty)
        #expect(try parseDoc(#"{"id":12345678901,"text":"t"}"#).id == "12345678901")
        #expect(try parseDoc(#"{"id":null,"text":"t","source":null}"#).id == "f.jsonl:1")
        // A top-level field wins over the same key in metadata (datatrove's adapter).
        let d2 = try parseDoc(#"{"metadata":{"url":"m","x":1},"url":"top","text":"t"}"#)
        #expect(d2.metadata["url"] == "top" && d2.metadata["x"] == 1)
        // Escaped field names are still recognized.
        #expect(try parseDoc(#"{"t\u0065xt":"escaped key"}"#).text == "escaped key")
        // Non-object metadata is kept, under "metadata".
        #expect(try parseDoc(#"{"text":"t","metadata":[1]}"#).metadata["metadata"] == [1])
    }

    @Test(arguments: [
        #"{"id":"x"}"#, #"{"text":5}"#, #"{"text":null}"#, #"[1,2]"#, #""text""#, #"{"text":"a"} x"#,
        #"{"text":"a""#, "",
    ])
    func malformedDocuments(line: String) {
        #expect(throws: JSONSyntaxError.self) { _ = try parseDoc(line) }
    }
}
