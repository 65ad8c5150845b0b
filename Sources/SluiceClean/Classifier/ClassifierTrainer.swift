// Trains a `TextClassifier` with stochastic gradient descent on the softmax loss, the learning
// rate decaying linearly to zero over all updates (as fastText), multi-threaded lock-free
// ("Hogwild!", Recht et al. 2011): each thread walks its share of the examples and updates the
// shared weights without locks. Features are hashed once, before the first epoch.
import Foundation
import SluiceCore

/// Training settings; defaults follow fastText supervised where they apply.
public struct TrainingOptions: Sendable {
    public var features = FeatureConfig()
    public var epochs = 5
    public var learningRate: Float = 0.75
    /// L2 penalty per update (0 = none).
    public var l2: Float = 0
    public var threads = 2
    public var seed: UInt64 = 1
    public init() {}
}

/// Fits a classifier to labelled examples.
public enum ClassifierTrainer {
    /// Trains on `examples`.
    /// - Throws: `SluiceError(.config)` when there are no examples, fewer than two labels, or more
    ///   than `TextClassifier.maxWeights` weights.
    /// - Complexity: O(epochs × total features × labels).
    public static func train(_ examples: [LabeledExample], options: TrainingOptions) throws -> TextClassifier {
        guard !examples.isEmpty else { throw SluiceError(.config, "no training examples") }
        let labels = Array(Set(examples.map(\.label))).sorted()
        guard labels.count >= 2 else {
            throw SluiceError(.config, "training needs at least two labels (found \(labels.map { "'\($0)'" }))")
        }
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let k = labels.count
        guard options.features.buckets * k <= TextClassifier.maxWeights else {
            throw SluiceError(
                .config,
                "\(options.features.buckets) buckets × \(k) labels is more than \(TextClassifier.maxWeights) weights: "
                    + "use fewer buckets")
        }
        // Flat feature rows per example: offsets[i]..<offsets[i+1] in `rows`.
        let extractor = FeatureExtractor(options.features)
        var rows: [Int32] = []
        var offsets: [Int] = [0]
        var targets: [Int] = []
        offsets.reserveCapacity(examples.count + 1)
        for e in examples {
            extractor.features(e.text, into: &rows)
            offsets.append(rows.count)
            targets.append(index[e.label]!)
        }
        let offsetsFinal = offsets
        let targetsFinal = targets
        var weights = [Float](repeating: 0, count: options.features.buckets * k)
        var bias = [Float](repeating: 0, count: k)
        let threads = max(1, min(options.threads, examples.count))
        let total = Float(options.epochs * examples.count)
        let progressPerThread = total / Float(threads)
        weights.withUnsafeMutableBufferPointer { w in
            bias.withUnsafeMutableBufferPointer { bb in
                rows.withUnsafeBufferPointer { r in
                    let shared = SharedBuffers(w: w, b: bb, rows: r)
                    let run: @Sendable (Int) -> Void = { t in
                        var rng = SplitMix64(seed: options.seed &+ UInt64(t) &* 0x9E37)
                        var order = Array(stride(from: t, to: examples.count, by: threads))
                        var scores = [Float](repeating: 0, count: k)
                        var done: Float = 0
                        for _ in 0..<options.epochs {
                            for j in stride(from: order.count - 1, to: 0, by: -1) {
                                order.swapAt(j, Int(rng.next() % UInt64(j + 1)))
                            }
                            for i in order {
                                let lr = options.learningRate * max(0, 1 - done / progressPerThread)
                                done += 1
                                shared.step(
                                    offsetsFinal[i]..<offsetsFinal[i + 1], target: targetsFinal[i], k: k, lr: lr,
                                    l2: options.l2,
                                    scores: &scores)
                            }
                        }
                    }
                    if threads == 1 {
                        run(0)
                    } else {
                        DispatchQueue.concurrentPerform(iterations: threads, execute: run)
                    }
                }
            }
        }
        return TextClassifier(labels: labels, config: options.features, weights: weights, bias: bias)
    }
}

/// The shared weight buffers of a Hogwild run: unsynchronized by design.
private struct SharedBuffers: @unchecked Sendable {
    let w: UnsafeMutableBufferPointer<Float>
    let b: UnsafeMutableBufferPointer<Float>
    let rows: UnsafeBufferPointer<Int32>

    /// One SGD step on one example (softmax cross-entropy).
    @inline(__always)
    func step(_ range: Range<Int>, target: Int, k: Int, lr: Float, l2: Float, scores: inout [Float]) {
        guard !range.isEmpty else { return }
        for l in 0..<k { scores[l] = 0 }
        for j in range {
            let row = Int(rows[j]) * k
            for l in 0..<k { scores[l] += w[row + l] }
        }
        let scale = 1 / Float(range.count).squareRoot()
        var maxScore = -Float.infinity
        for l in 0..<k {
            scores[l] = scores[l] * scale + b[l]
            maxScore = max(maxScore, scores[l])
        }
        var sum: Float = 0
        for l in 0..<k {
            scores[l] = expf(scores[l] - maxScore)
            sum += scores[l]
        }
        // Gradient of the loss w.r.t. score l is p_l - y_l; w.r.t. a weight it is scaled by `scale`.
        for l in 0..<k { scores[l] = lr * (scores[l] / sum - (l == target ? 1 : 0)) }
        for l in 0..<k { b[l] -= scores[l] }
        for j in range {
            let row = Int(rows[j]) * k
            for l in 0..<k {
                w[row + l] -= scores[l] * scale + (l2 > 0 ? lr * l2 * w[row + l] : 0)
            }
        }
    }
}
