// fuzz-json: the input is one JSON text, parsed as a value and as a JSONL document line. What
// parses must survive a round trip through the serializer: parse(serialize(v)) == v, and a
// document written as a JSONL line reads back as the same document.
import FuzzSupport
import SluiceCore

/// Whether every number in `v` is finite (infinities have no JSON spelling; issue 16 item 11).
func finite(_ v: JSONValue) -> Bool {
    switch v {
    case .double(let d): d.isFinite
    case .array(let a): a.allSatisfy(finite)
    case .object(let o): o.allSatisfy { finite($0.1) }
    default: true
    }
}

@main
enum FuzzJSON {
    static func main() { Fuzz.main(fuzzJSON) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    var parser = JSONParser()
    if let value = try? parser.parse(input), finite(value) {
        let text = JSONSerializer.serialize(value)
        var again = JSONParser()
        let back = text.withUnsafeBytes { try? again.parse($0) }
        precondition(back == value, "JSON round trip changed the value: \(String(decoding: text, as: UTF8.self))")
    }
    if let document = try? parser.parseDocument(input, defaultID: "fuzz:1", defaultSource: "fuzz"),
        document.metadata.allSatisfy({ finite($0.1) })
    {
        var line = JSONSerializer.line(document)
        if line.last == 0x0a { line.removeLast() }
        var again = JSONParser()
        let back = line.withUnsafeBytes { try? again.parseDocument($0, defaultID: "fuzz:1", defaultSource: "fuzz") }
        precondition(
            back == document, "JSONL round trip changed the document: \(String(decoding: line, as: UTF8.self))")
    }
    return 0
}
