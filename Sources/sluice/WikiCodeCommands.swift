// `sluice wikitext`: converts wikitext (a file or standard input) to plain text with the
// `wikipedia` reader's converter, for checking what a page becomes. Reading dumps and repositories
// goes through `sluice run` / `sluice stage wikipedia|code`.
import ArgumentParser
import Foundation
import SluiceCore
import SluiceIngest

struct WikitextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wikitext",
        abstract: "Convert wikitext to plain text, as the wikipedia reader does.",
        discussion: """
            Reads a file of wikitext (or standard input) and prints its plain text; categories go \
            to standard error with --categories.
            Example: sluice wikitext page.wiki --keep-tables --keep-template lang
            """
    )

    @Argument(help: "A file of wikitext; standard input when left out.")
    var file: String?

    @Flag(help: "Keep the text of table cells instead of removing tables.")
    var keepTables = false

    @Option(help: "With tables removed, keep table cells and file captions of at least this many words (0: none).")
    var proseWords = 3

    @Option(
        name: .customLong("keep-template"),
        help: "Keep a template's text: `name` (last unnamed parameter) or `name:N`. Repeatable.")
    var keepTemplates: [String] = []

    @Flag(help: "Print the page's categories to standard error.")
    var categories = false

    func run() throws {
        try reportingErrors {
            let data: Data
            if let file {
                guard let d = FileManager.default.contents(atPath: file) else {
                    throw SluiceError(.io, "cannot read the file", file: file)
                }
                data = d
            } else {
                data = FileHandle.standardInput.readDataToEndOfFile()
            }
            guard let keep = WikitextConverter.Options.parseKeepTemplates(keepTemplates) else {
                throw ValidationError("--keep-template needs a template name")
            }
            guard proseWords >= 0 else { throw ValidationError("--prose-words must not be negative") }
            var converter = WikitextConverter(
                options: .init(keepTemplates: keep, keepTables: keepTables, proseWords: proseWords))
            let text = Array(data).withUnsafeBufferPointer { converter.convert(bytes: $0) }
            print(text)
            if categories {
                for c in converter.categories { stderrLine("category: \(c)") }
            }
        }
    }
}
