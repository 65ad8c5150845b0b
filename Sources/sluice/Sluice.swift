// The `sluice` command: parses arguments and calls the libraries. Each area adds its command
// type to `subcommands` below (one per line); commands live one area per file.
import ArgumentParser
import Foundation
import Logging

@main
struct Sluice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Training data for language models: crawl → clean → dedup → tokenize → train.",
        subcommands: [
            RunCommand.self,
            StageCommand.self,
            StagesCommand.self,
            StatsCommand.self,
            VerifyCommand.self,
            TokenizerCommand.self,
            ShardsCommand.self,
            ClassifierCommand.self,
            CleanVerdicts.self,
            DedupCommand.self,
            DecontamCommand.self,
            Inspect.self,
            Extract.self,
            Train.self,
            Eval.self,
            Generate.self,
            Quantize.self,
            Finetune.self,
            Serve.self,
            SlurmCommand.self,
            WikitextCommand.self,
            ReportCommand.self,
            ShowCommand.self,
            DevCommand.self,
            AblateCommand.self,
        ]
    )

    /// Sends logs to stderr (level from `SLUICE_LOG`: trace, debug, info, warning — the default —
    /// or error), then parses and runs the command.
    static func main() {
        startWithOneBLASThread()
        let level = ProcessInfo.processInfo.environment["SLUICE_LOG"].flatMap {
            Logger.Level(rawValue: $0.lowercased())
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level ?? .warning
            return handler
        }
        Self.main(nil)
    }
}

/// OpenBLAS starts its thread pool when the binary loads, and the idle threads spin on
/// sched_yield for a while: about 0.1 CPU-second in every process, whether it multiplies a matrix
/// or only reads a WARC file. Only training, evaluation and generation use BLAS, and they set
/// their thread count explicitly (OpenBLAS adds threads on demand), so the process starts with
/// one: when `OPENBLAS_NUM_THREADS` is unset, set it and re-execute this binary (same pid, same
/// arguments) before OpenBLAS has done anything that matters. A value the user set is kept.
func startWithOneBLASThread() {
    guard getenv("OPENBLAS_NUM_THREADS") == nil else { return }
    setenv("OPENBLAS_NUM_THREADS", "1", 1)
    let argv = CommandLine.unsafeArgv
    execv("/proc/self/exe", argv)
    // exec failed (no /proc): carry on with OpenBLAS's default pool.
}
