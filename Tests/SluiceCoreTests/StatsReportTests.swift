// StatsReport: documents, bytes and drops per stage, and its JSON round trip.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite(.serialized) struct StatsReportTests {
    @Test func statsRecordDocumentsBytesAndDrops() throws {
        let dir = try TestSupport.temporaryDirectory("engine")
        try makeInputs(dir, count: 2) { i in ["keep \(i)", "drop \(i)", "x"] }
        let p = try pipeline(
            "input: \(dir)/in/*.lines\noutput: \(dir)/out\nstages: [drop_word: {min_length: 2}, write]\n", in: dir)
        try LocalExecutor(workers: 2).run(try PipelinePlan(pipeline: p, registry: engineTestRegistry))
        let report = try StatsReport.load(outputDirectory: dir + "/out")
        #expect(report.passes.count == 1)
        #expect(report.passes[0].tasksReported == 2)
        let s = report.passes[0].stages
        #expect(s[0].documentsOut == 6 && s[0].bytesOut == 2 * (6 + 6 + 1) && s[0].counters["files"] == 2)
        #expect(s[1].documentsIn == 6 && s[1].documentsOut == 2)
        #expect(s[1].drops == ["drop_word:word": 2, "drop_word:too_short": 2])
        #expect(s[2].documentsIn == 2 && s[2].bytesIn == 12)
        #expect(s[2].bytesOut == ("f0.lines:1\tkeep 0\n".utf8.count * 2))
        let decoded = try JSONDecoder().decode(StatsReport.self, from: Data(try report.json().utf8))
        #expect(decoded == report)
    }
}
