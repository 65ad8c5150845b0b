// FastMath: the fast exp against Foundation's.
import Foundation
import SluiceCore
import Testing

@testable import SluiceTrain

@Suite struct FastMathTests {
    @Test func fastExpMatchesFoundation() {
        var worst: Float = 0
        for i in -800...800 {
            let x = Float(i) / 10
            let got = exp1(x), want = Float(exp(Double(x)))
            worst = max(worst, abs(got - want) / want)
        }
        #expect(worst < 1e-6, "exp8 relative error \(worst)")
    }
}
