// Interop: our gopher_repetition, gopher_quality, c4 and fineweb decide like datatrove 0.10.1 (the
// reference Python environment) on the fixture documents, filter by filter: English web text and
// books, and Debian documentation pages in 10 languages.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct DatatroveAgreementTests {
    @Test func sameKeepOrDropAsDatatrove() throws {
        let python = try TestSupport.python()
        var docs = try dolmaDocuments()
        let lines = try fixtureText("shakespeare-60-lines.txt").split(separator: "\n", omittingEmptySubsequences: false)
        for start in stride(from: 0, to: lines.count, by: 20) {
            docs.append(lines[start..<min(start + 20, lines.count)].joined(separator: "\n"))
        }
        docs.append(try dolmaDocuments().joined(separator: "\n\n"))
        // Non-English pages (issue 15 §2): datatrove tokenizes them with spaCy's English rules too.
        docs.append(try fixtureText("wagahai-excerpt.txt"))
        for line in try fixtureText("debian-docs-multilingual.jsonl").split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            docs.append(try #require(object["text"] as? String))
        }
        let dir = try TestSupport.temporaryDirectory("datatrove")
        let input = dir + "/docs.json"
        try JSONSerialization.data(withJSONObject: docs).write(to: URL(fileURLWithPath: input))
        let script = """
            import json, sys
            from datatrove.data import Document
            from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                                    GopherRepetitionFilter)
            docs = json.load(open(sys.argv[1]))
            out = {}
            for name, f in [("gopher_repetition", GopherRepetitionFilter()), ("gopher_quality", GopherQualityFilter()),
                            ("c4", C4QualityFilter()), ("fineweb", FineWebQualityFilter())]:
                out[name] = [f.filter(Document(text=t, id=str(i))) is True for i, t in enumerate(docs)]
            print(json.dumps(out))
            """
        let r = try TestSupport.run(python, ["-c", script, input])
        #expect(r.status == 0, "\(r.stderr)")
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: [Bool]])
        for name in ["gopher_repetition", "gopher_quality", "c4", "fineweb"] {
            let ours = try docs.map { try verdict(name, $0) == .keep }
            #expect(ours == theirs[name], "\(name): ours \(ours) vs datatrove \(theirs[name] ?? [])")
        }
    }
}
