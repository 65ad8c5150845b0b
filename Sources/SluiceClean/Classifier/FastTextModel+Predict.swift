// Predicting with a fastText model exactly as `FastText::predictLine` does after Python's
// `model.predict(text.replace("\n", " "))`: split on fastText's whitespace bytes, look each token
// up (FNV-1a), add its word and character n-gram rows, then `</s>`, then the word n-gram rows;
// average; score with the model's loss. Probabilities are the values fastText reports
// (`exp(log(p + 1e-5))`). Per-document work reuses the predictor's buffers; nothing is allocated.
import Foundation
import SluiceCore

/// fastText's token separators (`Dictionary::readWord`). A newline counts as a space here: fastText
/// would end the line there, and datatrove replaces newlines with spaces before it predicts.
@inline(__always)
func isFastTextSpace(_ c: UInt8) -> Bool {
    c == 0x20 || (c >= 0x09 && c <= 0x0D) || c == 0
}

extension FastTextModel {
    /// A predictor with its own buffers; make one per thread or stage instance.
    public func makePredictor() -> Predictor { Predictor(self) }

    /// Predicts labels for text, reusing its buffers between calls.
    public final class Predictor {
        public let model: FastTextModel
        private let hidden: UnsafeMutableBufferPointer<Float>
        /// Per label: the probability (softmax, ova, ns) or the log score (hs) before fastText's report transform.
        private let raw: UnsafeMutableBufferPointer<Float>
        private var reported: [Float]
        private var stack: [(node: Int32, score: Float)] = []
        /// The per-text scratch, with the rows of recently seen tokens (the same rows fastText
        /// would compute, in its order).
        private var line: FastTextLine
        /// Whether `raw` holds every label's score (false after `top` on a hierarchical softmax,
        /// which scores only the best leaf; `lastProbability` then walks to the label asked for).
        private var rawComplete = true
        /// Input rows averaged for the last text (0: fastText predicts nothing).
        public private(set) var rowCount = 0

        /// - Parameter cacheSlotBits: the token cache's size (2^bits slots); tests shrink it to
        ///   make it start over often.
        init(_ model: FastTextModel, cacheSlotBits: Int = FastTextTokenCache.defaultSlotBits) {
            self.model = model
            line = FastTextLine(cacheSlotBits: cacheSlotBits)
            hidden = .allocate(capacity: model.dim)
            raw = .allocate(capacity: model.labels.count)
            reported = [Float](repeating: 0, count: model.labels.count)
        }

        deinit {
            hidden.deallocate()
            raw.deallocate()
            line.cache.deallocate()
        }

        /// Probabilities of every label for `text`, in `model.labels` order, as fastText's
        /// `predict(text, k=-1)` reports them (hs: labels fastText prunes below 1e-5 get their value here).
        /// All zero for a text that yields no input row.
        public func probabilities(_ text: String) -> [Float] {
            let ok = withUTF8Bytes(text) { score($0) }
            let k = model.labels.count
            reported.withUnsafeMutableBufferPointer { r in
                for i in 0..<k { r[i] = ok ? report(i) : 0 }
            }
            return reported
        }

        /// The most probable label and its probability, or nil when the text yields no input row.
        public func top(_ text: String) -> (label: Int, probability: Float)? {
            withUTF8Bytes(text) { top(bytes: $0) }
        }

        /// `top` over UTF-8 bytes. A hierarchical softmax searches for the best leaf alone
        /// (`topLeaf`); the other losses score every label.
        public func top(bytes: UnsafeBufferPointer<UInt8>) -> (label: Int, probability: Float)? {
            if model.loss == .hierarchicalSoftmax {
                rowCount = computeHidden(bytes)
                guard rowCount > 0 else { return nil }
                rawComplete = false
                let best = topLeaf()
                return (best, report(best))
            }
            guard score(bytes) else { return nil }
            var best = 0
            for i in 1..<model.labels.count where raw[i] > raw[best] { best = i }
            return (best, report(best))
        }

        /// The probability of label `label` for `text` (0 when the text yields no input row).
        public func probability(of label: Int, _ text: String) -> Float {
            withUTF8Bytes(text) { score($0) } ? report(label) : 0
        }

        /// The probability of label `label` for the text last given to `top` (0 if it had no input row).
        public func lastProbability(of label: Int) -> Float {
            guard rowCount > 0 else { return 0 }
            if !rawComplete { raw[label] = pathScore(label) }
            return report(label)
        }

        /// fastText's reported value of label `i` from `raw`.
        @inline(__always)
        private func report(_ i: Int) -> Float {
            model.loss == .hierarchicalSoftmax ? expf(raw[i]) : expf(stdLog(raw[i]))
        }

        // MARK: - Hidden vector

        /// Fills `hidden` with the average of the text's input rows and `raw` with label scores.
        /// - Returns: false when no input row was found (fastText returns no prediction then).
        private func score(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
            rowCount = computeHidden(b)
            guard rowCount > 0 else { return false }
            computeOutput()
            rawComplete = true
            return true
        }

        // MARK: - Hierarchical softmax, best leaf only

        /// The best leaf of the tree for the current `hidden`, with its log score in `raw`: the
        /// full search's answer, bit for bit, for a fraction of the nodes. A step down the tree
        /// adds std_log(p) = log(p + 1e-5), which is at most log(1 + 1e-5) ≈ 1e-5, so a subtree
        /// whose score plus that gain at every remaining level (doubled, for float rounding) is
        /// still below the best leaf found cannot hold a better one and is skipped; the more
        /// probable child goes first, so a good leaf is found early. Each leaf's score is summed
        /// root to leaf, as the full search sums it, and equal scores keep the lower label, as
        /// `top`'s scan does.
        private func topLeaf() -> Int {
            let m = model, k = m.labels.count
            let h = UnsafePointer(hidden.baseAddress!)
            let slack = 2 * Float(m.treeDepth) * stdLog(1)
            var best = -1
            var bestScore = -Float.infinity
            stack.removeAll(keepingCapacity: true)
            stack.append((Int32(2 * k - 2), 0))
            while let item = stack.popLast() {
                let n = Int(item.node)
                let score = item.score
                if score + slack < bestScore { continue }
                if m.treeLeft[n] == -1 && m.treeRight[n] == -1 {
                    raw[n] = score
                    if score > bestScore || (score == bestScore && n < best) {
                        best = n
                        bestScore = score
                    }
                    continue
                }
                let (right, left) = branchScores(n, score, h)
                // The stack pops the last push first: the more probable child goes on last.
                if right >= left {
                    stack.append((m.treeLeft[n], left))
                    stack.append((m.treeRight[n], right))
                } else {
                    stack.append((m.treeRight[n], right))
                    stack.append((m.treeLeft[n], left))
                }
            }
            return best
        }

        /// Node `n`'s children's scores from the parent's `score`: (right, left), as the full search adds them.
        @inline(__always)
        private func branchScores(_ n: Int, _ score: Float, _ h: UnsafePointer<Float>) -> (Float, Float) {
            let dot = model.output.dotRow(n - model.labels.count, h)
            let f = Float(1.0 / Double(1 + expf(-dot)))
            return (score + stdLog(f), score + stdLog(Float(1.0 - Double(f))))
        }

        /// The log score of leaf `label`, summed root to leaf along its path (`model.treePaths`).
        private func pathScore(_ label: Int) -> Float {
            let h = UnsafePointer(hidden.baseAddress!)
            var score: Float = 0
            for (node, goesRight) in model.treePaths[label] {
                let (right, left) = branchScores(Int(node), score, h)
                score = goesRight ? right : left
            }
            return score
        }

        /// Fills `hidden` with the average of the text's input rows; returns how many rows.
        private func computeHidden(_ b: UnsafeBufferPointer<UInt8>) -> Int {
            line.computeHidden(b, model: model, hidden: hidden.baseAddress!)
        }

        // MARK: - Output

        private func computeOutput() {
            let m = model
            let k = m.labels.count
            let h = UnsafePointer(hidden.baseAddress!)
            switch m.loss {
            case .softmax:
                // SoftmaxLoss::computeOutput
                for i in 0..<k { raw[i] = m.output.dotRow(i, h) }
                var mx = raw[0]
                for i in 0..<k { mx = max(raw[i], mx) }
                var z: Float = 0
                for i in 0..<k {
                    raw[i] = expf(raw[i] - mx)
                    z += raw[i]
                }
                for i in 0..<k { raw[i] /= z }
            case .oneVsAll, .negativeSampling:
                // BinaryLogisticLoss::computeOutput, with fastText's sigmoid table
                for i in 0..<k { raw[i] = sigmoid(m.output.dotRow(i, h)) }
            case .hierarchicalSoftmax:
                // HierarchicalSoftmaxLoss::dfs over the whole tree (no top-k pruning): the log
                // score of each leaf is the sum of std_log of its branch probabilities.
                stack.removeAll(keepingCapacity: true)
                stack.append((Int32(2 * k - 2), 0))
                while let item = stack.popLast() {
                    let n = Int(item.node)
                    let score = item.score
                    if m.treeLeft[n] == -1 && m.treeRight[n] == -1 {
                        raw[n] = score
                        continue
                    }
                    let (right, left) = branchScores(n, score, h)
                    stack.append((m.treeRight[n], right))
                    stack.append((m.treeLeft[n], left))
                }
            }
        }

        /// fastText's `Loss::sigmoid` (table lookup, 0 below −8 and 1 above 8).
        @inline(__always)
        private func sigmoid(_ x: Float) -> Float {
            if x.isNaN || x < -8 { return 0 }
            if x > 8 { return 1 }
            return model.sigmoidTable[Int((x + 8) * 512 / 8 / 2)]
        }
    }
}

/// A predictor's per-text scratch: the text's tokens, the hashes its word n-grams need, the
/// n-gram buckets of the word being looked up, and the token cache. A struct that the predictor
/// passes in place, so that the per-token work touches no class property (under -O each would be a
/// run-time exclusivity check).
struct FastTextLine {
    var cache: FastTextTokenCache
    var hashes: [Int32] = []
    var padded: [UInt8] = []
    /// The n-gram buckets of the word being looked up.
    var buckets: [Int] = []
    /// The tokens of the current text: (start, end, FNV hash).
    var spans: [(Int, Int, UInt32)] = []

    init(cacheSlotBits: Int) {
        cache = FastTextTokenCache(slotBits: cacheSlotBits)
        hashes.reserveCapacity(256)
        padded.reserveCapacity(64)
    }

    mutating func computeHidden(
        _ b: UnsafeBufferPointer<UInt8>, model m: FastTextModel, hidden h: UnsafeMutablePointer<Float>
    ) -> Int {
        for j in 0..<m.dim { h[j] = 0 }
        hashes.removeAll(keepingCapacity: true)
        var rows = 0
        let n = b.count
        var i = 0
        var endedByEOS = false
        // The tokens first, so that each token's cache slot can be read a few tokens ahead.
        spans.removeAll(keepingCapacity: true)
        while i < n {
            while i < n && isFastTextSpace(b[i]) { i += 1 }
            if i >= n { break }
            let start = i
            var hash: UInt32 = 2_166_136_261
            while i < n && !isFastTextSpace(b[i]) {
                hash = fnvStep(hash, b[i])
                i += 1
            }
            spans.append((start, i, hash))
            // A literal `</s>` ends the line in fastText (`getLine` breaks on EOS).
            if hash == m.eosHash && b[start..<i].elementsEqual(FastTextModel.eos) {
                endedByEOS = true
                break
            }
        }
        let ahead = 6
        spans.withUnsafeBufferPointer { sp in
            for t in 0..<sp.count {
                if t + ahead < sp.count { cache.prefetch(sp[t + ahead].2) }
                let (start, end, hash) = sp[t]
                rows += addToken(UnsafeBufferPointer(rebasing: b[start..<end]), hash: hash, m, h)
            }
        }
        if !endedByEOS {
            rows += FastTextModel.eos.withUnsafeBufferPointer { addToken($0, hash: m.eosHash, m, h) }
        }
        // Word n-grams (`Dictionary::addWordNgrams`): int32 hashes widened with sign extension.
        if m.wordNgrams > 1 && !m.dropsAllNgrams {
            let bucket = UInt64(m.bucket)
            hashes.withUnsafeBufferPointer { hs in
                for a in 0..<hs.count {
                    var g = UInt64(bitPattern: Int64(hs[a]))
                    var j = a + 1
                    while j < hs.count && j < a + m.wordNgrams {
                        g = g &* 116_049_371 &+ UInt64(bitPattern: Int64(hs[j]))
                        if let row = m.ngrams.ngramRow(Int(g % bucket)) {
                            m.input.addRow(Int(row), to: h)
                            rows += 1
                        }
                        j += 1
                    }
                }
            }
        }
        if rows > 0 {
            let scale = Float(1.0 / Double(rows))
            for j in 0..<m.dim { h[j] *= scale }
        }
        return rows
    }

    /// Adds the rows of one token (`Dictionary::getLine` and `addSubwords`); returns how many.
    /// The rows come from `cache` when the token was seen recently, else from `collectRows`.
    @inline(__always)
    private mutating func addToken(
        _ token: UnsafeBufferPointer<UInt8>, hash: UInt32, _ m: FastTextModel, _ h: UnsafeMutablePointer<Float>
    ) -> Int {
        let start: Int
        let count: Int
        let ngrams: Bool
        let hit = cache.lookup(token, hash: hash)
        if let hit {
            (start, count, ngrams) = hit
        } else {
            start = cache.begin()
            ngrams = collectRows(token, hash: hash, m)
            count = cache.rows.count - start
        }
        cache.rows.withUnsafeBufferPointer { r in
            for k in start..<(start + count) { m.input.addRow(Int(r[k]), to: h) }
        }
        if ngrams { hashes.append(Int32(bitPattern: hash)) }
        if hit == nil { cache.commit(token, hash: hash, from: start, ngrams: ngrams) }
        return count
    }

    /// Appends the input rows of one token to `cache.rows`, in fastText's order; returns
    /// whether the token takes part in word n-grams.
    private mutating func collectRows(_ token: UnsafeBufferPointer<UInt8>, hash: UInt32, _ m: FastTextModel) -> Bool {
        let e = m.entry(token, hash: hash)
        if e >= 0 {
            guard e < m.wordCount else { return false }  // a label token: not a feature
            let s = Int(m.subwordStarts[e])
            let end = Int(m.subwordStarts[e + 1])
            m.subwordIds.withUnsafeBufferPointer { ids in
                for k in s..<end { cache.append(ids[k]) }
            }
            return true
        }
        // Out of vocabulary: a token that looks like a label is skipped; any other adds its
        // character n-grams (none for `</s>`) and takes part in word n-grams.
        if token.starts(with: FastTextModel.labelPrefix) { return false }
        if !(hash == m.eosHash && token.elementsEqual(FastTextModel.eos)) && m.maxn > 0 {
            padded.removeAll(keepingCapacity: true)
            padded.append(0x3C)
            padded.append(contentsOf: token)
            padded.append(0x3E)
            // The buckets first, so that every pruned-index probe is asked for before the first
            // is made (a new word's n-grams are scattered over megabytes).
            buckets.removeAll(keepingCapacity: true)
            padded.withUnsafeBufferPointer { p in
                m.ngrams.forEachCharNgramBucket(p) { buckets.append($0) }
            }
            if let pruned = m.ngrams.pruned, !m.ngrams.dropsAll {
                for b in buckets { pruned.prefetch(Int32(b)) }
            }
            for b in buckets {
                if let row = m.ngrams.ngramRow(b) { cache.append(row) }
            }
        }
        return true
    }
}

/// fastText's `std_log`: `log(x + 1e-5)`, computed in double and stored as float.
@inline(__always)
func stdLog(_ x: Float) -> Float { Float(log(Double(x) + 1e-5)) }
