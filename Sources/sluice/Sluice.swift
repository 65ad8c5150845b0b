// The `sluice` command: parses arguments and calls the libraries. Each area adds its command
// type to `subcommands` below; commands live one area per file.
import ArgumentParser

@main
struct Sluice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Training data for language models: crawl → clean → dedup → tokenize → train.",
        subcommands: [TrainSpeed.self]
    )
}
