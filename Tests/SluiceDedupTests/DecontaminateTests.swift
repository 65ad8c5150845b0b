// Decontaminate: documents sharing a 13-word n-gram with an eval set are dropped or tagged; the
// summary ranks n-grams and flags likely boilerplate; allow-list; bad eval files fail clearly.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceDedup

@Suite struct DecontaminateTests {
    let p = paragraphs

    /// The first `count` space-separated tokens of `text`, from token `from`.
    func excerpt(_ text: String, from: Int = 0, _ count: Int) -> String {
        text.split(separator: " ")[from..<(from + count)].joined(separator: " ")
    }

    func write(_ text: String, _ name: String, in h: DedupHarness) throws -> String {
        let path = h.directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func jsonl(_ texts: [String]) -> String {
        texts.map { t in
            String(decoding: try! JSONSerialization.data(withJSONObject: ["text": t, "label": 1]), as: UTF8.self)
        }.joined(separator: "\n") + "\n"
    }

    /// The SluiceError `body` throws, or nil.
    func thrown(_ body: () throws -> Void) -> SluiceError? {
        do { try body() } catch let e as SluiceError { return e } catch { return nil }
        return nil
    }

    func summary(_ h: DedupHarness) throws -> DecontamSummary {
        try JSONDecoder().decode(
            DecontamSummary.self,
            from: Data(contentsOf: URL(fileURLWithPath: DecontamLayout.summaryPath(h.environment.workDirectory))))
    }

    @Test func overlappingDocumentsAreDroppedPerEvalSet() throws {
        let h = try DedupHarness([
            [doc("clean", p[0]), doc("leak", "Intro words first. " + excerpt(p[10], from: 5, 40) + " and more text")],
            [doc("copy", p[12]), doc("other", p[1])],
        ])
        let a = try write(jsonl([p[10], p[11], "Too short to count."]), "evalA.jsonl", in: h)
        let b = try write(p[12] + "\n\n" + p[13] + "\n", "evalB.txt", in: h)
        let stage = Decontaminate(settings: try DecontamSettings(evalSets: [a, b]))
        try stage.validate()
        let r = try h.run(stage)
        #expect(r.kept.map(\.id) == ["clean", "other"])
        #expect(r.dropped.map(\.0) == ["leak", "copy"])
        #expect(r.dropped.allSatisfy { $0.1 == "decontaminate:eval_overlap" })
        let s = try summary(h)
        #expect(s.documents == 4 && s.matchedDocuments == 2)
        #expect(s.evalSets.map(\.name) == ["evalA", "evalB"])
        #expect(s.evalSets[0].examples == 3 && s.evalSets[0].shortExamples == 1)
        #expect(s.evalSets[1].examples == 2 && s.evalSets[1].shortExamples == 0)
        #expect(s.evalSets[0].documents.map(\.id) == ["leak"] && s.evalSets[1].documents.map(\.id) == ["copy"])
        // The matched n-grams are printed as normalised words.
        let shingler = try Shingler(kind: .words, n: 13)
        let words = shingler.simplifiedText(excerpt(p[10], from: 5, 40)).split(separator: " ")
        let ngrams = Set(s.evalSets[0].topNgrams.map(\.text))
        #expect(ngrams.contains(words[0..<13].joined(separator: " ")))
        #expect(s.evalSets[0].matchedNgrams == words.count - 12)
        let text = try DecontamReport.load(outputDirectory: h.directory).render()
        #expect(
            text.contains("eval set evalA") && text.contains("leak")
                && text.contains(words[1..<14].joined(separator: " ")))
    }

    @Test func tagModeNamesTheEvalSets() throws {
        let h = try DedupHarness([[doc("copy", p[12]), doc("clean", p[2])]])
        let a = try write(p[12] + "\n", "wikitext-test.txt", in: h)
        let r = try h.run(Decontaminate(settings: try DecontamSettings(evalSets: [a], action: .tag)))
        #expect(r.dropped.isEmpty)
        #expect(r.kept[0].metadata["eval_overlap"] == .array(["wikitext-test"]))
        #expect(r.kept[1].metadata["eval_overlap"] == nil)
    }

    @Test func commonNgramsAreFlaggedAsBoilerplate() throws {
        let phrase = excerpt(p[13], from: 3, 20)
        let h = try DedupHarness([
            [doc("b1", p[0] + " " + phrase), doc("b2", phrase + " " + p[1]), doc("b3", p[2] + "\n" + phrase)],
            [doc("leak", excerpt(p[13], from: 60, 30)), doc("clean", p[3])],
        ])
        let a = try write(jsonl([p[13]]), "eval.jsonl", in: h)
        let strict = try h.run(Decontaminate(settings: try DecontamSettings(evalSets: [a], boilerplateDocuments: 3)))
        #expect(strict.kept.map(\.id) == ["clean"])
        let s = try summary(h)
        let set = s.evalSets[0]
        #expect(set.matchedDocuments == 4 && set.matchedDocumentsWithoutBoilerplate == 1)
        #expect(s.matchedDocumentsWithoutBoilerplate == 1)
        #expect(set.topNgrams.first?.documents == 3 && set.topNgrams.first?.boilerplate == true)
        #expect(set.topNgrams.last?.documents == 1 && set.topNgrams.last?.boilerplate == false)
        #expect(set.boilerplateNgrams > 0 && set.boilerplateNgrams < set.matchedNgrams)
        #expect(set.documents.first { $0.id == "b1" }?.boilerplateOnly == true)
        #expect(set.documents.first { $0.id == "leak" }?.boilerplateOnly == false)

        let h2 = try DedupHarness([
            [doc("b1", p[0] + " " + phrase), doc("b2", phrase + " " + p[1]), doc("b3", p[2] + "\n" + phrase)],
            [doc("leak", excerpt(p[13], from: 60, 30)), doc("clean", p[3])],
        ])
        let lenient = try h2.run(
            Decontaminate(
                settings: try DecontamSettings(evalSets: [a], boilerplateDocuments: 3, ignoreBoilerplate: true)))
        #expect(lenient.kept.map(\.id) == ["b1", "b2", "b3", "clean"])
        #expect(lenient.dropped.map(\.0) == ["leak"])
    }

    @Test func allowListedNgramsAreIgnored() throws {
        let shingler = try Shingler(kind: .words, n: 13)
        let words = shingler.simplifiedText(p[14]).split(separator: " ")
        let thirteen = words[5..<18].joined(separator: " ")
        let h = try DedupHarness([[doc("one", thirteen), doc("two", words[20..<40].joined(separator: " "))]])
        let eval = try write(p[14] + "\n", "eval.txt", in: h)
        let allow = try write("\n" + thirteen.uppercased() + "\n", "allow.txt", in: h)
        let stage = Decontaminate(settings: try DecontamSettings(evalSets: [eval], allowList: allow))
        try stage.validate()
        let r = try h.run(stage)
        #expect(r.kept.map(\.id) == ["one"] && r.dropped.map(\.0) == ["two"])
        let badAllow = try write("only five words are here\n", "bad-allow.txt", in: h)
        let e = try #require(
            thrown {
                try Decontaminate(settings: try DecontamSettings(evalSets: [eval], allowList: badAllow)).validate()
            })
        #expect(e.file == badAllow && e.line == 1)
    }

    @Test func malformedOrMissingEvalFilesFailWithFileAndLine() throws {
        let h = try DedupHarness([[doc("a", p[0])]])
        let bad = try write("{\"text\": \"fine example\"}\n{not json\n", "bad.jsonl", in: h)
        let e = try #require(thrown { try Decontaminate(settings: try DecontamSettings(evalSets: [bad])).validate() })
        #expect(e.code == .corruptInput && e.file == bad && e.line == 2)
        let noText = try write("{\"question\": \"x\"}\n", "notext.jsonl", in: h)
        #expect(throws: SluiceError.self) {
            try Decontaminate(settings: try DecontamSettings(evalSets: [noText])).validate()
        }
        let missing = h.directory + "/nope.jsonl"
        let m = try #require(
            thrown { try Decontaminate(settings: try DecontamSettings(evalSets: [missing])).validate() })
        #expect(m.code == .io && m.file == missing)
        #expect(throws: SluiceError.self) { try DecontamSettings(evalSets: [bad, h.directory + "/x/bad.jsonl.gz"]) }
        var none = StageOptions(stageName: "decontaminate", values: [], file: "p.yaml")
        #expect(throws: SluiceError.self) { try Decontaminate(options: &none) }
    }

    @Test func emptyAndBinaryLookingDocumentsAreKept() throws {
        var bytes = [UInt8](repeating: 0, count: 3000)
        var x: UInt32 = 99
        for i in bytes.indices {
            x = x &* 1_103_515_245 &+ 12345
            bytes[i] = UInt8(truncatingIfNeeded: x >> 16)
        }
        let h = try DedupHarness([
            [doc("e", ""), doc("bin", String(decoding: bytes, as: UTF8.self)), doc("w", "\n \t")]
        ])
        let a = try write(p[15] + "\n", "eval.txt", in: h)
        let r = try h.run(Decontaminate(settings: try DecontamSettings(evalSets: [a])))
        #expect(r.kept.map(\.id) == ["e", "bin", "w"])
        #expect(try summary(h).documents == 3)
    }

    @Test func optionsAreDescribed() throws {
        var o = StageOptions.describing("decontaminate")
        _ = try Decontaminate(options: &o)
        #expect(o.specs.count == 8 && o.specs.allSatisfy { !$0.help.isEmpty })
        #expect(o.specs.first { $0.key == "ngram" }?.defaultValue == "13")
    }
}
