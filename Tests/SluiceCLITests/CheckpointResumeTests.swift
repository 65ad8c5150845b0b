// Resume inside a task (`checkpoint_every`, Engine/TaskCheckpoint.swift): a one-task run over one
// large input, read slowly from a loopback server, is killed with SIGKILL several times after a
// checkpoint; each rerun says where it resumes, and the final output is byte-identical to an
// uninterrupted run's, with every document counted once. With `dropped:` (issue 20), the kept-drop
// files are checkpointed with the outputs and come out byte-identical too, `max_per_reason` included.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite(.serialized) struct CheckpointResumeTests {
    static let environment = [
        "SLUICE_NO_PROGRESS": "1", "SLUICE_HTTP_BACKOFF": "0.01", "SLUICE_HTTP_RETRIES": "4",
        "SLUICE_HTTP_READ_TIMEOUT": "5",
    ]

    /// The input: a 6 MB JSONL file, or a 5 MB WARC made of the fixtures' gzip members repeated.
    static func makeInput(_ kind: String, in dir: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        if kind.hasPrefix("jsonl") {
            let docs = CLI.documents(prefix: "c", count: 20_000, seed: 5)
            try CLI.write(docs.map { CLI.jsonl(id: $0.id, text: $0.text) }, to: dir + "/in/big.jsonl")
            return "big.jsonl"
        }
        let cc = try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("warc/commoncrawl-excerpt.warc.gz")))
        let wget = try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("warc/wget-crawl-excerpt.warc.gz")))
        var big = Data()
        for _ in 0..<12 { big += cc + wget }
        try big.write(to: URL(fileURLWithPath: dir + "/in/big.warc.gz"))
        return "big.warc.gz"
    }

    static func checkpoint(_ dir: String, _ output: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: "\(dir)/\(output)/_tmp/segment-0/00000/.checkpoint.json")
        else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    @Test(arguments: ["jsonl", "warc", "jsonl+dropped"])
    func killedTasksResumeFromTheirCheckpointToIdenticalOutput(_ kind: String) throws {
        let dir = try TestSupport.temporaryDirectory("checkpoint")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let name = try Self.makeInput(kind, in: dir)
        let server = try LoopbackHTTPServer(root: dir + "/in", faults: [name: ["slow": 2_500_000]])
        defer { server.stop() }
        let stages =
            kind.hasPrefix("jsonl")
            ? "  - length: {min_words: 20}\n  - sample: {fraction: 0.7}\n  - write: {compression: zstd, max_documents: 3000}"
            : "  - write: {compression: gzip, max_documents: 400}"
        try """
        input: {paths: ["\(server.url(name))"]\(kind == "warc" ? ", options: {mime_types: [], status: []}" : "")}
        output: out
        checkpoint_every: \(kind.hasPrefix("jsonl") ? 700 : 100)
        \(kind == "jsonl+dropped" ? "dropped: {sample: 0.5, max_per_reason: 2000}" : "")
        stages:
        \(stages)
        """.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        let binary = try TestSupport.sluiceBinary()
        let reference = try TestSupport.run(
            binary, ["run", "p.yaml", "--output", "reference"], environment: Self.environment, directory: dir)
        try #require(reference.status == 0, "\(reference.stderr)")
        let expected = CLI.tree(dir + "/reference", excluding: ["_stats", "_tmp", "_lock", "_locks", "_markers"])
        #expect(expected.count >= 2, "\(expected.keys)")
        if kind == "jsonl+dropped" {
            // The kept drops are compared with the outputs; the cap was reached mid-task.
            #expect(expected.keys.contains { $0.hasSuffix(DropAudit.fileSuffix) }, "\(expected.keys)")
            let kept = try StatsReport.load(outputDirectory: dir + "/reference").passes[0].stages.map {
                $0.counters["dropped_kept"] ?? 0
            }
            #expect(kept.contains(2000), "\(kept)")
        }

        // Kill three times, each time once a later checkpoint than the last one is on disk.
        var last = 0
        for _ in 0..<3 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["run", "p.yaml"]
            p.environment = ProcessInfo.processInfo.environment.merging(Self.environment) { $1 }
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            let deadline = Date().addingTimeInterval(60)
            while p.isRunning && Date() < deadline {
                if let c = Self.checkpoint(dir, "out"), let documents = c["documents"] as? Int, documents > last {
                    last = documents
                    break
                }
                usleep(2000)
            }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            #expect(p.terminationReason == .uncaughtSignal, "the run ended before it could be killed")
        }
        #expect(last > 0)
        let rerun = try TestSupport.run(binary, ["run", "p.yaml"], environment: Self.environment, directory: dir)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains("resuming segment-0/00000 at record"), "\(rerun.stderr)")
        let final = CLI.tree(dir + "/out", excluding: ["_stats", "_tmp", "_lock", "_locks", "_markers"])
        #expect(
            CLI.differences(final, expected).isEmpty,
            "differs from the uninterrupted run: \(CLI.differences(final, expected))")
        // Every document counted once, and the resumption in the stats.
        let got = try StatsReport.load(outputDirectory: dir + "/out").passes[0].stages
        let want = try StatsReport.load(outputDirectory: dir + "/reference").passes[0].stages
        #expect(got.map(\.documentsOut) == want.map(\.documentsOut))
        #expect(got.map(\.drops) == want.map(\.drops))
        // Three kills, three resumptions (each checkpoint carries the count of the ones before).
        #expect(got[0].counters["resumed_from_checkpoint"] == 3)
        #expect((got[0].counters["resumed_at_record"] ?? 0) > 0)
    }

    @Test func aCheckpointOfAnotherConfigurationIsIgnored() throws {
        let dir = try TestSupport.temporaryDirectory("checkpointcfg")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let docs = CLI.documents(prefix: "d", count: 3000, seed: 2)
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try CLI.write(docs.map { CLI.jsonl(id: $0.id, text: $0.text) }, to: dir + "/in/a.jsonl")
        for every in [100, 250] {
            try """
            input: in/a.jsonl
            output: out-\(every)
            checkpoint_every: \(every)
            stages:
              - write: {compression: zstd}
            """.write(toFile: dir + "/p\(every).yaml", atomically: true, encoding: .utf8)
        }
        let a = try CLI.sluice(["run", "p100.yaml"], in: dir)
        try #require(a.status == 0, "\(a.stderr)")
        // A stale checkpoint from the other configuration is not resumed from.
        let tmp = dir + "/out-250/_tmp/segment-0/00000"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        try
            #"{"fingerprint":"0000000000000000","pass":"segment-0","task":0,"fileIndex":0,"input":"in/a.jsonl","ordinal":100,"documents":100,"outputs":[],"writers":[],"steps":[],"stats":{"stages":[]}}"#
            .write(toFile: tmp + "/.checkpoint.json", atomically: true, encoding: .utf8)
        let b = try CLI.sluice(["run", "p250.yaml"], in: dir)
        #expect(b.status == 0, "\(b.stderr)")
        #expect(!b.stderr.contains("resuming"))
        // Both decode to the same documents (frames end at other places).
        #expect(try CLI.documents(in: dir + "/out-100").map(\.id) == docs.map(\.id))
        #expect(try CLI.documents(in: dir + "/out-250").map(\.id) == docs.map(\.id))
    }
}
