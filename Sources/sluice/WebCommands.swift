// Web commands: `sluice inspect warc` lists WARC records; `sluice extract` prints the main text of
// HTML pages. Thin: parse arguments, call SluiceIngest, print.
import ArgumentParser
import Foundation
import SluiceCore
import SluiceIngest

/// `sluice inspect …`: look inside input files.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look inside input files (WARC records, …).", subcommands: [InspectWARC.self])
}

/// `sluice inspect warc FILE...`
struct InspectWARC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warc",
        abstract: "Print one JSON object per WARC record; bad records go to stderr.",
        discussion: """
            Keys: offset (of the record in the file as stored: the gzip member for .warc.gz), type, uri, \
            date, content_type, length, record_id, and truncated (why) for a record kept although \
            cut short or mis-sized: the records the warc reader reads.
            """)

    @Argument(help: "WARC files (.warc, .warc.gz, .warc.zst).")
    var files: [String]

    func run() throws {
        // A file that cannot be read is reported and the next one is listed; the exit status says so.
        var failed = false
        var out = StandardOutput()
        for f in files {
            do {
                _ = try WARCInspector.list(path: f, out: { out.write($0) }, err: stderrLine)
            } catch {
                out.flush()
                printError(error)
                failed = true
            }
        }
        out.flush()
        if failed { throw ExitCode.failure }
    }
}

/// Buffered stdout lines.
struct StandardOutput {
    private var buffer = [UInt8]()

    mutating func write(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0a)
        if buffer.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        buffer.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let n = Foundation.write(1, b.baseAddress! + off, b.count - off)
                if n <= 0 { break }
                off += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// `sluice extract FILE.html…`: the main text of pages, for checking extraction by eye.
struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the main text of HTML pages (.html or .html.gz).",
        discussion:
            "With several files, --json prints one JSON object per line; text output separates pages with a form feed.")

    @Argument(help: "HTML files.")
    var files: [String]

    @Option(help: "The page's URL (used as the document base only; nothing is fetched).")
    var url: String?

    @Option(
        help: "Charset to assume when the page does not declare one in HTTP terms (default: <meta>, then detection).")
    var charset: String?

    @Flag(help: "Print {\"title\",\"text\",\"lang\"} as JSON.")
    var json = false

    @Flag(help: "Every visible block of the page, without boilerplate removal.")
    var wholePage = false

    @Option(help: "CPU seconds one page may take; past it the page prints empty and stderr says extract:timeout.")
    var timeout: Double?

    func run() throws {
        try reportingErrors { try extractAll() }
    }

    private func extractAll() throws {
        var options = ExtractionOptions()
        options.mainContent = !wholePage
        let extractor = HTMLExtractor(options: options)
        var out = StandardOutput()
        var first = true
        for f in files {
            let bytes: [UInt8]
            do { bytes = try HTMLPage.readFile(f) } catch {
                out.flush()  // the pages before the bad file are printed
                throw error
            }
            let outcome = bytes.withUnsafeBytes {
                HTMLPage.extract($0, declaredCharset: charset, url: url, extractor: extractor, budget: timeout)
            }
            let page: ExtractedPage
            switch outcome {
            case .binary:
                stderrLine("\(f): extract:binary (not an HTML page)")
                page = ExtractedPage(text: "", title: nil, lang: nil, description: nil)
            case .unparsable:
                stderrLine("\(f): extract:parse_failed")
                page = ExtractedPage(text: "", title: nil, lang: nil, description: nil)
            case .timeout:
                stderrLine("\(f): extract:timeout")
                page = ExtractedPage(text: "", title: nil, lang: nil, description: nil)
            case .page(let p, _): page = p
            }
            if json {
                out.write(
                    JSONSerializer.spacedString([
                        "title": page.title.map { JSONValue.string($0) } ?? .null, "text": .string(page.text),
                        "lang": page.lang.map { JSONValue.string($0) } ?? .null,
                    ]))
            } else {
                if !first { out.write("\u{0C}") }
                out.write(page.text)
            }
            first = false
        }
        out.flush()
    }
}
