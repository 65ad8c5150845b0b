// ExactDedup: normalized-text identity across files and partitions, first occurrence kept.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceDedup

@Suite struct ExactDedupTests {
    @Test func dropsLaterCopiesAcrossFiles() throws {
        let h = try DedupHarness([
            [doc("a", paragraphs[0]), doc("b", paragraphs[1])],
            [
                doc("a-spaces", "  " + paragraphs[0].replacingOccurrences(of: " , ", with: " ,\n\t ") + "\n"),
                doc("c", paragraphs[2]),
            ],
            [doc("b-copy", paragraphs[1]), doc("near", paragraphs[1] + " extra")],
        ])
        let r = try h.run(ExactDedup(settings: ExactSettings(partitions: 3)))
        #expect(r.kept.map(\.id) == ["a", "b", "c", "near"])
        #expect(r.dropped.map(\.0) == ["a-spaces", "b-copy"])
        #expect(r.dropped.allSatisfy { $0.1 == "exact_dedup" })
    }

    @Test func whitespaceAndCaseOptions() throws {
        let docs = [
            [
                doc("1", "Hello  World"), doc("2", "hello world"), doc("3", "Hello World"), doc("4", "Große Straße"),
                doc("5", "GROSSE STRASSE"),
            ]
        ]
        let strict = try DedupHarness(docs).run(ExactDedup(settings: ExactSettings(collapseWhitespace: false)))
        #expect(strict.kept.count == 5)
        let spaces = try DedupHarness(docs).run(ExactDedup(settings: ExactSettings()))
        #expect(spaces.kept.map(\.id) == ["1", "2", "4", "5"])
        let folded = try DedupHarness(docs).run(ExactDedup(settings: ExactSettings(foldCase: true)))
        #expect(folded.kept.map(\.id) == ["1", "4"])
    }

    @Test func manyCopiesWithSpillingAndOnePartition() throws {
        let docs = (0..<30).map { doc("d\($0)", paragraphs[$0 % 7]) }
        let r = try DedupHarness([Array(docs[..<10]), Array(docs[10...])]).run(
            ExactDedup(settings: ExactSettings(partitions: 1, sortBuffer: 24 * 4)))
        #expect(r.kept.map(\.id) == (0..<7).map { "d\($0)" })
        #expect(r.dropped.count == 23)
    }

    @Test func summaryCountsDuplicates() throws {
        let h = try DedupHarness([[doc("a", "x y"), doc("b", "x y"), doc("c", "x y"), doc("d", "z")]])
        _ = try h.run(ExactDedup(settings: ExactSettings(partitions: 1)))
        let s = try JSONDecoder().decode(
            ExactSummary.self,
            from: Data(
                contentsOf: URL(fileURLWithPath: ExactLayout.summaryPath(h.environment.workDirectory, partition: 0))))
        #expect(s.documents == 4 && s.distinct == 2 && s.duplicates == 2 && s.copiesHistogram == ["3": 1])
    }

    @Test func stepFailsClearlyWithoutItsPasses() throws {
        let h = try DedupHarness([[doc("a", "x")]])
        #expect(throws: SluiceError.self) {
            try ExactDedup(settings: ExactSettings()).makeStep(environment: h.environment)
        }
        #expect(throws: SluiceError.self) {
            try MinHashDedup(settings: MinHashSettings()).makeStep(environment: h.environment)
        }
    }
}
