// Summing gradients over ranks while the backward pass goes on, as PyTorch DDP's buckets do: each
// range of the flat gradient buffer that backward has finished (`GPT.gradientsReady`) starts a
// nonblocking MPI_Iallreduce; the optimizer step waits for all of them. It does not scale
// gradients (the trainer's loss scale already divides by the global number of micro-batches).

/// The flat gradient ranges backward finishes one after another, highest offsets first: they are
/// contiguous, so neighbouring ranges can join one bucket.
extension ParameterLayout {
    /// The final norm and everything after it (an untied `lm_head`): done before the first block.
    public var headGradientRange: Range<Int> { lnfw..<count }

    /// Block `l`'s tensors (ln_1 … mlp.c_proj), which lie between its ln_1 and the next block's.
    public func blockGradientRange(_ l: Int) -> Range<Int> {
        blocks[l].ln1w..<(l + 1 < blocks.count ? blocks[l + 1].ln1w : lnfw)
    }

    /// The embeddings (wte, wpe) before block 0: finished last (a tied head adds to wte at the start
    /// of backward, the encoder at its end).
    public var embeddingGradientRange: Range<Int> { 0..<(blocks.first?.ln1w ?? lnfw) }
}

/// The buckets of one step's last backward pass on one rank.
final class GradientBuckets {
    let group: ProcessGroup
    /// Floats in the gradient buffer.
    let count: Int
    /// A finished range smaller than this (1 MiB of floats) waits for its neighbour, so the final
    /// norm's few floats ride with the last block instead of costing a collective of their own.
    static let minimumFloats = 1 << 18
    /// Finished, not yet started (grows downwards as neighbours finish).
    private var pending: Range<Int>?
    /// Started this step.
    private var started: [Range<Int>] = []
    private var base: UnsafeMutablePointer<Float>?
    private var failure: (any Error)?

    init(group: ProcessGroup, count: Int) {
        self.group = group
        self.count = count
    }

    /// `GPT.gradientsReady`: `range` of the buffer at `base` is final for this step.
    ///
    /// `base` is `GPT.grads`' storage, handed out inside `backward`: the array is never resized or
    /// copied while a step runs, so the address stays valid until `finish` has waited.
    func ready(_ base: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        self.base = base
        guard !range.isEmpty else { return }
        if let p = pending, p.lowerBound == range.upperBound {
            pending = range.lowerBound..<p.upperBound
        } else {
            if let p = pending { start(p) }
            pending = range
        }
        if let p = pending, p.count >= Self.minimumFloats {
            start(p)
            pending = nil
        }
    }

    private func start(_ r: Range<Int>) {
        guard failure == nil, let base else { return }
        do {
            try group.startSum(base + r.lowerBound, count: r.count)
            started.append(r)
        } catch {
            failure = error
        }
    }

    /// Starts what is still pending, waits for every bucket, then sums (blocking) whatever no hook
    /// announced, so that `grads` holds the sum over ranks of every gradient.
    func finish(_ grads: inout [Float]) throws {
        if let p = pending { start(p) }
        pending = nil
        defer { started.removeAll(keepingCapacity: true) }
        try group.waitForSums()
        if let failure {
            self.failure = nil
            throw failure
        }
        var gaps: [Range<Int>] = []
        var next = 0
        for r in started.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if r.lowerBound > next { gaps.append(next..<r.lowerBound) }
            next = max(next, r.upperBound)
        }
        if next < count { gaps.append(next..<count) }
        guard !gaps.isEmpty else { return }
        try grads.withUnsafeMutableBufferPointer { g in
            for r in gaps { try group.sumInPlace(g.baseAddress! + r.lowerBound, count: r.count) }
        }
    }
}
