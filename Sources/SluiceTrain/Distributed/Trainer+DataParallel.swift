// Data-parallel training over a `ProcessGroup` (llm.c's MPI trainer, PyTorch DDP): every rank
// holds the whole model, runs its slice of each step's micro-batches, and sums gradients with
// the others before the identical optimizer step. It does not shard parameters or optimizer state.
import Foundation
import SluiceCore

extension TrainOptions {
    /// The options each of `ranks` ranks runs with. With `global_batch` (sequences per optimizer
    /// step over all ranks), `grad_accum` becomes global_batch / (batch_size × ranks), so one
    /// configuration gives the same batches, hence the same run, on any number of ranks.
    /// - Throws: a config error when batch_size × ranks does not divide global_batch.
    public func forRanks(_ ranks: Int) throws -> TrainOptions {
        precondition(ranks >= 1)
        guard let g = globalBatch else { return self }
        let perAccum = batchSize * ranks
        guard g % perAccum == 0 else {
            let counts = (1...g).filter { g % (batchSize * $0) == 0 }.map(String.init).joined(separator: ", ")
            throw SluiceError(
                .config,
                "train.global_batch \(g) is not a multiple of batch_size \(batchSize) × \(ranks) rank\(ranks == 1 ? "" : "s") = \(perAccum)"
                    + (counts.isEmpty
                        ? "; global_batch must be a multiple of batch_size"
                        : "; rank counts that divide it: \(counts)"))
        }
        var o = self
        o.gradAccum = g / perAccum
        return o
    }
}

extension Trainer {
    /// Builds the trainer on every rank of `group` and makes sure they can train together: a rank
    /// that fails to start fails them all (one message, from the failing rank's error), and ranks
    /// whose configuration, data or starting weights differ stop with the first difference named.
    /// Call it on every rank, collectively.
    public static func start(group: ProcessGroup, build: () throws -> Trainer) throws -> Trainer {
        var trainer: Trainer?
        var failure: (any Error)?
        do { trainer = try build() } catch { failure = error }
        try group.agree(failure)
        let t = trainer!
        try group.agree(onDescription: t.replicaDescription)
        t.group = group
        t.buckets = GradientBuckets(group: group, count: t.model.params.count)
        return t
    }

    /// What must be equal on every rank, as `field: value` joined by "; ": every option, the
    /// data's identity and size, the step to start from, and a hash of the starting weights and
    /// optimizer state.
    var replicaDescription: String {
        var fields = Mirror(reflecting: options).children.map { "\($0.label ?? "?"): \($0.value)" }
        fields.append(
            "training data: \(train.label), \(train.tokenCount) tokens, tokenizer \(hex(train.tokenizerFingerprint ?? 0))"
        )
        fields.append("validation data: \(val.map { "\($0.label), \($0.tokenCount) tokens" } ?? "none")")
        fields.append("start step: \(startStep)")
        fields.append("weights and optimizer state: hash \(hex(stateHash()))")
        return fields.joined(separator: "; ")
    }

    /// A hash of the parameters and both Adam moments (bit patterns), in 64 fixed chunks.
    func stateHash() -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for buffer in [model.params, optimizer.m, optimizer.v] {
            h = (h ^ UInt64(buffer.count)) &* 0x100_0000_01b3
            buffer.withUnsafeBufferPointer { b in
                for x in b { h = (h ^ UInt64(x.bitPattern)) &* 0x100_0000_01b3 }
            }
        }
        return h
    }

    /// Whether buckets start during backward; `SLUICE_ALLREDUCE_OVERLAP=0` leaves all of the sum to one
    /// blocking MPI_Allreduce after backward (the benchmark's comparison).
    static let overlapAllreduce = ProcessInfo.processInfo.environment["SLUICE_ALLREDUCE_OVERLAP"] != "0"

    /// Before the last backward pass of a step: lets backward start summing each finished
    /// bucket over the ranks (nothing in one process).
    func startGradientSum() {
        guard let buckets, Self.overlapAllreduce else { return }
        model.gradientsReady = { base, range in buckets.ready(base, range) }
    }

    /// After the step's backward passes: waits until `model.grads` holds the sum over ranks and
    /// turns `loss` (this rank's sum of micro-batch losses) into the sum over ranks.
    /// - Returns: seconds spent in reductions this step (0 in one process).
    func finishGradientSum(loss: inout Double) throws -> Double {
        guard let group, let buckets else { return 0 }
        model.gradientsReady = nil
        try buckets.finish(&model.grads)
        loss = try group.sum([loss])[0]
        return group.takeCommunicationSeconds()
    }

    /// Before a checkpoint: checks that every rank holds the same weights and optimizer state and,
    /// should a reduction ever have given ranks different sums, copies rank 0's to all (logged), so
    /// the checkpoint is every rank's state and a resumed run continues as this one does.
    func synchronizeReplicas() throws {
        guard let group else { return }
        let hashes = try group.gather(stateHash())
        guard hashes.contains(where: { $0 != hashes[0] }) else { return }
        try model.params.withUnsafeMutableBufferPointer {
            try group.broadcast($0.baseAddress!, count: $0.count, from: 0)
        }
        try optimizer.m.withUnsafeMutableBufferPointer {
            try group.broadcast($0.baseAddress!, count: $0.count, from: 0)
        }
        try optimizer.v.withUnsafeMutableBufferPointer {
            try group.broadcast($0.baseAddress!, count: $0.count, from: 0)
        }
        let odd = hashes.indices.filter { hashes[$0] != hashes[0] }.map(String.init).joined(separator: ", ")
        log(
            "ranks \(odd) had drifted from rank 0 (reduction order); copied rank 0's weights and optimizer state to every rank"
        )
    }
}
