// DedupReport: reads the summaries passes leave and prints clusters, histogram and examples.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceDedup

@Suite struct DedupReportTests {
    @Test func reportsBothStages() throws {
        let long = paragraphs.filter { $0.split(separator: " ").count >= 150 }
        let h = try DedupHarness([
            [doc("a", long[0]), doc("a2", long[0]), doc("a3", long[0] + " tail"), doc("b", long[1])]
        ])
        _ = try h.run(MinHashDedup(settings: MinHashSettings(verify: .signature)))
        let text = try DedupReport.load(outputDirectory: h.directory).render()
        #expect(text.contains("minhash_dedup"))
        #expect(text.contains("clusters             1 holding 3 documents"))
        #expect(text.contains("duplicates dropped   2 (50.00 %)"))
        #expect(text.contains("cluster sizes        3: 1"))
        #expect(text.contains("example pair         kept 0:0, dropped 0:1, Jaccard 1.000"))
        #expect(text.contains("verify               signature (≥ 77 of 112 MinHash values equal; threshold 0.80)"))

        let e = try DedupHarness([[doc("a", "x"), doc("b", "x"), doc("c", "y")]])
        _ = try e.run(ExactDedup(settings: ExactSettings(partitions: 2)))
        let exact = try DedupReport.load(outputDirectory: e.directory).render()
        #expect(exact.contains("duplicates dropped   1 (33.33 %)"))
        #expect(exact.contains("texts by copies      2: 1"))
    }

    @Test func missingSummariesAreAClearError() throws {
        let dir = try TestSupport.temporaryDirectory("report")
        #expect(throws: SluiceError.self) { _ = try DedupReport.load(outputDirectory: dir) }
        #expect(throws: SluiceError.self) { _ = try DedupReport.load(outputDirectory: dir + "/missing") }
    }

    @Test func histogramBuckets() {
        let r = DedupReport()
        #expect(r.histogramLine([2: 5, 3: 1, 7: 2, 6: 1, 150: 1]) == "2: 5, 3: 1, 5-9: 3, 100-999: 1")
    }
}
