// `sluice report` and `sluice show`: parse flags and call SluiceReport. The report page and the
// terminal listing are built there; nothing here reads run folders.
import ArgumentParser
import Foundation
import SluiceCore
import SluiceReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report of a run (or two runs side by side).",
        discussion: """
            Writes OUT/report/index.html (with two runs: A/report/compare.html): the funnel per pass \
            and stage, drops per reason with kept examples, length and score distributions, dedup, \
            tokenizer, shards and training curves, and the configuration. It reads the stats and the \
            kept samples, never the whole corpus. See docs/report.md.
            Example: sluice report out/quickstart --tokenized out/tokenize --training out/train-quickstart
            """
    )

    @Argument(help: "The output folder of a run; a second folder compares the two.")
    var runs: [String]

    @Option(help: "Write the page here instead.")
    var output: String?

    @Option(
        help: ArgumentHelp(
            "A `sluice run` folder that tokenized the run's outputs (tokenizer.json, shards): its tokens in the funnel, the tokenizer and shards sections. Once per run, in order.",
            valueName: "folder"))
    var tokenized: [String] = []

    @Option(
        help: ArgumentHelp(
            "A `sluice train --out` folder trained on them: loss, validation and tokens/s curves, and its eval*.json results. Once per run, in order.",
            valueName: "folder"))
    var training: [String] = []

    func validate() throws {
        if runs.isEmpty || runs.count > 2 { throw ValidationError("give one run folder, or two to compare") }
        if tokenized.count > runs.count {
            throw ValidationError("--tokenized: at most one per run folder (\(runs.count))")
        }
        if training.count > runs.count {
            throw ValidationError("--training: at most one per run folder (\(runs.count))")
        }
    }

    func run() throws {
        try reportingErrors {
            let companions = runs.indices.map { i in
                (i < tokenized.count ? [tokenized[i]] : []) + (i < training.count ? [training[i]] : [])
            }
            let path = try HTMLReport.write(runs: runs, output: output, companions: companions)
            print(path)
        }
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print kept dropped documents of a run, with what fired highlighted.",
        discussion: """
            Reads the samples that `dropped:` kept. Colour on a terminal, plain text otherwise \
            (NO_COLOR turns it off). `--reason edit:STAGE` shows before/after pairs.
            Example: sluice show out/quickstart --reason c4:too_few_sentences --n 5
            """
    )

    @Argument(help: "The output folder of a run.")
    var outputDirectory: String

    @Option(help: "The drop reason (stage:rule); all reasons when left out.")
    var reason: String?

    @Option(name: .customLong("n"), help: "How many documents to print.")
    var count = 5

    func validate() throws {
        if count < 1 { throw ValidationError("--n must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            let environment = ProcessInfo.processInfo.environment
            let color = isatty(STDOUT_FILENO) != 0 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
            print(
                try DroppedListing.render(root: outputDirectory, reason: reason, count: count, color: color),
                terminator: "")
        }
    }
}
