// TaskContext: bad records are all counted but logged up to a limit.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite(.serialized) struct TaskContextTests {
    @Test func badRecordsAreCountedAllButLoggedUpToALimit() throws {
        let context = TaskContext(
            taskIndex: 0, taskCount: 1, outputDirectory: "/o", temporaryDirectory: "/t", stageNames: ["r"])
        for i in 0..<100 { context.reportBadRecord("r:bad", file: "f", line: i, "broken") }
        #expect(context.stats.stages[0].errors == ["r:bad": 100])
    }
}
