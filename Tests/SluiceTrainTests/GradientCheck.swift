// The finite-difference check the GPT, modern-architecture, masked-LM and segment-mask tests share:
// central differences of the training loss at sampled parameters, against the analytic gradients.
import Foundation

@testable import SluiceTrain

/// Central differences (step `h`) of `loss` at each of `indices` of `model.params`, compared with
/// `analytic`; the parameters are restored afterwards.
/// - Returns: Σ (fd − analytic)² and Σ analytic² over the entries (their ratio's root is the relative
///   error), and the worst entry's |fd − analytic| / (|analytic| + 0.01) with its tensor's name.
func finiteDifferences(
    _ model: GPT, analytic: [Float], at indices: [Int], h: Float = 1e-2, loss: () -> Double
) -> (num: Double, den: Double, worst: Double, worstName: String) {
    let base = model.params
    var worst = 0.0, worstName = "", num = 0.0, den = 0.0
    for i in indices {
        model.params = base
        model.params[i] += h
        let lp = loss()
        model.params[i] -= 2 * h
        let lm = loss()
        let fd = (lp - lm) / (2 * Double(h)), an = Double(analytic[i])
        num += (fd - an) * (fd - an)
        den += an * an
        let rel = abs(fd - an) / (abs(an) + 1e-2)
        if rel > worst {
            worst = rel
            worstName = model.layout.tensors.first { $0.range.contains(i) }!.name + " fd \(fd) analytic \(an)"
        }
    }
    model.params = base
    return (num, den, worst, worstName)
}
