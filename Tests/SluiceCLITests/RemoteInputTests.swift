// Remote inputs end to end: `sluice run` over http:// URLs, s3:// locations and a paths_file listing,
// served by a loopback server the test controls, gives the same output as the same files read
// locally, through resets, 503s, stalls and a server that ignores Range. Bad inputs: a 404 (error
// naming the URL, or counted with on_missing: skip), a body cut short without Range support
// (counted, records before the cut kept), a listing with blank and malformed lines.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite(.serialized) struct RemoteInputTests {
    /// Inputs in `dir/in` (served from there too): real WARC fixtures, one larger WARC made of their
    /// gzip members repeated (5 MB, so remote windows slide), and JSONL from the quickstart.
    static let names = [
        "big.warc.gz", "chunked.warc", "clipped-last-member.warc.gz", "commoncrawl-excerpt.warc.gz",
        "cc_en_head-0091.jsonl.gz", "cc_en_head-0174.jsonl.zst",
    ]

    static func makeInputs() throws -> String {
        let dir = try TestSupport.temporaryDirectory("remoterun")
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        for name in ["chunked.warc", "clipped-last-member.warc.gz", "commoncrawl-excerpt.warc.gz"] {
            try fm.copyItem(atPath: TestSupport.fixture("warc/" + name), toPath: dir + "/in/" + name)
        }
        for name in ["cc_en_head-0091.jsonl.gz", "cc_en_head-0174.jsonl.zst"] {
            try fm.copyItem(atPath: TestSupport.fixture("quickstart/" + name), toPath: dir + "/in/" + name)
        }
        let cc = try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("warc/commoncrawl-excerpt.warc.gz")))
        let wget = try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("warc/wget-crawl-excerpt.warc.gz")))
        var big = Data()
        for _ in 0..<12 { big += cc + wget }
        try big.write(to: URL(fileURLWithPath: dir + "/in/big.warc.gz"))
        try """
        input: {paths: ["in/*.warc*", "in/*.jsonl*"]}
        output: local
        stages:
          - write: {compression: none}
        """.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    static func size(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// Quick recovery from injected faults.
    static let environment = [
        "SLUICE_NO_PROGRESS": "1", "SLUICE_HTTP_BACKOFF": "0.01", "SLUICE_HTTP_RETRIES": "4",
        "SLUICE_HTTP_READ_TIMEOUT": "1",
    ]

    static func sluice(_ arguments: [String], in dir: String, environment extra: [String: String] = [:]) throws
        -> TestSupport.ProcessResult
    {
        try TestSupport.run(
            try TestSupport.sluiceBinary(), arguments, environment: environment.merging(extra) { $1 }, directory: dir)
    }

    /// The JSONL outputs of a run (name → text), with `location` written as `in/`, so a remote
    /// run's `warc_file` fields compare with a local run's.
    static func outputs(_ folder: String, location: String = "") -> [String: String] {
        var result: [String: String] = [:]
        for (name, data) in CLI.tree(folder, excluding: ["_stats", "_tmp", "_lock", "_locks", "_markers"]) {
            var text = String(decoding: data, as: UTF8.self)
            if !location.isEmpty {
                text = text.replacingOccurrences(of: location, with: "in/")
                text = text.replacingOccurrences(
                    of: location.replacingOccurrences(of: "/", with: "\\/"), with: "in\\/")
            }
            result[name] = text
        }
        return result
    }

    static func stage(_ name: String, _ folder: String) throws -> StageStats? {
        try StatsReport.load(outputDirectory: folder).passes[0].stages.first { $0.name == name }
    }

    @Test(arguments: ["none", "reset", "503", "stall", "no_range_reset"])
    func remoteInputsGiveTheLocalOutput(_ fault: String) throws {
        let dir = try Self.makeInputs()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let local = try Self.sluice(["run", "p.yaml"], in: dir)
        try #require(local.status == 0, "\(local.stderr)")
        let expected = Self.outputs(dir + "/local")
        #expect(expected.count >= 4)

        let big = Self.size(dir + "/in/big.warc.gz")
        let jsonl = Self.size(dir + "/in/cc_en_head-0091.jsonl.gz")
        let faults: [String: [String: Any]] =
            switch fault {
            case "reset":
                [
                    "big.warc.gz": ["reset_at": [big / 5, big / 2, big - 10]],
                    "cc_en_head-0091.jsonl.gz": ["reset_at": [jsonl / 2]],
                ]
            case "503": ["big.warc.gz": ["status": [503, 503]], "chunked.warc": ["status": [502]]]
            case "stall": ["big.warc.gz": ["stall_at": [big / 3, 3]]]
            case "no_range_reset": ["big.warc.gz": ["no_range": true, "reset_at": [big / 2]]]
            default: [:]
            }
        let server = try LoopbackHTTPServer(root: dir + "/in", faults: faults)
        let inputs = Self.names.flatMap { ["--input", server.url($0)] }
        let remote = try Self.sluice(["run", "p.yaml", "--output", "remote"] + inputs, in: dir)
        let log = server.stop()
        try #require(remote.status == 0, "\(remote.stderr)\n\(log)")
        let got = Self.outputs(dir + "/remote", location: server.baseURL)
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (name, text) in expected {
            #expect(got[name] == text, "\(name) differs from the local run after fault \(fault)\n\(log)")
        }
        // The download figures are in the stats.
        let warc = try #require(try Self.stage("warc", dir + "/remote"))
        #expect((warc.counters["remote_bytes"] ?? 0) >= big)
        #expect(warc.bytesIn >= big)
        if fault != "none" { #expect((warc.counters["remote_retries"] ?? 0) >= 1, "\(warc.counters)") }
        if fault == "reset" || fault == "stall" { #expect((warc.counters["remote_resumes"] ?? 0) >= 1) }
        if fault == "no_range_reset" { #expect(warc.counters["remote_range_ignored"] == 1) }
    }

    @Test func aPathsFileListsTheInputs() throws {
        let dir = try Self.makeInputs()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let local = try Self.sluice(["run", "p.yaml"], in: dir)
        try #require(local.status == 0, "\(local.stderr)")
        // A gzip listing with a blank line and a malformed one, served beside the files; the
        // default prefix of a remote listing is its scheme and host.
        var lines = Self.names.map { "in/" + $0 }
        lines.insert("", at: 2)
        lines.insert("in/not a path.warc.gz", at: 4)
        let sink = try createByteSink(dir + "/warc.paths.gz")
        try sink.write(Array((lines.joined(separator: "\n") + "\n").utf8))
        try sink.close()
        let server = try LoopbackHTTPServer(root: dir)
        try """
        input: {paths_file: "\(server.url("warc.paths.gz"))"}
        output: remote
        stages:
          - write: {compression: none}
        """.write(toFile: dir + "/listed.yaml", atomically: true, encoding: .utf8)
        let remote = try Self.sluice(["run", "listed.yaml"], in: dir)
        server.stop()
        try #require(remote.status == 0, "\(remote.stderr)")
        #expect(remote.stderr.contains("line 5:") && remote.stderr.contains("warc.paths.gz"), "\(remote.stderr)")
        #expect(Self.outputs(dir + "/remote", location: server.baseURL + "in/") == Self.outputs(dir + "/local"))

        // limit keeps the first lines; a local listing with an explicit prefix works alike.
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: dir + "/local.paths", atomically: true, encoding: .utf8)
        try """
        input: {paths_file: local.paths, prefix: "\(dir)/", limit: 2}
        output: limited
        stages:
          - write: {compression: none}
        """.write(toFile: dir + "/limited.yaml", atomically: true, encoding: .utf8)
        let limited = try Self.sluice(["run", "limited.yaml", "--plan"], in: dir)
        #expect(
            limited.status == 0 && limited.stdout.contains("segment-0\t2 tasks"), "\(limited.stdout)\(limited.stderr)")
    }

    @Test func s3LocationsGoToTheEndpoint() throws {
        let dir = try Self.makeInputs()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let local = try Self.sluice(["run", "p.yaml"], in: dir)
        try #require(local.status == 0, "\(local.stderr)")
        // The server's root holds a "bucket" folder: path-style s3://bucket/key → ENDPOINT/bucket/key.
        try FileManager.default.createDirectory(atPath: dir + "/served", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/served/bucket", withDestinationPath: dir + "/in")
        let server = try LoopbackHTTPServer(root: dir + "/served")
        let inputs = Self.names.flatMap { ["--input", "s3://bucket/" + $0] }
        let remote = try Self.sluice(
            ["run", "p.yaml", "--output", "remote", "--s3-endpoint", "http://127.0.0.1:\(server.port)"] + inputs,
            in: dir)
        let log = server.stop()
        try #require(remote.status == 0, "\(remote.stderr)\n\(log)")
        #expect(Self.outputs(dir + "/remote", location: "s3://bucket/") == Self.outputs(dir + "/local"))
    }

    @Test func aMissingURLIsAnErrorNamingItOrACountedSkip() throws {
        let dir = try Self.makeInputs()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try LoopbackHTTPServer(root: dir + "/in")
        let missing = server.url("crawl-data/gone.warc.gz")
        let inputs = ["--input", server.url("commoncrawl-excerpt.warc.gz"), "--input", missing]
        let failed = try Self.sluice(["run", "p.yaml", "--output", "failed"] + inputs, in: dir)
        #expect(failed.status != 0)
        #expect(failed.stderr.contains(missing) && failed.stderr.contains("404"), "\(failed.stderr)")

        try """
        input: {paths: ["\(server.url("commoncrawl-excerpt.warc.gz"))", "\(missing)"], on_missing: skip}
        output: skipped
        stages:
          - write: {compression: none}
        """.write(toFile: dir + "/skip.yaml", atomically: true, encoding: .utf8)
        let skipped = try Self.sluice(["run", "skip.yaml"], in: dir)
        server.stop()
        #expect(skipped.status == 0, "\(skipped.stderr)")
        let warc = try #require(try Self.stage("warc", dir + "/skipped"))
        #expect(warc.errors["warc:missing_input"] == 1, "\(warc.errors)")
        #expect(warc.documentsOut > 0)
    }

    @Test func anHTMLPageInsteadOfTheFileIsCounted() throws {
        let dir = try Self.makeInputs()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try LoopbackHTTPServer(root: dir + "/in", faults: ["cc_en_head-0091.jsonl.gz": ["html": true]])
        let inputs = [
            "--input", server.url("cc_en_head-0091.jsonl.gz"), "--input", server.url("cc_en_head-0174.jsonl.zst"),
        ]
        let run = try Self.sluice(["run", "p.yaml", "--output", "remote"] + inputs, in: dir)
        server.stop()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("HTML page"), "\(run.stderr)")
        let jsonl = try #require(try Self.stage("jsonl", dir + "/remote"))
        // Counted as a corrupt input of the jsonl reader (named after the file's compression).
        #expect(jsonl.errors.filter { $0.key.hasPrefix("jsonl:corrupt") }.values.reduce(0, +) == 1, "\(jsonl.errors)")
        #expect(jsonl.documentsOut > 0)
    }

    @Test func aBodyCutShortWithoutRangeSupportKeepsTheRecordsBeforeTheCut() throws {
        let dir = try Self.makeInputs()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Served whole from `served/`, cut at `cut` bytes by the server on every request; `in/`
        // holds the file cut at the same byte, read locally for the expected output.
        let big = try Data(contentsOf: URL(fileURLWithPath: dir + "/in/big.warc.gz"))
        let cut = big.count * 2 / 3
        try FileManager.default.createDirectory(atPath: dir + "/served", withIntermediateDirectories: true)
        try big.write(to: URL(fileURLWithPath: dir + "/served/cut.warc.gz"))
        try big.prefix(cut).write(to: URL(fileURLWithPath: dir + "/in/cut.warc.gz"))
        let local = try Self.sluice(["run", "p.yaml", "--output", "local", "--input", "in/cut.warc.gz"], in: dir)
        try #require(local.status == 0, "\(local.stderr)")
        let server = try LoopbackHTTPServer(
            root: dir + "/served", faults: ["cut.warc.gz": ["no_range": true, "truncate_at": cut]])
        let remote = try Self.sluice(
            ["run", "p.yaml", "--output", "remote", "--input", server.url("cut.warc.gz")], in: dir,
            environment: ["SLUICE_HTTP_RETRIES": "2"])
        server.stop()
        try #require(remote.status == 0, "\(remote.stderr)")
        #expect(Self.outputs(dir + "/remote", location: server.baseURL) == Self.outputs(dir + "/local"))
        // The same counts as the cut local file (its last record is kept, marked truncated), plus
        // the download given up.
        let warc = try #require(try Self.stage("warc", dir + "/remote"))
        let localWarc = try #require(try Self.stage("warc", dir + "/local"))
        #expect(warc.errors.filter { $0.key != "warc:download_failed" } == localWarc.errors, "\(warc.errors)")
        #expect(warc.errors["warc:download_failed"] == 1, "\(warc.errors)")
        #expect(warc.documentsOut > 100 && warc.documentsOut == localWarc.documentsOut)
    }

    @Test func killedRunsOverRemoteInputsResumeToTheUninterruptedOutput() throws {
        let dir = try Self.makeInputs()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Eight copies of the large WARC, served slowly so that the run is killed mid-file.
        var names: [String] = []
        for i in 0..<8 {
            let name = "copy-\(i).warc.gz"
            try FileManager.default.copyItem(atPath: dir + "/in/big.warc.gz", toPath: dir + "/in/" + name)
            names.append(name)
        }
        let faults = Dictionary(uniqueKeysWithValues: names.map { ($0, ["slow": 8_000_000] as [String: Any]) })
        let server = try LoopbackHTTPServer(root: dir + "/in", faults: faults)
        let inputs = names.flatMap { ["--input", server.url($0)] }
        let reference = try Self.sluice(["run", "p.yaml", "--output", "reference", "--workers", "2"] + inputs, in: dir)
        try #require(reference.status == 0, "\(reference.stderr)")
        let expected = Self.outputs(dir + "/reference")

        for round in 0..<3 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try TestSupport.sluiceBinary())
            p.arguments = ["run", "p.yaml", "--output", "out", "--workers", "2"] + inputs
            p.environment = ProcessInfo.processInfo.environment.merging(Self.environment) { $1 }
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32(300_000 + 200_000 * round))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        let rerun = try Self.sluice(["run", "p.yaml", "--output", "out", "--workers", "2"] + inputs, in: dir)
        server.stop()
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(Self.outputs(dir + "/out") == expected)
    }
}
