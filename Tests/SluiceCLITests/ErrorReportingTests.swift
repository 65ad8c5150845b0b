// Every command reports a failure the same way (Sources/sluice/ErrorReporting.swift): one line on
// standard error, `sluice: <code>: <message> (<where>)`, exit status 1, nothing else on stderr.
import Foundation
import SluiceTestSupport
import Testing

@Suite struct ErrorReportingTests {
    /// Commands of every area pointed at a file that is not there.
    static let commands: [[String]] = [
        ["stats", "absent"],
        ["verify", "absent"],
        ["dedup", "report", "absent"],
        ["tokenizer", "info", "absent.json"],
        ["tokenizer", "encode", "--tokenizer", "absent.json", "-"],
        ["shards", "verify", "absent"],
        ["classifier", "predict", "--model", "absent.slcm", "--input", "absent.tsv", "--text-field", "t"],
        ["eval", "--checkpoint", "absent", "--text", "absent.txt"],
        ["generate", "--checkpoint", "absent", "--prompt", "x"],
        ["slurm", "status", "absent"],
        ["wikitext", "absent.wiki"],
        ["extract", "absent.html"],
        ["inspect", "warc", "absent.warc"],
        ["dev", "warc-count", "absent.warc"],
        ["dev", "encode-speed", "--tokenizer", "absent.json", "-"],
    ]

    @Test(arguments: commands)
    func aMissingFileIsOneLineWithTheSluicePrefix(_ arguments: [String]) throws {
        let dir = try TestSupport.temporaryDirectory("errors")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLI.sluice(arguments, in: dir)
        #expect(r.status == 1, "\(arguments): \(r.stderr)")
        #expect(r.stderr.hasPrefix("sluice: "), "\(arguments): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)")
        #expect(r.stderr.contains("absent"), "\(arguments): \(r.stderr)")
    }

    @Test func flagMistakesStayArgumentParsers() throws {
        let r = try CLI.sluice(["stats"], in: NSTemporaryDirectory())
        #expect(r.status == 64, "\(r.stderr)")  // EX_USAGE: ArgumentParser's usage message
    }
}
