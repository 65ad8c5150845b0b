// The training loop: deterministic random windows from a token stream, gradient accumulation,
// clipping, AdamW with warm-up + cosine, validation, metrics.jsonl, a loss-curve SVG, atomic
// checkpoints and exact resumption. Batches depend only on (seed, step), never on history, so a
// resumed run sees the batches an uninterrupted run would have seen.
import Foundation
import SluiceCore

/// One optimizer step as logged.
public struct StepRecord: Sendable, Equatable {
    public var step: Int
    public var loss: Double
    public var lr: Double
    public var gradNorm: Double
    public var tokensPerSecond: Double
    public var mfu: Double
    /// Seconds this step spent in reductions over ranks (0 in one process).
    public var allreduceSeconds = 0.0
}

/// Trains a GPT on token streams.
public final class Trainer {
    public let options: TrainOptions
    public let model: GPT
    public internal(set) var optimizer: AdamW
    /// Muon for the hidden matrices (`train.optimizer: muon`); nil with AdamW alone.
    public private(set) var muon: Muon?
    /// First step this invocation runs (the checkpoint's step when resuming).
    public let startStep: Int
    public private(set) var records: [StepRecord] = []
    public private(set) var validation: [(step: Int, loss: Double)] = []
    let train: any TokenStream
    let val: (any TokenStream)?
    /// The tokenizer.json copied into checkpoints (for MLM, the data's tokenizer with `[MASK]` added).
    let tokenizerPath: String?
    /// BERT's masking when `model.objective` is mlm; nil for causal runs.
    public let masking: MaskedLM?
    let log: (String) -> Void
    let schedule: LRSchedule
    /// The ranks of a data-parallel run (`Trainer.start(group:)`); nil trains in this process alone.
    public internal(set) var group: ProcessGroup?
    var buckets: GradientBuckets?

    /// Checks data, shapes and checkpoints (all errors surface here, before any step), then builds,
    /// loads or resumes the model.
    /// - Parameters:
    ///   - train: training tokens; when `val` is nil and `valFraction` > 0, its tail is held out.
    ///   - log: receives one human-readable line per event (the CLI prints them to stderr).
    public init(
        options: TrainOptions, train: any TokenStream, val: (any TokenStream)?, tokenizerPath: String?,
        log: @escaping (String) -> Void = { _ in }
    ) throws {
        self.options = options
        let mlm =
            options.objective == .mlm ? try MaskedLM.prepare(options, train: train, tokenizerPath: tokenizerPath) : nil
        masking = mlm?.masking
        self.tokenizerPath = mlm != nil ? mlm!.tokenizerPath : tokenizerPath
        self.log = log
        let T = options.contextLength
        if let v = val, let a = train.tokenizerFingerprint, let b = v.tokenizerFingerprint, a != b {
            throw SluiceError(
                .config,
                "validation data \(v.label) was made by another tokenizer (fingerprint \(hex(b)) vs \(hex(a)) for \(train.label))"
            )
        }
        if let v = val, v.vocabSize != train.vocabSize {
            throw SluiceError(
                .config, "validation vocabulary \(v.vocabSize) differs from training vocabulary \(train.vocabSize)")
        }
        var trainStream = train
        var valStream = val
        if val == nil && options.valFraction > 0 {
            let held = Int(Double(train.tokenCount) * options.valFraction)
            if held >= T + 1 {
                trainStream = SliceTokenStream(train, 0..<(train.tokenCount - held))
                valStream = SliceTokenStream(train, (train.tokenCount - held)..<train.tokenCount)
            }
        }
        guard trainStream.tokenCount >= T + 1 else {
            throw SluiceError(
                .config,
                "training data \(train.label) has \(trainStream.tokenCount) tokens; context_length \(T) needs at least \(T + 1)"
            )
        }
        if let v = valStream, v.tokenCount < T + 1 {
            throw SluiceError(
                .config,
                "validation data \(v.label) has \(v.tokenCount) tokens; context_length \(T) needs at least \(T + 1)")
        }
        self.train = trainStream
        self.val = valStream
        BLAS.setThreads(options.threads)

        var wanted = options.modelConfig(vocab: mlm?.masking.vocab ?? train.vocabSize, eos: train.eosID)
        if let m = mlm?.masking {
            guard wanted.vocabSize > Int(m.maskID) else {
                throw SluiceError(
                    .config,
                    "model.vocab_size \(wanted.vocabSize) has no room for the \(MaskedLM.maskToken) token (id \(m.maskID)); "
                        + "use at least \(m.vocab) or leave vocab_size out")
            }
            wanted.maskTokenID = Int(m.maskID)
        }
        let latest = options.out + "/latest"
        if options.resume {
            guard FileManager.default.fileExists(atPath: latest + "/config.json") else {
                throw SluiceError(.config, "nothing to resume: no checkpoint at \(latest)")
            }
            let m = try Checkpoint.load(latest, threads: options.threads)
            try checkObjective(of: m.config, in: latest, against: wanted)
            try checkCheckpointTokenizer(latest, against: train, log: log)
            if options.initFrom == nil,
                m.config.contextLength != wanted.contextLength || m.config.layers != wanted.layers
                    || m.config.heads != wanted.heads || m.config.width != wanted.width
                    || m.config.vocabSize != wanted.vocabSize
            {
                throw SluiceError(
                    .config,
                    "the checkpoint in \(latest) has another model shape than the configuration; resume with the same model settings"
                )
            }
            if options.initFrom == nil, !m.config.sameArchitecture(as: wanted) {
                throw SluiceError(
                    .config,
                    "the checkpoint in \(latest) has another architecture (\(m.config.architectureSummary)) than the configuration (\(wanted.architectureSummary)); resume with the same model settings"
                )
            }
            model = m
            optimizer = try Checkpoint.loadOptimizer(latest, parameterCount: m.params.count)
            if optimizer.muon != (options.optimizer == "muon") {
                throw SluiceError(
                    .config,
                    "the checkpoint in \(latest) was trained with \(optimizer.muon ? "muon" : "adamw"), the configuration says \(options.optimizer); resume with the same optimizer"
                )
            }
            startStep = (Checkpoint.trainerState(latest)?["step"] as? Int) ?? optimizer.step
        } else {
            if let initFrom = options.initFrom {
                model = try Checkpoint.load(initFrom, threads: options.threads)
                try checkObjective(of: model.config, in: initFrom, against: wanted)
                try checkCheckpointTokenizer(initFrom, against: train, log: log)
                guard model.config.contextLength >= T else {
                    throw SluiceError(
                        .config,
                        "context_length \(T) exceeds the \(model.config.contextLength) positions of \(initFrom)")
                }
            } else {
                model = try GPT(config: wanted, threads: options.threads)
                model.initialize(seed: UInt64(options.seed))
            }
            optimizer = AdamW(parameterCount: model.params.count)
            optimizer.muon = options.optimizer == "muon"
            startStep = 0
        }
        if optimizer.muon {
            var mu = Muon(layout: model.layout)
            mu.momentum = Float(options.muonMomentum)
            mu.weightDecay = Float(options.muonWeightDecay)
            muon = mu
        }
        guard train.vocabSize <= model.config.vocabSize else {
            throw SluiceError(
                .config,
                "the data's vocabulary (\(train.vocabSize)) does not fit the model's vocab_size \(model.config.vocabSize)"
            )
        }
        model.dropout = Float(options.dropout)
        optimizer.beta1 = Float(options.beta1)
        optimizer.beta2 = Float(options.beta2)
        optimizer.weightDecay = Float(options.weightDecay)
        schedule = LRSchedule(maxLR: options.lr, minLR: options.minLR, warmup: options.warmup, total: options.steps)
    }

    // MARK: - Batches

    /// The `B` windows of micro-batch `micro` of step `step`: inputs and next-token targets (MLM:
    /// corrupted inputs and the chosen originals, the masks drawn from (seed, step, micro) too).
    func batch(step: Int, micro: Int) throws -> ([Int32], [Int32]) {
        let B = options.batchSize, T = options.contextLength
        var rng = SplitMix64(seed: UInt64(options.seed) &* 0x9E37_79B9_7F4A_7C15 ^ (UInt64(step) << 16) ^ UInt64(micro))
        if let masking {
            var maskRNG = SplitMix64(
                seed: UInt64(options.seed) &* 0xD1B5_4A32_D192_ED03 ^ (UInt64(step) << 16) ^ UInt64(micro))
            return try maskedWindows(B: B, T: T, masking: masking, rng: &maskRNG) { _ in
                Int(rng.next() % UInt64(train.tokenCount - T))
            }
        }
        var x = [Int32](), y = [Int32]()
        x.reserveCapacity(B * T)
        y.reserveCapacity(B * T)
        let span = UInt64(train.tokenCount - T)
        for _ in 0..<B {
            let start = Int(rng.next() % span)
            let w = try train.read(start..<(start + T + 1))
            try checkIDs(w, vocab: model.config.vocabSize, source: train.label, at: start)
            x += w[0..<T]
            y += w[1...]
        }
        return (x, y)
    }

    /// Mean loss over `evalBatches` × B consecutive windows of the validation data (MLM: the
    /// masked-token loss, with masks drawn from the seed and the batch index only, the same at every evaluation).
    public func validationLoss() throws -> Double? {
        guard let val else { return nil }
        let B = options.batchSize, T = options.contextLength
        let windows = max(1, (val.tokenCount - 1) / T)
        var sum = 0.0, n = 0
        for k in stride(from: group?.rank ?? 0, to: options.evalBatches, by: group?.size ?? 1) {
            if let masking {
                var maskRNG = SplitMix64(seed: UInt64(options.seed) &* 0x94D0_49BB_1331_11EB ^ UInt64(k))
                let (x, y) = try maskedWindows(B: B, T: T, masking: masking, rng: &maskRNG, from: val) { b in
                    ((k * B + b) % windows) * T
                }
                sum += model.forward(tokens: x, targets: y, B: B, T: T, recompute: options.recompute)
                n += 1
                continue
            }
            var x = [Int32](), y = [Int32]()
            for b in 0..<B {
                let start = ((k * B + b) % windows) * T
                let w = try val.read(start..<(start + T + 1))
                try checkIDs(w, vocab: model.config.vocabSize, source: val.label, at: start)
                x += w[0..<T]
                y += w[1...]
            }
            sum += model.forward(tokens: x, targets: y, B: B, T: T, recompute: options.recompute)
            n += 1
        }
        if let group {  // each rank evaluated every size-th micro-batch
            let total = try group.sum([sum, Double(n)])
            (sum, n) = (total[0], Int(total[1]))
        }
        return sum / Double(n)
    }

    // MARK: - Loop

    /// Runs from `startStep` to `steps` (or `stopAfter` steps), logging, validating and checkpointing.
    @discardableResult
    public func run() throws -> [StepRecord] {
        let fm = FileManager.default
        let out = options.out
        let ranks = group?.size ?? 1, rank = group?.rank ?? 0, writes = rank == 0  // rank 0 writes the run folder
        try fm.createDirectory(atPath: out + "/checkpoints", withIntermediateDirectories: true)
        if writes { removeStaleTemporaries() }
        let peak = PeakFLOPS.forTraining(threads: options.threads)
        let B = options.batchSize, T = options.contextLength, accum = options.gradAccum
        let flopsPerStep = model.config.trainingFLOPsPerToken(T: T) * Double(B * T * accum * ranks)
        log(
            "model: \(model.config.layers) layers, width \(model.config.width), \(model.config.heads) heads, "
                + "vocab \(model.config.vocabSize), \(model.params.count) parameters; "
                + "train \(train.tokenCount) tokens, val \(val?.tokenCount ?? 0); "
                + "MFU over a peak of \(String(format: "%.1f", peak.flops / 1e9)) GFLOP/s (\(peak.source))")
        if !model.config.isGPT2 || model.config.zeroInitProjections || muon != nil {
            log(
                "architecture: \(model.config.architectureSummary); optimizer \(muon == nil ? "adamw" : "muon (hidden matrices) + adamw")"
            )
        }
        if tokenizerPath == nil {
            log(
                "no tokenizer.json beside the shards and no data.tokenizer: checkpoints will carry none, "
                    + "and `sluice eval` needs one")
        }
        let metricsPath = out + "/metrics.jsonl"
        if writes { try prepareMetrics(metricsPath) }
        let metrics = writes ? FileHandle(forWritingAtPath: metricsPath) : nil
        if writes && metrics == nil { throw SluiceError(.io, "cannot open", file: metricsPath) }
        defer { try? metrics?.close() }
        _ = try metrics?.seekToEnd()
        func emit(_ obj: [String: Any]) {
            if let metrics, let d = try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]) {
                metrics.write(d + Data([0x0A]))
            }
        }
        model.prepareTraining()
        var ran = 0
        var step = startStep
        while step < options.steps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            model.zeroGradients()
            var loss = 0.0
            for micro in 0..<accum {
                let global = rank * accum + micro  // this rank's slice of the step's ranks × accum micro-batches
                let (x, y) = try batch(step: step, micro: global)
                model.dropoutSeed =
                    UInt64(options.seed) &* 0xA24B_AED4_963E_E407 ^ (UInt64(step) << 20) ^ UInt64(global)
                loss += model.forward(
                    tokens: x, targets: y, B: B, T: T, recompute: options.recompute, forTraining: true)
                if micro == accum - 1 { startGradientSum() }
                model.backward(lossScale: 1 / Float(accum * ranks))
            }
            let allreduce = try finishGradientSum(loss: &loss)
            loss /= Double(accum * ranks)
            let norm = model.gradientNorm()
            if options.gradClip > 0, norm > options.gradClip { model.scaleGradients(Float(options.gradClip / norm)) }
            let lr = schedule.rate(at: step)
            optimizerStep(lr: lr)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            let rec = StepRecord(
                step: step + 1, loss: loss, lr: lr, gradNorm: norm, tokensPerSecond: Double(B * T * accum * ranks) / dt,
                mfu: peak.mfu(flopsPerStep / dt / Double(ranks)), allreduceSeconds: allreduce)
            records.append(rec)
            var fields: [String: Any] = [
                "step": rec.step, "loss": rec.loss, "lr": rec.lr, "grad_norm": rec.gradNorm,
                "tokens_per_second": rec.tokensPerSecond, "mfu": rec.mfu,
            ]
            if group != nil { fields["allreduce_seconds"] = allreduce }
            emit(fields)
            if rec.step % options.logEvery == 0 || rec.step == options.steps {
                log(
                    String(
                        format: "step %d/%d loss %.4f lr %.3e norm %.3f %.0f tok/s MFU %.1f%%", rec.step, options.steps,
                        loss, lr,
                        norm, rec.tokensPerSecond, rec.mfu * 100))
            }
            step += 1
            ran += 1
            let last = step == options.steps
            if (options.evalEvery > 0 && step % options.evalEvery == 0) || last, let v = try validationLoss() {
                validation.append((step, v))
                emit(["step": step, "val_loss": v])
                log(String(format: "step %d validation loss %.4f", step, v))
            }
            if (options.checkpointEvery > 0 && step % options.checkpointEvery == 0) || last {
                try synchronizeReplicas()
                if writes { try saveCheckpoint(step: step) }
            }
            if let stop = options.stopAfter, ran >= stop { break }
        }
        if writes { try writeCurve(metricsPath) }
        return records
    }

    /// One optimizer step at the scheduled rate `lr` of the `train.lr` group; the other groups
    /// (embeddings, head, Muon matrices) follow the same schedule scaled to their own peak.
    private func optimizerStep(lr: Double) {
        let factor = options.lr > 0 ? lr / options.lr : 0
        let o = options, isMuon = muon != nil
        if !isMuon && o.embeddingLR == nil && o.headLR == nil {
            optimizer.update(model, lr: Float(lr))
        } else {
            optimizer.update(model) { t in
                if isMuon && t.isHiddenMatrix { return nil }
                let peak = o.peakLR(of: t)
                return Float(peak == o.lr ? lr : peak * factor)
            }
        }
        if var mu = muon {
            muon = nil  // keeps one reference to the scratch buffers while they are written
            mu.update(model, buffers: &optimizer.m, lr: Float(o.muonLR * factor))
            muon = mu
        }
    }

    /// Keeps the metrics of steps up to `startStep` (a resumed run rewrites what came after).
    private func prepareMetrics(_ path: String) throws {
        var kept = Data()
        if startStep > 0, let d = FileManager.default.contents(atPath: path) {
            for line in d.split(separator: 0x0A) {
                if let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                    let s = o["step"] as? Int, s <= startStep
                {
                    kept.append(Data(line) + Data([0x0A]))
                }
            }
        }
        try atomicWrite(kept, to: path)
    }

    private func writeCurve(_ metricsPath: String) throws {
        var tr: [(Int, Double)] = [], va: [(Int, Double)] = []
        if let d = FileManager.default.contents(atPath: metricsPath) {
            for line in d.split(separator: 0x0A) {
                guard let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                    let s = o["step"] as? Int
                else { continue }
                if let l = o["loss"] as? Double { tr.append((s, l)) }
                if let l = o["val_loss"] as? Double { va.append((s, l)) }
            }
        }
        let svg = LossCurve.svg(train: tr, val: va, title: "loss — \(options.out)")
        try atomicWrite(Data(svg.utf8), to: options.out + "/loss.svg")
    }

    /// Removes what a killed checkpoint write left under a temporary name (`step-N.tmp-PID`,
    /// `latest.tmp-PID`) once process PID is gone; nothing reads those names.
    func removeStaleTemporaries() {
        for folder in [options.out + "/checkpoints", options.out] {
            for name in Checkpoint.removeStaleTemporaries(in: folder) {
                log("removed \(folder)/\(name), left by a killed run")
            }
        }
    }

    /// Writes `out/checkpoints/step-N`, points `out/latest` at it (atomic symlink swap) and prunes old ones.
    func saveCheckpoint(step: Int) throws {
        let name = "step-" + zeroPadded(step, width: 8)
        let dir = options.out + "/checkpoints/" + name
        var state: [String: Any] = [
            "step": step, "seed": options.seed,
            "tokens_seen": step * options.batchSize * options.contextLength * options.gradAccum * (group?.size ?? 1),
            "ranks": group?.size ?? 1,
        ]
        if let masking { state["objective"] = "mlm"; state["mlm_probability"] = masking.probability }
        // The run's configuration, not the loaded one: a resumed or --init-from model's config.json
        // carries no dropout of this run (Hugging Face's pdrop keys are read as 0).
        var config = model.config
        config.dropout = options.dropout
        try Checkpoint.save(
            model: model, to: dir, optimizer: optimizer, trainerState: state, tokenizerPath: tokenizerPath,
            config: config)
        let link = options.out + "/latest", tmp = link + ".tmp-\(getpid())"
        unlink(tmp)
        guard symlink("checkpoints/" + name, tmp) == 0, rename(tmp, link) == 0 else {
            throw SluiceError(.io, "cannot update the latest-checkpoint link", file: link)
        }
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: options.out + "/checkpoints")) ?? [])
            .filter { $0.hasPrefix("step-") && !$0.contains(".") }.sorted()
        for old in all.dropLast(options.keepCheckpoints) where old != name {
            try? FileManager.default.removeItem(atPath: options.out + "/checkpoints/" + old)
        }
        log("checkpoint \(dir)")
    }
}

func hex(_ v: UInt64) -> String { String(v, radix: 16) }

/// Throws `corruptInput` when a window holds an id the model has no embedding for (a damaged shard).
func checkIDs(_ ids: [Int32], vocab: Int, source: String, at start: Int) throws {
    for (i, id) in ids.enumerated() where id < 0 || Int(id) >= vocab {
        throw SluiceError(
            .corruptInput, "token id \(id) at token \(start + i) is outside the vocabulary of \(vocab)", file: source)
    }
}
