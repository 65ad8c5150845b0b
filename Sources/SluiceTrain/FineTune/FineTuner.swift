// Supervised fine-tuning (instruction tuning, as TRL's SFTTrainer): start from a pre-trained
// checkpoint, add the chat markers to its tokenizer (growing the embedding), encode every
// conversation with the chat template, pack conversations into windows in which no position
// attends across conversations, and train with the loss on assistant tokens only. Checkpoints
// carry the grown tokenizer.json and a tokenizer_config.json with the Jinja chat template.
import Foundation
import SluiceCore
import SluiceTokenize

/// Fine-tunes a checkpoint on conversations.
public final class FineTuner {
    public let options: TrainOptions
    public let sft: SFTOptions
    public let model: GPT
    /// The tokenizer with the chat markers.
    public let tokenizer: Tokenizer
    /// Markers the checkpoint's tokenizer did not have.
    public let addedTokens: [String]
    /// What reading and encoding the training and validation files did.
    public private(set) var trainCounts = SFTCounts()
    public private(set) var valCounts = SFTCounts()
    public let trainWindows: PackedWindows
    public let valWindows: PackedWindows?
    public private(set) var records: [StepRecord] = []
    public private(set) var validation: [(step: Int, loss: Double)] = []
    var optimizer: AdamW
    let schedule: LRSchedule
    let log: (String) -> Void
    let markerIDs: ChatTemplateIDs

    /// Loads the checkpoint, grows its vocabulary, reads, encodes and packs the data; every error
    /// (bad settings, missing files, unknown roles, no usable example) surfaces here.
    public init(_ o: FineTuneOptions, log: @escaping (String) -> Void = { _ in }) throws {
        let opts = o.train, sftOpts = o.sft, template = o.sft.template
        options = opts
        sft = sftOpts
        self.log = log
        let T = opts.contextLength
        guard let initFrom = opts.initFrom else { throw SluiceError(.config, "fine-tuning needs init_from") }
        BLAS.setThreads(opts.threads)
        let base = try Checkpoint.load(initFrom, threads: opts.threads)
        guard base.config.contextLength >= T else {
            throw SluiceError(
                .config, "context_length \(T) exceeds the \(base.config.contextLength) positions of \(initFrom)")
        }
        let tokPath = opts.tokenizer ?? initFrom + "/tokenizer.json"
        guard FileManager.default.fileExists(atPath: tokPath) else {
            throw SluiceError(
                .config, "no tokenizer: \(initFrom) has no tokenizer.json and data.tokenizer is not set", file: tokPath)
        }
        let baseTokenizer = try Tokenizer.load(path: tokPath)
        guard baseTokenizer.vocabSize <= base.config.vocabSize else {
            throw SluiceError(
                .config,
                "the tokenizer has \(baseTokenizer.vocabSize) ids, more than the model's \(base.config.vocabSize)",
                file: tokPath)
        }
        let (tok, added) = try template.extend(baseTokenizer)
        tokenizer = tok
        addedTokens = added
        let newRows = baseTokenizer.vocabSize..<tok.vocabSize
        let m = try base.withVocabulary(
            tok.vocabSize, newRows: newRows, initialization: GPT.NewRowInit(rawValue: sftOpts.newTokenInit) ?? .mean,
            seed: UInt64(opts.seed))
        if !added.isEmpty {
            log(
                "added \(added.joined(separator: " ")) to the tokenizer (ids \(newRows.lowerBound)…\(newRows.upperBound - 1)); "
                    + "model vocabulary \(base.config.vocabSize) → \(m.config.vocabSize), new rows: \(sftOpts.newTokenInit)"
            )
        }
        let ids = try template.ids(in: tok)
        markerIDs = ids
        m.dropout = Float(opts.dropout)
        model = m

        let encoder = try SFTEncoder(template: template, tokenizer: tok, contextLength: T)
        func load(_ paths: [String], _ counts: inout SFTCounts) throws -> PackedWindows {
            let examples = try SFTReader.read(paths: paths, template: template, counts: &counts, log: log)
            var seqs: [SFTSequence] = []
            seqs.reserveCapacity(examples.count)
            for e in examples { seqs.append(encoder.encode(e.messages, counts: &counts)) }
            counts.kept = seqs.count
            return PackedWindows(seqs, T: T, pad: ids.endOfTurn, onePerWindow: !sftOpts.pack)
        }
        var trainCounts = SFTCounts(), valCounts = SFTCounts()
        let trainWindows = try load(sftOpts.train, &trainCounts)
        guard trainWindows.targetCount > 0 else {
            throw SluiceError(
                .config, "sft.train has no usable conversation (\(JSONSerializer.string(.object(trainCounts.json))))",
                file: sftOpts.train.first)
        }
        self.trainWindows = trainWindows
        valWindows = sftOpts.val.isEmpty ? nil : try load(sftOpts.val, &valCounts)
        self.trainCounts = trainCounts
        self.valCounts = valCounts
        var opt = AdamW(parameterCount: m.params.count)
        opt.beta1 = Float(opts.beta1)
        opt.beta2 = Float(opts.beta2)
        opt.weightDecay = Float(opts.weightDecay)
        optimizer = opt
        schedule = LRSchedule(maxLR: opts.lr, minLR: opts.minLR, warmup: opts.warmup, total: opts.steps)
    }

    // MARK: - Batches

    /// The window order of epoch `epoch`: a seeded Fisher–Yates permutation.
    private func permutation(_ epoch: Int) -> [Int] {
        var p = Array(0..<trainWindows.count)
        var rng = SplitMix64(seed: UInt64(options.seed) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(epoch))
        if p.count > 1 {
            for i in stride(from: p.count - 1, to: 0, by: -1) { p.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        }
        return p
    }

    private var cachedEpoch = -1
    private var cachedOrder: [Int] = []

    /// Micro-batch `micro` of step `step`: B windows, consecutive in the epochs' shuffled orders.
    func batch(step: Int, micro: Int) -> (x: [Int32], y: [Int32], seg: [Int32]) {
        let B = options.batchSize, W = trainWindows.count
        var x: [Int32] = [], y: [Int32] = [], s: [Int32] = []
        for b in 0..<B {
            let k = (step * options.gradAccum + micro) * B + b
            if k / W != cachedEpoch {
                cachedEpoch = k / W
                cachedOrder = permutation(cachedEpoch)
            }
            let (t, g, sg) = trainWindows.window(cachedOrder[k % W])
            x += t
            y += g
            s += sg
        }
        return (x, y, s)
    }

    /// Mean loss over every assistant token of the validation windows.
    public func validationLoss() -> Double? {
        guard let valWindows, valWindows.targetCount > 0 else { return nil }
        return SFTEvaluator.loss(model: model, windows: valWindows, batchSize: options.batchSize).loss
    }

    // MARK: - Loop

    /// Trains `steps` steps, validating every `eval_every` and checkpointing every `checkpoint_every`.
    @discardableResult
    public func run() throws -> [StepRecord] {
        let fm = FileManager.default
        let out = options.out
        try fm.createDirectory(atPath: out + "/checkpoints", withIntermediateDirectories: true)
        for folder in [out + "/checkpoints", out] { Checkpoint.removeStaleTemporaries(in: folder) }
        try tokenizer.save(path: out + "/tokenizer.json")
        let B = options.batchSize, T = options.contextLength, accum = options.gradAccum
        log(
            "fine-tuning \(options.initFrom!): \(model.params.count) parameters; train \(trainCounts.kept) conversations in "
                + "\(trainWindows.count) windows of \(T) (\(trainWindows.targetCount) assistant tokens), val "
                + "\(valWindows.map { "\(valCounts.kept) conversations, \($0.targetCount) assistant tokens" } ?? "none")"
        )
        let metricsPath = out + "/metrics.jsonl"
        try atomicWrite(Data(), to: metricsPath)
        guard let metrics = FileHandle(forWritingAtPath: metricsPath) else {
            throw SluiceError(.io, "cannot open", file: metricsPath)
        }
        defer { try? metrics.close() }
        func emit(_ obj: [String: Any]) {
            if let d = try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]) {
                metrics.write(d + Data([0x0A]))
            }
        }
        if let v = validationLoss() {
            validation.append((0, v))
            emit(["step": 0, "val_loss": v])
            log(String(format: "step 0 validation loss %.4f", v))
        }
        model.prepareTraining()
        var ran = 0
        for step in 0..<options.steps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            model.zeroGradients()
            var loss = 0.0
            var tokens = 0
            for micro in 0..<accum {
                let (x, y, s) = batch(step: step, micro: micro)
                tokens += y.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
                model.dropoutSeed = UInt64(options.seed) &* 0xA24B_AED4_963E_E407 ^ (UInt64(step) << 20) ^ UInt64(micro)
                loss += model.forward(
                    tokens: x, targets: y, B: B, T: T, recompute: options.recompute, forTraining: true, segmentStarts: s
                )
                model.backward(lossScale: 1 / Float(accum))
            }
            loss /= Double(accum)
            let norm = model.gradientNorm()
            if options.gradClip > 0, norm > options.gradClip { model.scaleGradients(Float(options.gradClip / norm)) }
            let lr = schedule.rate(at: step)
            optimizer.update(model, lr: Float(lr))
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            let rec = StepRecord(
                step: step + 1, loss: loss, lr: lr, gradNorm: norm, tokensPerSecond: Double(B * T * accum) / dt, mfu: 0)
            records.append(rec)
            emit([
                "step": rec.step, "loss": rec.loss, "lr": rec.lr, "grad_norm": rec.gradNorm,
                "tokens_per_second": rec.tokensPerSecond, "assistant_tokens": tokens,
            ])
            if rec.step % options.logEvery == 0 || rec.step == options.steps {
                log(
                    String(
                        format: "step %d/%d loss %.4f lr %.3e norm %.3f %.0f tok/s", rec.step, options.steps, loss, lr,
                        norm, rec.tokensPerSecond))
            }
            ran += 1
            let done = step + 1
            let last = done == options.steps || (options.stopAfter.map { ran >= $0 } ?? false)
            if (options.evalEvery > 0 && done % options.evalEvery == 0) || last, let v = validationLoss() {
                validation.append((done, v))
                emit(["step": done, "val_loss": v])
                log(String(format: "step %d validation loss %.4f", done, v))
            }
            if (options.checkpointEvery > 0 && done % options.checkpointEvery == 0) || last {
                try saveCheckpoint(step: done)
            }
            if last { break }
        }
        let svg = LossCurve.svg(
            train: records.map { ($0.step, $0.loss) }, val: validation.map { ($0.step, $0.loss) },
            title: "fine-tuning loss — \(out)")
        try atomicWrite(Data(svg.utf8), to: out + "/loss.svg")
        return records
    }

    /// Writes `out/checkpoints/step-N` (with tokenizer.json and tokenizer_config.json) and points `out/latest` at it.
    func saveCheckpoint(step: Int) throws {
        let name = "step-" + zeroPadded(step, width: 8)
        let dir = options.out + "/checkpoints/" + name
        var config = model.config
        config.dropout = options.dropout
        config.eosTokenID = Int(markerIDs.endOfTurn)
        let state: [String: Any] = [
            "step": step, "seed": options.seed, "init_from": options.initFrom ?? "", "task": "sft",
            "train_conversations": trainCounts.kept, "train_windows": trainWindows.count,
        ]
        try Checkpoint.save(
            model: model, to: dir, optimizer: optimizer, trainerState: state,
            tokenizerPath: options.out + "/tokenizer.json",
            config: config,
            extraFiles: [
                "tokenizer_config.json": sft.template.tokenizerConfig(
                    tokenizer: tokenizer, modelMaxLength: model.config.contextLength)
            ])
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
