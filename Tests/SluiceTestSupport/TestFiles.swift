// Small files for tests: the lines of a fixture, a JSONL file of texts, a temporary file of bytes.
import Foundation

/// The lines of `Fixtures/tokenize/<name>`.
public func fixtureLines(_ name: String) throws -> [String] {
    // Split on the byte 0x0A: a Swift Character would keep "\r\n" together.
    let bytes = [UInt8](FileManager.default.contents(atPath: TestSupport.fixture("tokenize/" + name)) ?? Data())
    var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map {
        String(decoding: $0, as: UTF8.self)
    }
    if lines.last == "" { lines.removeLast() }
    return lines
}

/// Writes `texts` as JSONL documents (id, text, source) to `path`.
public func jsonlFile(_ path: String, _ texts: [String]) throws {
    var s = ""
    for (i, t) in texts.enumerated() {
        let data = try JSONSerialization.data(withJSONObject: ["id": "doc\(i)", "text": t, "source": "test"])
        s += String(decoding: data, as: UTF8.self) + "\n"
    }
    try s.write(toFile: path, atomically: true, encoding: .utf8)
}

extension TestSupport {
    /// Writes `bytes` to a fresh temporary file named `name`.
    public static func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> String {
        let dir = try TestSupport.temporaryDirectory("file")
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
