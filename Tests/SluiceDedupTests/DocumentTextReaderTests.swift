// DocumentTextReader: the text of JSON lines, escapes and surrogates included, at any block size.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceDedup

@Suite struct DocumentTextReaderTests {
    @Test(arguments: [1, 7, 4096]) func textReaderDecodesJSONLines(block: Int) throws {
        let dir = try TestSupport.temporaryDirectory("reader")
        let path = dir + "/d.jsonl"
        let lines = [
            #"{"id":"1","metadata":{"t":"x","text":"no"},"text":"caf\u00e9 \ud83d\ude00 \"q\" \\ \n end"}"#,
            "",
            #"{"id":"2","text":42}"#,
            #"{"text": "plain", "id": "3"}"#,
        ]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        var reader = try DocumentTextReader(path: path, blockSize: block)
        var got: [(Int, String)] = []
        var bad: [Int] = []
        try reader.forEach(onBadLine: { o, _ in bad.append(o) }) { o, t in
            got.append((o, String(decoding: t, as: UTF8.self)))
        }
        #expect(got.map(\.0) == [0, 1])
        #expect(got.map(\.1) == ["café 😀 \"q\" \\ \n end", "plain"])
        #expect(bad == [1])  // the broken line is reported where document 1 would have been
    }
}
