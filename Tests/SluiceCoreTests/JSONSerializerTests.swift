// JSONSerializer: exact bytes for documents and values (escapes, raw UTF-8, numbers), round trips
// through the parser, and byte-for-byte agreement with orjson on real documents.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct JSONSerializerTests {
    @Test func documentLine() {
        var d = Document(id: "a\"1", text: "line\none\ttab \u{1} é 😀 \\", source: "web")
        d.metadata["n"] = 3
        d.metadata["x"] = ["k": [true, nil, 1.5]]
        let line = String(decoding: JSONSerializer.line(d), as: UTF8.self)
        #expect(
            line
                == #"{"id":"a\"1","text":"line\none\ttab \u0001 é 😀 \\","source":"web","metadata":{"n":3,"x":{"k":[true,null,1.5]}}}"#
                + "\n")
    }

    @Test func numbers() {
        let cases: [(JSONValue, String)] = [
            (0, "0"), (7, "7"), (-7, "-7"), (.int(.max), "9223372036854775807"), (.int(.min), "-9223372036854775808"),
            (0.1, "0.1"), (1.0, "1.0"), (-2.5, "-2.5"), (1e-5, "1e-05"), (1e300, "1e+300"),
            (.double(.nan), "null"), (.double(.infinity), "null"), (.double(5e-324), "5e-324"),
        ]
        for (v, s) in cases { #expect(JSONSerializer.string(v) == s) }
    }

    @Test func controlCharactersEscaped() {
        let all = String(decoding: (0..<32).map { UInt8($0) }, as: UTF8.self)
        let s = JSONSerializer.string(.string(all))
        #expect(s.hasPrefix(#""\u0000\u0001"#))
        #expect(s.contains(#"\b\t\n\u000b\f\r\u000e"#))
        #expect(s.hasSuffix(#"\u001f""#))
        #expect(s.utf8.allSatisfy { $0 >= 0x20 })
    }

    @Test func roundTrips() throws {
        let values: [JSONValue] = [
            ["a": [1, -2, 3.25, "x\u{0}y", ["nested": nil]], "b": false, "ü": "世界\u{2028}"],
            .string(String(repeating: "long \"quoted\" text\n", count: 500)), [], [:], .double(123456.789e-20),
        ]
        for v in values {
            var p = JSONParser()
            let bytes = JSONSerializer.serialize(v)
            #expect(try bytes.withUnsafeBytes { try p.parse($0) } == v)
        }
    }

    @Test func deterministic() {
        var d = Document(id: "x", text: "y", source: "z")
        for k in 0..<50 { d.metadata["k\(k)"] = .int(Int64(k)) }
        #expect(JSONSerializer.line(d) == JSONSerializer.line(d))
    }

    /// Our bytes equal orjson.dumps of the same objects (real dolma documents, key order kept).
    @Test func matchesOrjson() throws {
        let python = try TestSupport.python()
        let fixture = TestSupport.fixture("core/dolma-cc-head.jsonl")
        let script = """
            import orjson, sys
            for line in open(sys.argv[1], 'rb'):
                d = orjson.loads(line)
                sys.stdout.buffer.write(orjson.dumps(d) + b"\\n")
            """
        let result = try TestSupport.run(python, ["-c", script, fixture])
        #expect(result.status == 0, "\(result.stderr)")
        var ours = ""
        var parser = JSONParser()
        for line in try String(contentsOfFile: fixture, encoding: .utf8).split(separator: "\n") {
            let v = try Array(line.utf8).withUnsafeBytes { try parser.parse($0) }
            ours += JSONSerializer.string(v) + "\n"
        }
        #expect(ours == result.stdout)
    }
}
