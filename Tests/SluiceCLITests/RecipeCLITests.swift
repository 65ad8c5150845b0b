// End to end: pii, paragraph_dedup and decontaminate in one `sluice run`, `sluice decontam report`,
// and a malformed evaluation file failing on one line before any work.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct RecipeCLITests {
    /// Real paragraphs (WikiText-2, Fixtures/dedup/NOTICE.md).
    static let paragraphs: [String] = {
        let text = try! String(
            contentsOfFile: TestSupport.fixture("dedup/wikitext-paragraphs.txt"), encoding: .utf8)
        return text.split(separator: "\n").map(String.init)
    }()

    @Test func recipeStagesRunAndReport() throws {
        let p = Self.paragraphs
        let dir = try TestSupport.temporaryDirectory("recipe")
        try CLI.write(
            [
                CLI.jsonl(
                    id: "a", text: "Home | About\n" + p[0] + "\nContact jane.doe@example.com or +44 20 7946 0958"),
                CLI.jsonl(id: "b", text: "Home | About\n" + p[1]),
            ], to: dir + "/in-0.jsonl")
        try CLI.write(
            [CLI.jsonl(id: "leak", text: "Home | About\n" + p[20]), CLI.jsonl(id: "c", text: p[2])],
            to: dir + "/in-1.jsonl")
        try (p[20] + "\n").write(toFile: dir + "/wikitext.txt", atomically: true, encoding: .utf8)
        try """
        input: {paths: ["in-*.jsonl"]}
        output: out
        tasks: 2
        stages:
          - pii: {}
          - paragraph_dedup: {}
          - decontaminate: {eval_sets: [wikitext.txt]}
          - write: {compression: none}
        """.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        let r = try CLI.sluice(["run", "p.yaml"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let docs = try CLI.documents(in: dir + "/out")
        #expect(docs.map(\.id) == ["a", "b", "c"])
        #expect(docs[0].text == "Home | About\n" + p[0] + "\nContact <EMAIL_ADDRESS> or <PHONE_NUMBER>")
        #expect(docs[1].text == p[1])
        let report = try CLI.sluice(["decontam", "report", "out"], in: dir)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("eval set wikitext") && report.stdout.contains("leak"))
        let stats = try CLI.sluice(["stats", "out"], in: dir)
        #expect(stats.stdout.contains("decontaminate:eval_overlap"), "\(stats.stdout)")
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        let none = try CLI.sluice(["decontam", "report", "empty"], in: dir)
        #expect(none.status != 0 && none.stderr.hasPrefix("sluice: i/o error: no decontamination summaries"))
    }

    @Test func malformedEvalFileIsAOneLineErrorBeforeAnyWork() throws {
        let dir = try TestSupport.temporaryDirectory("recipe")
        try CLI.write([CLI.jsonl(id: "a", text: Self.paragraphs[0])], to: dir + "/in.jsonl")
        try "{\"text\": \"an example\"}\n{\"text\": 3}\n".write(
            toFile: dir + "/eval.jsonl", atomically: true, encoding: .utf8)
        try """
        input: {paths: [in.jsonl]}
        output: out
        stages:
          - decontaminate: {eval_sets: [eval.jsonl]}
          - write
        """.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        let r = try CLI.sluice(["run", "p.yaml"], in: dir)
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("eval.jsonl:2") && r.stderr.contains("\"text\""), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/_work"))
    }
}
