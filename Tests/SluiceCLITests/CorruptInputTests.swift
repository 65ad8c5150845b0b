// Bad input among good: a truncated .gz, a corrupted .zst, a truncated .bz2 and malformed JSONL
// lines. The run finishes, every good document is kept (those before the damage in a broken
// file, all of the others), and the stats and log name each error.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct CorruptInputTests {
    @Test func runFinishesKeepsGoodDocumentsAndNamesEachError() throws {
        let dir = try TestSupport.temporaryDirectory("corrupt")
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        var docs: [String: [(id: String, text: String)]] = [:]
        // Big enough for several compressed blocks, so that data before the damage is decodable.
        for (name, level) in [("a.jsonl.gz", 1), ("b.jsonl.zst", 1), ("c.jsonl.bz2", 1), ("e.jsonl.gz", 6)] {
            let d = CLI.documents(prefix: name, count: name.hasPrefix("e") ? 30 : 3000, seed: UInt64(name.utf8.count))
            docs[name] = d
            try CLI.write(d.map { CLI.jsonl(id: $0.id, text: $0.text) }, to: dir + "/in/" + name, level: level)
        }
        func damage(_ name: String, truncateAt fraction: Double? = nil, flipAt flip: Double? = nil) throws {
            var bytes = [UInt8](fm.contents(atPath: dir + "/in/" + name)!)
            if let fraction { bytes = Array(bytes[0..<Int(Double(bytes.count) * fraction)]) }
            if let flip {
                let i = Int(Double(bytes.count) * flip)
                for j in i..<(i + 64) { bytes[j] ^= 0x5A }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/in/" + name))
        }
        try damage("a.jsonl.gz", truncateAt: 0.6)
        try damage("b.jsonl.zst", flipAt: 0.7)
        try damage("c.jsonl.bz2", truncateAt: 0.7)
        // Malformed lines between good ones.
        let d = CLI.documents(prefix: "d.jsonl", count: 10, seed: 9)
        docs["d.jsonl"] = d
        var lines = d.map { CLI.jsonl(id: $0.id, text: $0.text) }
        lines.insert("{\"id\": \"broken\", \"text\": ", at: 3)
        lines.insert("[1, 2, 3]", at: 7)
        try CLI.write(lines, to: dir + "/in/d.jsonl")

        try "input: {paths: [\"in/*\"]}\noutput: out\nstages: [write]\n".write(
            toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        let r = try CLI.sluice(["run", "p.yaml"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")

        let out = try CLI.documents(in: dir + "/out")
        func kept(_ name: String) -> [String] { out.filter { $0.id.hasPrefix(name + "-") }.map(\.id) }
        // Intact files: every document.
        #expect(kept("d.jsonl") == d.map(\.id))
        #expect(kept("e.jsonl.gz") == docs["e.jsonl.gz"]!.map(\.id))
        // Damaged files: a non-empty prefix, each document intact.
        for name in ["a.jsonl.gz", "b.jsonl.zst", "c.jsonl.bz2"] {
            let ids = kept(name)
            #expect(!ids.isEmpty, "\(name): nothing kept before the damage; errors: \(r.stderr.suffix(600))")
            #expect(ids.count < 3000)
            #expect(ids == Array(docs[name]!.prefix(ids.count).map(\.id)), "\(name): not a prefix")
        }
        let byID = Dictionary(uniqueKeysWithValues: docs.values.flatMap { $0 }.map { ($0.id, $0.text) })
        #expect(out.allSatisfy { byID[$0.id] == $0.text })

        // Stats name each error; the log names each file.
        let stats = try StatsReport.load(outputDirectory: dir + "/out")
        let reader = stats.passes[0].stages[0]
        #expect(reader.name == "jsonl")
        #expect(reader.errors["jsonl:corrupt_input"] == 3)
        #expect(reader.errors["jsonl:malformed_line"] == 2)
        #expect(r.stdout.contains("error    jsonl:corrupt_input  3"))
        #expect(r.stdout.contains("error    jsonl:malformed_line  2"))
        for name in ["a.jsonl.gz", "b.jsonl.zst", "c.jsonl.bz2", "d.jsonl:4", "d.jsonl:8"] {
            #expect(r.stderr.contains(name), "the log does not name \(name)")
        }
    }
}
