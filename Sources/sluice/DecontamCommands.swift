// `sluice decontam …`: commands of the decontamination area. Thin: parse, call SluiceDedup, print.
import ArgumentParser
import Foundation
import SluiceCore
import SluiceDedup

/// `sluice decontam`: groups the decontamination subcommands.
struct DecontamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decontam",
        abstract: "Inspect what the decontaminate stage matched against evaluation sets.",
        subcommands: [DecontamReportCommand.self]
    )
}

/// `sluice decontam report OUTPUT_DIR`.
struct DecontamReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print, per evaluation set, the matched n-grams (likely boilerplate flagged) and documents.",
        discussion: "Example: sluice decontam report out/commoncrawl"
    )

    @Argument(help: "The pipeline's output folder.")
    var outputDirectory: String

    func run() throws {
        do {
            print(try DecontamReport.load(outputDirectory: outputDirectory).render(), terminator: "")
        } catch let error as SluiceError {
            FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
