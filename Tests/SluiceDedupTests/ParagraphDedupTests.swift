// ParagraphDedup: repeated lines and paragraphs cut out across files, first occurrence kept;
// documents left too short dropped; tag mode; the Bloom index; odd input kept as it is.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceDedup

@Suite struct ParagraphDedupTests {
    let p = paragraphs

    @Test func repeatedLinesAreCutKeepingTheFirst() throws {
        let h = try DedupHarness([
            [doc("a", "Menu\n" + p[0] + "\n" + p[1]), doc("b", p[2] + "\nMenu\n" + p[3] + "\nMenu")],
            [doc("c", "Menu\n" + p[1] + "\n" + p[4] + "\n"), doc("d", "  Menu  \n" + p[5])],
        ])
        let r = try h.run(ParagraphDedup(settings: ParagraphSettings(partitions: 3)))
        #expect(r.dropped.isEmpty)
        #expect(
            r.kept.map(\.text) == [
                "Menu\n" + p[0] + "\n" + p[1], p[2] + "\n" + p[3], p[4] + "\n", p[5],
            ])
    }

    @Test func documentsLeftTooShortAreDropped() throws {
        let docs = [
            [doc("a", p[0] + "\n" + p[1]), doc("b", p[1] + "\n" + p[0]), doc("c", p[1] + "\nShort tail here.")]
        ]
        let none = try DedupHarness(docs).run(ParagraphDedup(settings: ParagraphSettings()))
        #expect(none.kept.map(\.id) == ["a", "c"])
        #expect(none.dropped.map(\.0) == ["b"] && none.dropped[0].1 == "paragraph_dedup:too_short")
        #expect(none.kept[1].text == "Short tail here.")
        let fifty = try DedupHarness(docs).run(ParagraphDedup(settings: ParagraphSettings(minWords: 50)))
        #expect(fifty.kept.map(\.id) == ["a"])
        #expect(fifty.dropped.map(\.1) == ["paragraph_dedup:too_short", "paragraph_dedup:too_short"])
    }

    @Test func tagModeCountsWithoutEditing() throws {
        let h = try DedupHarness([[doc("a", p[0] + "\n" + p[1]), doc("b", p[2] + "\n" + p[1] + "\n" + p[0])]])
        let stage = ParagraphDedup(settings: ParagraphSettings(mode: .tag))
        for i in stage.passes().indices { try h.runPass(stage, i) }
        var step = try #require(try stage.makeStep(environment: h.environment))
        let ctx = h.context()
        var texts: [Document] = []
        for (o, d) in [doc("a", p[0] + "\n" + p[1]), doc("b", p[2] + "\n" + p[1] + "\n" + p[0])].enumerated() {
            var d = d
            ctx.documentOrdinal = o
            #expect(try step.apply(to: &d, context: ctx) == .keep)
            texts.append(d)
        }
        #expect(texts[1].text == p[2] + "\n" + p[1] + "\n" + p[0])
        #expect(texts[1].metadata["paragraph_dedup_units"] == .int(2))
        #expect(texts[1].metadata["paragraph_dedup_bytes"] == .int(Int64(p[0].utf8.count + p[1].utf8.count)))
        #expect(texts[0].metadata["paragraph_dedup_units"] == nil)
        let counters = ctx.stats.stages[0].counters
        #expect(counters["units_removed"] == 2 && counters["documents_edited"] == 1)
        #expect(counters["bytes_removed"] == p[0].utf8.count + p[1].utf8.count)
    }

    @Test func paragraphUnitsAreBlocksBetweenBlankLines() throws {
        let block = p[0] + "\n" + p[1]
        let h = try DedupHarness([
            [
                doc("a", block + "\n\n" + p[2]), doc("b", p[3] + "\n\n" + block + "\n\n\n" + p[4]),
                doc("c", p[0] + "\n\n" + p[5]),
            ]
        ])
        let r = try h.run(ParagraphDedup(settings: ParagraphSettings(unit: .paragraph)))
        // The whole block repeats in b; in c only one of its lines, which is not a unit of its own in a.
        #expect(r.kept.map(\.text) == [block + "\n\n" + p[2], p[3] + "\n\n" + p[4], p[0] + "\n\n" + p[5]])
    }

    @Test func bloomIndexAgreesWithTheExactOne() throws {
        let docs = (0..<40).map { i in
            doc("d\(i)", [p[i % 7], p[(i * 3) % 11], "line \(i % 5)"].joined(separator: "\n"))
        }
        let groups = [Array(docs[..<15]), Array(docs[15...])]
        let exact = try DedupHarness(groups).run(
            ParagraphDedup(settings: ParagraphSettings(partitions: 2, sortBuffer: 1024)))
        let bloomHarness = try DedupHarness(groups)
        let bloom = try bloomHarness.run(
            ParagraphDedup(settings: ParagraphSettings(index: .bloom, bloomCapacity: 10_000, bloomFalsePositive: 1e-6)))
        #expect(exact.kept.map(\.text) == bloom.kept.map(\.text))
        #expect(exact.dropped.map(\.0) == bloom.dropped.map(\.0))
        let s = try JSONDecoder().decode(
            ParagraphSummary.self,
            from: Data(
                contentsOf: URL(
                    fileURLWithPath: ParagraphLayout.summaryPath(bloomHarness.environment.workDirectory, partition: 0)))
        )
        #expect(s.units == 120 && s.distinct == s.units - s.duplicateUnits && s.bloomBits != nil)
        #expect(try #require(s.estimatedFalsePositive) < 1e-6)
        let filter = BloomFilter(capacity: 1000, falsePositive: 0.01)
        #expect(filter.hashes == 7 && filter.bits >= 9585)  // m = 1000 · ln 100 / ln² 2, k = m/n · ln 2
    }

    @Test func emptyWhitespaceAndBinaryLookingDocumentsPassUnchanged() throws {
        var bytes = [UInt8](repeating: 0, count: 2000)
        var x: UInt32 = 7
        for i in bytes.indices {
            x = x &* 1_103_515_245 &+ 12345
            bytes[i] = UInt8(truncatingIfNeeded: x >> 16)
        }
        let binary = String(decoding: bytes, as: UTF8.self)
        let h = try DedupHarness([
            [doc("e", ""), doc("w", " \n\t\n"), doc("bin", binary), doc("bin2", binary + "\nend")]
        ])
        let r = try h.run(ParagraphDedup(settings: ParagraphSettings(partitions: 1)))
        #expect(r.kept.map(\.id) == ["e", "w", "bin", "bin2"])
        #expect(r.kept[0].text == "" && r.kept[1].text == " \n\t\n" && r.kept[2].text == binary)
    }

    @Test func optionsAreDescribedAndChecked() throws {
        var o = StageOptions.describing("paragraph_dedup")
        _ = try ParagraphDedup(options: &o)
        #expect(o.specs.allSatisfy { !$0.help.isEmpty } && o.specs.count == 8)
        var bad = StageOptions(
            stageName: "paragraph_dedup", values: [("unit", .scalar("sentence", line: 3))], file: "p.yaml")
        #expect(throws: SluiceError.self) { try ParagraphDedup(options: &bad) }
    }
}
