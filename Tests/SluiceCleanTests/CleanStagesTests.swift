// Every stage of SluiceClean has a snake_case name, a summary, and options that describe themselves.
import SluiceClean
import SluiceTestSupport
import Testing

@Suite struct CleanStagesTests {
    @Test func stagesDescribeThemselves() {
        #expect(stageListProblems(CleanStages.all) == [])
    }
}
