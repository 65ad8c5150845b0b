// Every stage of SluiceTokenize has a snake_case name, a summary, and options that describe themselves.
import SluiceTokenize
import SluiceTestSupport
import Testing

@Suite struct TokenizeStagesTests {
    @Test func stagesDescribeThemselves() {
        #expect(stageListProblems(TokenizeStages.all) == [])
    }
}
