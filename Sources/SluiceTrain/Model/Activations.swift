// Activation and activation-gradient buffers for one (B, T) shape, carved out of one allocation.
// With recomputation only one block's activations are kept (plus the residual stream between
// blocks); the backward pass rebuilds each block's activations just before it needs them.

/// The forward activations of one block.
struct BlockActivations {
    var ln1, ln1Mean, ln1Rstd, qkv, att, atty, res2, ln2, ln2Mean, ln2Rstd, fch, fchGelu: FloatPointer
    /// Per-head 1/RMS of q and k (B·T, 2·NH) with QK norm; unused otherwise.
    var qkRstd: FloatPointer
}

/// Every buffer a forward/backward pass over a batch of `B` sequences of up to `T` tokens needs.
final class Activations {
    let B: Int, T: Int
    /// Blocks with their own activation set: L, or 1 with recomputation.
    let sets: Int
    let recompute: Bool
    let withGradients: Bool
    private let storage: UnsafeMutablePointer<Float>
    let floats: Int
    /// Residual stream between blocks: (L + 1) × (B, T, C); entry l is block l's input.
    let resid: FloatPointer
    let blocks: [BlockActivations]
    let lnf, lnfMean, lnfRstd, logits, losses: FloatPointer
    /// tanh(z/cap) of the soft-capped logits (B·T, V), when the model caps them and trains.
    let capTanh: FloatPointer?
    // Gradient scratch (only when `withGradients`). dact is the MLP activation's gradient (B·T, H):
    // its own buffer for SwiGLU, dfch otherwise (the activation's backward runs in place).
    let dR, dln, dqkv, datty, dfch, dact, datt: FloatPointer
    /// One head's dropped attention probabilities (T×T), when training.
    let attScratch: FloatPointer
    /// The dropout of the last training forward pass (nil: none), reused by backward and recomputation.
    var dropout: Dropout?
    let tokens: UnsafeMutablePointer<Int32>
    let targets: UnsafeMutablePointer<Int32>
    /// Per-position segment starts of packed windows (B·T), valid when `segmented`.
    let segmentStarts: UnsafeMutablePointer<Int32>
    /// Whether the last forward pass had segments (the backward pass and recomputation follow it).
    var segmented = false

    init(config: GPTConfig, B: Int, T: Int, recompute: Bool, withGradients: Bool) {
        precondition(T <= config.contextLength && B > 0 && T > 0)
        self.B = B
        self.T = T
        self.recompute = recompute
        self.withGradients = withGradients
        let C = config.width, L = config.layers, NH = config.heads, V = config.vocabSize
        let BT = B * T, BTC = BT * C, F = config.mlpFCOut, H = config.mlpHidden
        let qkn = config.qkNorm ? BT * 2 * NH : 0
        let swiglu = config.mlp == .swiglu, capped = config.logitSoftcap > 0 && withGradients
        sets = recompute ? 1 : L
        // ln1 1, qkv 3, atty 1, res2 1, ln2 1 = 7 BTC, fch F·BT, fchGelu H·BT (GPT-2: 15 BTC in all);
        // means/rstds 4 BT; att B·NH·T²; QK-norm rstds.
        let block = 7 * BTC + BT * F + BT * H + 4 * BT + B * NH * T * T + qkn
        var total = (L + 1) * BTC + sets * block + BTC + 2 * BT + BT * V + BT + (capped ? BT * V : 0)
        if withGradients {
            total += BTC + BTC + 3 * BTC + BTC + BT * F + (swiglu ? BT * H : 0) + B * NH * T * T + T * T
        }
        floats = total
        storage = .allocate(capacity: total)
        storage.initialize(repeating: 0, count: total)
        var cursor = storage
        func take(_ n: Int) -> FloatPointer {
            defer { cursor += n }
            return cursor
        }
        resid = take((L + 1) * BTC)
        var bl: [BlockActivations] = []
        for _ in 0..<sets {
            bl.append(
                BlockActivations(
                    ln1: take(BTC), ln1Mean: take(BT), ln1Rstd: take(BT), qkv: take(3 * BTC), att: take(B * NH * T * T),
                    atty: take(BTC), res2: take(BTC), ln2: take(BTC), ln2Mean: take(BT), ln2Rstd: take(BT),
                    fch: take(BT * F), fchGelu: take(BT * H), qkRstd: qkn > 0 ? take(qkn) : storage))
        }
        blocks = bl
        lnf = take(BTC)
        lnfMean = take(BT)
        lnfRstd = take(BT)
        logits = take(BT * V)
        losses = take(BT)
        capTanh = capped ? take(BT * V) : nil
        if withGradients {
            dR = take(BTC)
            dln = take(BTC)
            dqkv = take(3 * BTC)
            datty = take(BTC)
            dfch = take(BT * F)
            dact = swiglu ? take(BT * H) : dfch
            datt = take(B * NH * T * T)
            attScratch = take(T * T)
        } else {
            attScratch = storage
            dR = storage
            dln = storage
            dqkv = storage
            datty = storage
            dfch = storage
            dact = storage
            datt = storage
        }
        precondition(cursor - storage == total)
        tokens = .allocate(capacity: BT)
        tokens.initialize(repeating: 0, count: BT)
        targets = .allocate(capacity: BT)
        targets.initialize(repeating: 0, count: BT)
        segmentStarts = .allocate(capacity: BT)
        segmentStarts.initialize(repeating: 0, count: BT)
    }

    /// Copies per-position segment starts, checking 0 ≤ start ≤ t for every position t.
    func setSegments(_ starts: [Int32]) {
        precondition(starts.count == B * T, "segmentStarts needs one entry per position")
        for r in 0..<(B * T) {
            precondition(starts[r] >= 0 && Int(starts[r]) <= r % T, "a segment starts after its position")
            segmentStarts[r] = starts[r]
        }
    }

    deinit {
        storage.deallocate()
        tokens.deallocate()
        targets.deallocate()
        segmentStarts.deallocate()
    }
}
