// Every stage of SluiceDedup has a snake_case name, a summary, and options that describe themselves.
import SluiceDedup
import SluiceTestSupport
import Testing

@Suite struct DedupStagesTests {
    @Test func stagesDescribeThemselves() {
        #expect(stageListProblems(DedupStages.all) == [])
    }
}
