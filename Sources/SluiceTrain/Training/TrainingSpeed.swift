// Timing full training steps (forward, backward, clipping, AdamW) on random tokens, with the
// SGEMM peak measured in the same process: what `sluice train-speed` and the benchmarks report.
import Foundation
import SluiceCore

/// Throughput of training steps.
public struct TrainingSpeed: Sendable {
    public var parameters: Int
    public var tokensPerSecond: Double
    /// Model FLOP/s achieved (training FLOPs per token × tokens/s).
    public var flops: Double
    /// SGEMM FLOP/s measured just before.
    public var peak: Double
    /// The load-independent peak the trainer divides by (`PeakFLOPS.forTraining`).
    public var ceiling: PeakFLOPS
    /// Model FLOP/s over the SGEMM peak of the same process.
    public var mfu: Double { flops / peak }
    public var json: String {
        "{\"parameters\": \(parameters), \"tokens_per_second\": \(fmt(tokensPerSecond)), \"model_gflops\": \(fmt(flops / 1e9)), "
            + "\"sgemm_peak_gflops\": \(fmt(peak / 1e9)), \"mfu\": \(fmt(mfu)), "
            + "\"ceiling_gflops\": \(fmt(ceiling.flops / 1e9)), "
            + "\"mfu_of_ceiling\": \(fmt(ceiling.mfu(flops))), \"ceiling_source\": \"\(ceiling.source)\"}"
    }

    /// Median tokens/s over `steps` timed steps after `warmupSteps` untimed ones.
    public static func measure(
        config: GPTConfig, batchSize B: Int, steps: Int, warmupSteps: Int, threads: Int, recompute: Bool
    ) throws -> TrainingSpeed {
        BLAS.setThreads(threads)
        let peak = BLAS.measurePeak()
        let ceiling = PeakFLOPS.forTraining(threads: threads, fallback: { peak })
        let model = try GPT(config: config, threads: threads)
        model.initialize(seed: 1)
        model.prepareTraining()
        var opt = AdamW(parameterCount: model.params.count)
        let T = config.contextLength
        var rng = SplitMix64(seed: 2)
        // An MLM config times BERT's masking too (the loss on 15 % of the positions).
        let masking = config.maskTokenID.map { MaskedLM(maskID: Int32($0), vocab: config.vocabSize) }
        var times: [Double] = []
        for s in 0..<(warmupSteps + max(1, steps)) {
            let seq = (0..<(B * T + 1)).map { _ in Int32(rng.next() % UInt64(config.vocabSize)) }
            let t0 = DispatchTime.now().uptimeNanoseconds
            model.zeroGradients()
            var x = Array(seq[0..<(B * T)]), y = Array(seq[1...])
            if let masking { y = masking.corrupt(&x, B: B, T: T, rng: &rng) }
            model.forward(tokens: x, targets: y, B: B, T: T, recompute: recompute, forTraining: true)
            model.backward()
            let n = model.gradientNorm()
            if n > 1 { model.scaleGradients(Float(1 / n)) }
            opt.update(model, lr: 1e-4)
            if s >= warmupSteps { times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9) }
        }
        times.sort()
        let dt = times[times.count / 2]
        let tps = Double(B * T) / dt
        return TrainingSpeed(
            parameters: model.params.count, tokensPerSecond: tps, flops: tps * config.trainingFLOPsPerToken(T: T),
            peak: peak, ceiling: ceiling)
    }
}
