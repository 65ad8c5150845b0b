// A linear text classifier over hashed features, the fastText recipe without the low-rank
// bottleneck: lowercased whitespace tokens, word n-grams up to `wordNgrams` and character
// n-grams (`minn`…`maxn`, with < > word boundaries) hashed into `buckets` rows, one weight per
// (row, label), averaged (scaled by 1/√features) into label scores and a softmax. The weights
// file format is in docs/classifier-model.md. Training lives in ClassifierTrainer.swift.
import Foundation
import SluiceCore

/// How text becomes feature rows. Stored in the model so prediction hashes as training did.
public struct FeatureConfig: Sendable, Equatable {
    /// Number of hash rows (a power of two).
    public var buckets: Int = 1 << 20
    /// Longest word n-gram (1 = unigrams only, 2 = unigrams and bigrams, as fastText -wordNgrams 2).
    public var wordNgrams: Int = 2
    /// Character n-gram lengths inside `<word>`; minn = 0 disables them.
    public var minn: Int = 3
    public var maxn: Int = 5
    /// ASCII-lowercase before hashing.
    public var lowercase: Bool = true

    public init(buckets: Int = 1 << 20, wordNgrams: Int = 2, minn: Int = 3, maxn: Int = 5, lowercase: Bool = true) {
        self.buckets = buckets
        self.wordNgrams = wordNgrams
        self.minn = minn
        self.maxn = maxn
        self.lowercase = lowercase
    }
}

/// Extracts hashed feature rows from text, reusing its buffers (one per thread).
final class FeatureExtractor {
    let config: FeatureConfig
    private let mask: UInt64
    private var tokenHashes: [UInt64] = []
    private var word: [UInt8] = []
    private var padded: [UInt8] = []
    private var scalarStarts: [Int] = []

    init(_ config: FeatureConfig) {
        self.config = config
        mask = UInt64(config.buckets - 1)
    }

    /// Appends the feature rows of `text` to `out`.
    func features(_ text: String, into out: inout [Int32]) {
        withUTF8Bytes(text) { b in features(b, into: &out) }
    }

    func features(_ b: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        tokenHashes.removeAll(keepingCapacity: true)
        var i = 0
        let n = b.count
        while i < n {
            while i < n, case let (c, l) = decodeScalar(b, at: i), isPythonWhitespace(c) { i += l }
            if i >= n { break }
            word.removeAll(keepingCapacity: true)
            while i < n, case let (c, l) = decodeScalar(b, at: i), !isPythonWhitespace(c) {
                for k in 0..<l {
                    var byte = b[i + k]
                    if config.lowercase && byte >= 65 && byte <= 90 { byte += 32 }
                    word.append(byte)
                }
                i += l
            }
            let h = word.withUnsafeBytes { xxHash64($0, seed: 1) }
            tokenHashes.append(h)
            out.append(Int32(truncatingIfNeeded: h & mask))
            if config.minn > 0 { charNgrams(into: &out) }
        }
        if config.wordNgrams >= 2 {
            for s in 0..<tokenHashes.count {
                var h = tokenHashes[s]
                for g in 2...config.wordNgrams where s + g <= tokenHashes.count {
                    h = mix64(h &* 116_049_371 &+ tokenHashes[s + g - 1])
                    out.append(Int32(truncatingIfNeeded: h & mask))
                }
            }
        }
    }

    /// Character n-grams of `<word>`, counted in code points.
    private func charNgrams(into out: inout [Int32]) {
        // Scalar starts of "<" + word + ">".
        padded.removeAll(keepingCapacity: true)
        padded.append(0x3C)
        padded.append(contentsOf: word)
        padded.append(0x3E)
        var starts = scalarStarts
        starts.removeAll(keepingCapacity: true)
        defer { scalarStarts = starts }
        padded.withUnsafeBufferPointer { p in
            for j in 0..<p.count where p[j] & 0xC0 != 0x80 { starts.append(j) }
            starts.append(p.count)
            let chars = starts.count - 1
            for s in 0..<chars {
                for len in config.minn...config.maxn where s + len <= chars {
                    if len == 1 && (s == 0 || s == chars - 1) { continue }
                    let r = starts[s]..<starts[s + len]
                    let h = xxHash64(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: p[r])), seed: 2)
                    out.append(Int32(truncatingIfNeeded: h & mask))
                }
            }
        }
    }
}

/// A trained classifier: labels, feature configuration and weights.
public final class TextClassifier: @unchecked Sendable {
    public let labels: [String]
    public let config: FeatureConfig
    /// `buckets × labels.count` weights, row-major.
    var weights: [Float]
    /// One bias per label.
    var bias: [Float]

    init(labels: [String], config: FeatureConfig, weights: [Float], bias: [Float]) {
        precondition(weights.count == config.buckets * labels.count && bias.count == labels.count)
        self.labels = labels
        self.config = config
        self.weights = weights
        self.bias = bias
    }

    /// Label scores of feature rows into `scores` (softmax probabilities).
    func probabilities(features: UnsafeBufferPointer<Int32>, into scores: inout [Float]) {
        let k = labels.count
        for l in 0..<k { scores[l] = 0 }
        weights.withUnsafeBufferPointer { w in
            for f in features {
                let row = Int(f) * k
                for l in 0..<k { scores[l] += w[row + l] }
            }
        }
        let scale: Float = features.isEmpty ? 0 : 1 / Float(features.count).squareRoot()
        var maxScore = -Float.infinity
        for l in 0..<k {
            scores[l] = scores[l] * scale + bias[l]
            maxScore = max(maxScore, scores[l])
        }
        var sum: Float = 0
        for l in 0..<k {
            scores[l] = expf(scores[l] - maxScore)
            sum += scores[l]
        }
        for l in 0..<k { scores[l] /= sum }
    }

    /// A predictor with its own buffers; make one per thread or stage instance.
    public func makePredictor() -> Predictor { Predictor(self) }

    /// Predicts labels with reusable buffers.
    public final class Predictor {
        public let model: TextClassifier
        private let extractor: FeatureExtractor
        private var features: [Int32] = []
        private var scores: [Float]

        init(_ model: TextClassifier) {
            self.model = model
            extractor = FeatureExtractor(model.config)
            scores = [Float](repeating: 0, count: model.labels.count)
        }

        /// Probabilities of every label for `text`, in `model.labels` order.
        public func probabilities(_ text: String) -> [Float] {
            features.removeAll(keepingCapacity: true)
            extractor.features(text, into: &features)
            features.withUnsafeBufferPointer { model.probabilities(features: $0, into: &scores) }
            return scores
        }

        /// The most probable label and its probability.
        public func predict(_ text: String) -> (label: String, probability: Float) {
            let p = probabilities(text)
            var best = 0
            for l in 1..<p.count where p[l] > p[best] { best = l }
            return (model.labels[best], p[best])
        }
    }
}
