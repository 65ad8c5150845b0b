// `sluice train`, `sluice eval`, `sluice generate` (and the hidden `sluice train-speed` the
// benchmarks call): parse flags, build values, call SluiceTrain. Errors print on one line.
import ArgumentParser
import Foundation
import SluiceCore
import SluiceTrain

func stderrLine(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

struct TrainSpeed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-speed", abstract: "Time training steps on random tokens (benchmarks).", shouldDisplay: false)

    @Option var layers = 4
    @Option var width = 256
    @Option var heads = 4
    @Option var context = 256
    @Option var batchSize = 8
    @Option var vocab = 8192
    @Option var steps = 10
    @Option var warmupSteps = 2
    @Option var threads = 2
    @Flag var recompute = false

    func run() throws {
        try reportingErrors {
            let r = try TrainingSpeed.measure(
                config: GPTConfig(vocabSize: vocab, contextLength: context, layers: layers, heads: heads, width: width),
                batchSize: batchSize, steps: steps, warmupSteps: warmupSteps, threads: threads, recompute: recompute)
            print(r.json)
        }
    }
}
