// AblationResults: paired differences with Student t intervals, and summaries.
import Foundation
import SluiceAblate
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct AblationResultsTests {
    @Test func pairedDifferencesUseStudentT() {
        // d = [1, 2, 3]: mean 2, s = 1, t(0.975, 2) = 4.302653 → half-width 4.302653/√3.
        let d = AblationResults.pairedDifference([1, 2, 3])
        #expect(d.mean == 2)
        let half = 4.302653 / 3.0.squareRoot()
        #expect(abs(d.ci95!.0 - (2 - half)) < 1e-9 && abs(d.ci95!.1 - (2 + half)) < 1e-9)
        #expect(AblationResults.pairedDifference([0.5]).ci95 == nil)
        #expect(abs(AblationResults.studentT975(degrees: 1) - 12.706205) < 1e-6)
        #expect(abs(AblationResults.studentT975(degrees: 1000) - 1.962339) < 1e-3)
        let s = AblationResults.summarize([2, 4, 4, 4, 5, 5, 7, 9])
        #expect(s.mean == 5)
        #expect(abs(s.std! - 2.138090) < 1e-6)
    }
}
