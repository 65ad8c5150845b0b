// Weights as decoding reads them: an F32 matrix inside a model's buffer, or INT8 with one F32 scale
// per output channel (symmetric, zero point 0), plus the unstructured magnitude pruning that may come
// first. Training never sees these types: it keeps F32 in `GPT.params`. docs/quantize.md has the format.
import Foundation
import SluiceCore

/// A matrix quantized symmetrically per output channel: W[o, i] ≈ scales[o] · q[o, i], q ∈ [−127, 127].
///
/// Rows are output channels, so one channel's weights are contiguous for the dot product of
/// `decodeLinear` (the layout of `torch.nn.Linear`, the transpose of GPT-2's Conv1D matrices).
public struct Int8Matrix: Sendable, Equatable {
    /// Input channels: the length of each row of `q`.
    public let inC: Int
    /// Output channels: rows of `q`, entries of `scales`.
    public let outC: Int
    /// (outC, inC) row-major: channel o is `q[o·inC ..< (o+1)·inC]`.
    public let q: [Int8]
    /// Per output channel: max |W[o, :]| / 127, or 0 for a channel of zeros.
    public let scales: [Float]

    /// A matrix from its parts. - Precondition: `q.count == outC·inC`, `scales.count == outC`.
    public init(inC: Int, outC: Int, q: [Int8], scales: [Float]) {
        precondition(inC > 0 && outC > 0 && q.count == inC * outC && scales.count == outC, "Int8Matrix: shape mismatch")
        self.inC = inC
        self.outC = outC
        self.q = q
        self.scales = scales
    }

    /// Quantizes an F32 matrix: s = max|W[o, :]| / 127, q = round(W / s) (ties to even), so the
    /// largest weight of each channel is exactly ±127·s and every weight is within s/2 of s·q.
    /// - Parameters:
    ///   - w: the matrix; (outC, inC) row-major when `outMajor` (embeddings, `lm_head`), else
    ///     (inC, outC) (GPT-2's Conv1D layout of the block matrices).
    public init(quantizing w: UnsafePointer<Float>, inC: Int, outC: Int, outMajor: Bool) {
        precondition(inC > 0 && outC > 0)
        // W[o, i] lives at o·inC + i (out-major) or i·outC + o (Conv1D).
        let so = outMajor ? inC : 1, si = outMajor ? 1 : outC
        var scales = [Float](repeating: 0, count: outC)
        if outMajor {
            for o in 0..<outC {
                var m: Float = 0
                for i in 0..<inC { m = max(m, abs(w[o * so + i * si])) }
                scales[o] = m / 127
            }
        } else {
            // Stream the (inC, outC) rows once, keeping a running maximum per column.
            var m = [Float](repeating: 0, count: outC)
            for i in 0..<inC {
                let row = w + i * outC
                for o in 0..<outC { m[o] = max(m[o], abs(row[o])) }
            }
            for o in 0..<outC { scales[o] = m[o] / 127 }
        }
        let q = [Int8](unsafeUninitializedCapacity: inC * outC) { buf, n in
            for o in 0..<outC {
                let s = scales[o], dst = buf.baseAddress! + o * inC
                guard s > 0 else {
                    dst.initialize(repeating: 0, count: inC)
                    continue
                }
                for i in 0..<inC {
                    let v = (w[o * so + i * si] / s).rounded(.toNearestOrEven)
                    dst[i] = Int8(max(-127, min(127, v)))
                }
            }
            n = inC * outC
        }
        self.init(inC: inC, outC: outC, q: q, scales: scales)
    }

    /// W[o, i] as F32: scales[o] · q[o, i].
    @inline(__always)
    public func value(out o: Int, in i: Int) -> Float { scales[o] * Float(q[o * inC + i]) }

    /// Writes the dequantized matrix in the layout `init(quantizing:…)` read: (outC, inC) when
    /// `outMajor`, else (inC, outC).
    public func dequantize(into w: UnsafeMutablePointer<Float>, outMajor: Bool) {
        q.withUnsafeBufferPointer { Q in
            for o in 0..<outC {
                let s = scales[o], row = Q.baseAddress! + o * inC
                if outMajor {
                    for i in 0..<inC { w[o * inC + i] = s * Float(row[i]) }
                } else {
                    for i in 0..<inC { w[i * outC + o] = s * Float(row[i]) }
                }
            }
        }
    }

    /// Entries of `q` that are zero.
    public var zeroCount: Int { q.reduce(0) { $0 + ($1 == 0 ? 1 : 0) } }
}

/// An F32 matrix inside a shared buffer (a `GPT`'s parameters; the array is shared, not copied).
public struct F32Matrix: @unchecked Sendable {
    /// The buffer holding the matrix.
    public let storage: [Float]
    /// Index of the first element in `storage`.
    public let offset: Int
    /// Input and output channels.
    public let inC: Int, outC: Int
    /// (outC, inC) row-major (embeddings, `lm_head`) when true; (inC, outC) (Conv1D) when false.
    public let outMajor: Bool

    /// A view of `storage[offset ..< offset + inC·outC]`.
    public init(storage: [Float], offset: Int, inC: Int, outC: Int, outMajor: Bool) {
        precondition(offset >= 0 && offset + inC * outC <= storage.count, "F32Matrix outside its buffer")
        self.storage = storage
        self.offset = offset
        self.inC = inC
        self.outC = outC
        self.outMajor = outMajor
    }
}

/// The weights of one matrix of a decoding model: F32 or INT8. `decodeLinear` multiplies by either;
/// embeddings (`wte`, `wpe`) are read a row at a time with `embeddingRow`.
public enum DecodeWeights: @unchecked Sendable {
    /// F32, exactly as trained.
    case f32(F32Matrix)
    /// INT8 with a scale per output channel.
    case int8(Int8Matrix)

    /// Input channels (C for embeddings).
    public var inC: Int {
        switch self {
        case .f32(let m): m.inC
        case .int8(let m): m.inC
        }
    }

    /// Output channels (rows of an embedding).
    public var outC: Int {
        switch self {
        case .f32(let m): m.outC
        case .int8(let m): m.outC
        }
    }

    /// Bytes the weights occupy: 4 per F32 weight; 1 per INT8 weight plus 4 per scale.
    public var byteCount: Int {
        switch self {
        case .f32(let m): 4 * m.inC * m.outC
        case .int8(let m): m.q.count + 4 * m.scales.count
        }
    }

    /// Copies row `r` of an out-major matrix (an embedding) as F32 into `out` (inC floats).
    @inline(__always)
    func embeddingRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        switch self {
        case .f32(let m):
            precondition(m.outMajor)
            m.storage.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + m.offset + r * m.inC, count: m.inC) }
        case .int8(let m):
            let s = m.scales[r]
            m.q.withUnsafeBufferPointer { Q in
                let row = Q.baseAddress! + r * m.inC
                for i in 0..<m.inC { out[i] = s * Float(row[i]) }
            }
        }
    }
}

// MARK: - Magnitude pruning

/// Unstructured magnitude pruning (Han et al. 2015): sets the `fraction`·n smallest-magnitude of
/// `w`'s n values to zero. Ties at the threshold are broken by position (the first ones go), so
/// exactly ⌊fraction·n⌋ values are zero-or-pruned afterwards (existing zeros count as the smallest).
/// - Returns: how many values are zero afterwards.
@discardableResult
public func magnitudePrune(_ w: UnsafeMutableBufferPointer<Float>, fraction: Double) -> Int {
    precondition(fraction >= 0 && fraction < 1, "prune fraction must be in [0, 1)")
    let n = w.count, k = Int((fraction * Double(n)).rounded(.down))
    if k > 0 {
        // The k-th smallest magnitude is the threshold; below it goes, at it only until k are gone.
        var mags = w.map { abs($0) }
        mags.sort()
        let threshold = mags[k - 1]
        mags = []
        var below = 0
        for v in w where abs(v) < threshold { below += 1 }
        var atThreshold = k - below
        for i in 0..<n {
            let a = abs(w[i])
            if a < threshold {
                w[i] = 0
            } else if a == threshold && atThreshold > 0 {
                w[i] = 0
                atThreshold -= 1
            }
        }
    }
    return w.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
}
