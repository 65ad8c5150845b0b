// `sluice dedup …`: commands of the dedup area. Thin: parse, call SluiceDedup, print.
import ArgumentParser
import Foundation
import SluiceCore
import SluiceDedup

/// `sluice dedup`: groups the dedup subcommands.
struct DedupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedup",
        abstract: "Inspect what exact_dedup and minhash_dedup removed.",
        subcommands: [DedupReportCommand.self]
    )
}

/// `sluice dedup report OUTPUT_DIR`.
struct DedupReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print clusters, the cluster size histogram and example pairs of a finished run.",
        discussion: "Example: sluice dedup report out/dedup"
    )

    @Argument(help: "The pipeline's output folder.")
    var outputDirectory: String

    @Option(help: "Example pairs to print per minhash_dedup stage.")
    var examples = 5

    func run() throws {
        try reportingErrors {
            let report = try DedupReport.load(outputDirectory: outputDirectory)
            print(report.render(examples: max(0, examples)), terminator: "")
        }
    }
}
