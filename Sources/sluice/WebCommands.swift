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
            date, content_type, length, record_id. --count instead reads every record through the warc \
            reader (HTTP parsed, payload decoded) and prints totals.
            """)

    @Argument(help: "WARC files (.warc, .warc.gz, .warc.zst).")
    var files: [String]

    @Flag(help: "Read every record with its payload and print counts only.")
    var count = false

    func run() throws {
        if count {
            print(try WARCInspector.count(paths: files))
            return
        }
        var failed = false
        var out = StandardOutput()
        for f in files {
            do {
                _ = try WARCInspector.list(
                    path: f, out: { out.write($0) }, err: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
            } catch let e as SluiceError {
                out.flush()
                FileHandle.standardError.write(Data((e.description + "\n").utf8))
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
