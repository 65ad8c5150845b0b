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
            TokenizerCommand.self,
            ShardsCommand.self,
            ClassifierCommand.self,
            CleanVerdicts.self,
            DedupCommand.self,
            Inspect.self,
            Extract.self,
            Train.self,
            Eval.self,
            Generate.self,
            TrainSpeed.self,
            SlurmCommand.self,
            WikitextCommand.self,
        ]
    )

    /// Sends logs to stderr (level from `SLUICE_LOG`: trace, debug, info, warning — the default —
    /// or error), then parses and runs the command.
    static func main() {
        let level = ProcessInfo.processInfo.environment["SLUICE_LOG"].flatMap { Logger.Level(rawValue: $0.lowercased()) }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level ?? .warning
            return handler
        }
        Self.main(nil)
    }
}
