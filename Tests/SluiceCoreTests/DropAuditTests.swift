// Dropped documents kept for audit (issue 20.1): `dropped:` at the top of a pipeline and per
// stage, sample files committed with the task (markers), sampling by id hash, caps per reason,
// edits as before/after pairs, intermediate segments, determinism, and bad settings.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

/// The documents of a kept-drop sample file, as JSON objects.
func auditDocuments(_ path: String) throws -> [[String: Any]] {
    let bytes = try openByteSource(path).readAll()
    return try bytes.split(separator: UInt8(ascii: "\n")).map {
        try JSONSerialization.jsonObject(with: Data($0)) as! [String: Any]
    }
}

func auditMetadata(_ object: [String: Any]) -> [String: Any] { object["metadata"] as? [String: Any] ?? [:] }

@Suite(.serialized) struct DropAuditTests {
    /// Two input files: doc i of file f is `keep f i`, every third `drop f i`, every fifth short.
    func makeRun(_ dir: String, files: Int = 2, perFile: Int = 12) throws {
        try makeInputs(dir, count: files) { f in
            (0..<perFile).map { i in i % 5 == 4 ? "s\(i)" : i % 3 == 0 ? "drop \(f) \(i)" : "keep \(f) \(i)" }
        }
    }

    func run(_ yaml: String, _ dir: String, workers: Int = 1) throws -> PipelinePlan {
        let plan = try PipelinePlan(pipeline: try pipeline(yaml, in: dir), registry: engineTestRegistry)
        try LocalExecutor(workers: workers).run(plan)
        return plan
    }

    @Test func pipelineLevelDroppedKeepsEveryDropWithItsReasonAndCommitsItInTheMarker() throws {
        let dir = try TestSupport.temporaryDirectory("audit")
        try makeRun(dir)
        _ = try run(
            """
            input: \(dir)/in/*.lines
            output: \(dir)/out
            dropped: {}
            stages:
              - drop_word: {min_length: 3}
              - write: {}
            """, dir)
        for task in 0..<2 {
            let path = "\(dir)/out/dropped/segment-0/0000\(task)\(DropAudit.fileSuffix)"
            let docs = try auditDocuments(path)
            // 12 documents: "drop" at i = 0, 3, 6 (i = 9 is the short s9), short s4 and s9.
            let reasons = docs.map { auditMetadata($0)["dropped_by"] as? String }
            #expect(reasons.filter { $0 == "drop_word:word" }.count == 3)  // 0, 3, 6
            #expect(reasons.filter { $0 == "drop_word:too_short" }.count == 2)  // s4, s9
            #expect(docs.allSatisfy { ($0["id"] as? String)?.hasPrefix("f\(task).lines:") == true })
            let marker = try String(contentsOfFile: "\(dir)/out/_markers/segment-0/0000\(task).done", encoding: .utf8)
            #expect(marker.contains("dropped/segment-0/0000\(task)\(DropAudit.fileSuffix)"))
            let stats = try String(contentsOfFile: "\(dir)/out/_stats/segment-0/0000\(task).json", encoding: .utf8)
            #expect(stats.contains("\"dropped_kept\" : 5"))
        }
        // The outputs are what a run without `dropped` writes.
        let plain = try TestSupport.temporaryDirectory("audit")
        try makeRun(plain)
        _ = try run(
            "input: \(plain)/in/*.lines\noutput: \(plain)/out\nstages: [{drop_word: {min_length: 3}}, write]\n", plain)
        #expect(
            try String(contentsOfFile: "\(dir)/out/00000-0.lines", encoding: .utf8)
                == String(contentsOfFile: "\(plain)/out/00000-0.lines", encoding: .utf8))
        #expect(!FileManager.default.fileExists(atPath: "\(plain)/out/dropped"))
    }

    @Test func aMissingSampleFileRedoesItsTask() throws {
        let dir = try TestSupport.temporaryDirectory("audit")
        try makeRun(dir)
        let yaml = "input: \(dir)/in/*.lines\noutput: \(dir)/out\ndropped: true\nstages: [drop_word, write]\n"
        let plan = try run(yaml, dir)
        let path = "\(dir)/out/dropped/segment-0/00001\(DropAudit.fileSuffix)"
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        try FileManager.default.removeItem(atPath: path)
        let summary = try LocalExecutor(workers: 1).run(plan)
        #expect(summary.tasksRun == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func perStageSettingsOverrideThePipelineAndCapPerReason() throws {
        let dir = try TestSupport.temporaryDirectory("audit")
        try makeRun(dir, files: 1, perFile: 30)
        _ = try run(
            """
            input: \(dir)/in/*.lines
            output: \(dir)/out
            dropped: {output: audit}
            stages:
              - drop_word: {word: drop, min_length: 4, dropped: {max_per_reason: 2, output: audit/words}}
              - drop_word: {word: keep, dropped: false}
              - write: {}
            """, dir)
        let docs = try auditDocuments("\(dir)/out/audit/words/segment-0/00000\(DropAudit.fileSuffix)")
        let reasons = docs.map { auditMetadata($0)["dropped_by"] as! String }
        // In document order: drop 0, drop 3 (cap reached for :word), s4, s9 (cap reached for :too_short).
        #expect(reasons == ["drop_word:word", "drop_word:word", "drop_word:too_short", "drop_word:too_short"])
        #expect(docs.map { $0["id"] as! String } == ["f0.lines:1", "f0.lines:4", "f0.lines:5", "f0.lines:10"])
        // The second stage keeps nothing (dropped: false), so the pipeline-level folder has no file.
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/out/audit/segment-0"))
    }

    @Test func setOnTheCommandLineKeepsAStagesDrops() throws {
        let dir = try TestSupport.temporaryDirectory("audit")
        try makeRun(dir, files: 1)
        let p = try pipeline(
            "input: \(dir)/in/*.lines\noutput: \(dir)/out\nstages: [{drop_word: {min_length: 3}}, write]\n", in: dir,
            overrides: PipelineOverrides(settings: ["drop_word.dropped={max_per_reason: 1}"]))
        #expect(p.dropAudit.rules[0] == DropAuditRule(maxPerReason: 1))
        try LocalExecutor(workers: 1).run(try PipelinePlan(pipeline: p, registry: engineTestRegistry))
        let docs = try auditDocuments("\(dir)/out/dropped/segment-0/00000\(DropAudit.fileSuffix)")
        #expect(docs.map { auditMetadata($0)["dropped_by"] as! String } == ["drop_word:word", "drop_word:too_short"])
    }

    @Test func samplingByIdHashIsDeterministicAcrossWorkers() throws {
        var trees: [[String: Data]] = []
        var kept: Set<String> = []
        for workers in [1, 2] {
            let dir = try TestSupport.temporaryDirectory("audit")
            try makeInputs(dir, count: 3) { f in (0..<200).map { "drop \(f) \($0)" } }
            _ = try run(
                "input: \(dir)/in/*.lines\noutput: \(dir)/out\ndropped: {sample: 0.25}\nstages: [drop_word, write]\n",
                dir,
                workers: workers)
            trees.append(outputFiles(dir + "/out"))
            kept = []
            for t in 0..<3 {
                for d in try auditDocuments("\(dir)/out/dropped/segment-0/0000\(t)\(DropAudit.fileSuffix)") {
                    kept.insert(d["id"] as! String)
                }
            }
        }
        #expect(trees[0] == trees[1])
        // Exactly the ids the rule samples, and about a quarter of 600.
        let rule = DropAuditRule(sample: 0.25)
        let expected = Set(
            (0..<3).flatMap { f in (1...200).map { "f\(f).lines:\($0)" } }.filter { rule.samples(id: $0) })
        #expect(kept == expected)
        #expect(kept.count > 100 && kept.count < 200)
    }

    @Test func editsAreKeptAsBeforeAfterPairs() throws {
        let dir = try TestSupport.temporaryDirectory("audit")
        try makeInputs(dir, count: 1) { _ in ["abc", "ABC", "drop me"] }
        _ = try run(
            """
            input: \(dir)/in/*.lines
            output: \(dir)/out
            stages:
              - upper: {dropped: {edits: true}}
              - drop_word: {word: DROP}
              - write: {}
            """, dir)
        let docs = try auditDocuments("\(dir)/out/dropped/segment-0/00000\(DropAudit.fileSuffix)")
        // "ABC" is unchanged, so two pairs; drop_word keeps nothing (no rule for it).
        #expect(docs.count == 2)
        #expect(docs.map { $0["text"] as! String } == ["ABC", "DROP ME"])
        #expect(docs.map { auditMetadata($0)["text_before"] as! String } == ["abc", "drop me"])
        #expect(docs.allSatisfy { auditMetadata($0)["edited_by"] as? String == "upper" })
    }

    @Test func dropsOfACorpusStageGoToItsSegment() throws {
        let dir = try TestSupport.temporaryDirectory("audit")
        try makeInputs(dir, count: 2) { _ in ["same", "other"] }
        _ = try run(
            "input: \(dir)/in/*.lines\noutput: \(dir)/out\ntasks: 2\nstages: [{test_dedup: {dropped: {}}}, write]\n",
            dir)
        let docs = try auditDocuments("\(dir)/out/dropped/segment-1/00001\(DropAudit.fileSuffix)")
        #expect(
            docs.map { auditMetadata($0)["dropped_by"] as! String } == ["test_dedup:duplicate", "test_dedup:duplicate"])
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/out/dropped/segment-1/00000\(DropAudit.fileSuffix)"))
    }

    @Test func addingDroppedChangesTheFingerprintSoFinishedTasksRerun() throws {
        let dir = try TestSupport.temporaryDirectory("audit")
        try makeRun(dir)
        let yaml = "input: \(dir)/in/*.lines\noutput: \(dir)/out\nstages: [drop_word, write]\n"
        let a = try run(yaml, dir)
        let b = try PipelinePlan(
            pipeline: try pipeline(yaml.replacingOccurrences(of: "stages:", with: "dropped: {}\nstages:"), in: dir),
            registry: engineTestRegistry)
        #expect(a.fingerprint != b.fingerprint)
        #expect(try LocalExecutor(workers: 1).run(b).tasksRun == 2)
        #expect(FileManager.default.fileExists(atPath: "\(dir)/out/dropped/segment-0/00000\(DropAudit.fileSuffix)"))
    }

    @Test(arguments: [
        ("dropped: {sample: 2}", "dropped.sample: 2.0 is outside 0.0...1.0", 3),
        ("dropped: {output: /tmp/x}", "dropped.output: '/tmp/x' is not a folder inside the run folder", 3),
        ("dropped: {output: ../x}", "is not a folder inside the run folder", 3),
        ("dropped: {output: _work}", "is not a folder inside the run folder", 3),
        ("dropped: {sampel: 0.5}", "dropped.sampel: unknown option", 3),
        ("dropped: [1]", "dropped: expected true, false or a map", 3),
        ("dropped: maybe", "dropped: expected true, false or a map", 3),
    ])
    func badSettingsAreOneLineConfigErrors(setting: String, message: String, line: Int) throws {
        let dir = try TestSupport.temporaryDirectory("audit")
        try makeRun(dir)
        let e = configError {
            _ = try pipeline(
                "input: \(dir)/in/*.lines\noutput: \(dir)/out\n\(setting)\nstages: [drop_word, write]\n", in: dir)
        }
        #expect(e?.code == .config)
        #expect(e?.message.contains(message) == true, "\(e.map { "\($0)" } ?? "no error")")
        #expect(e?.line == line)
    }

    @Test func droppedOnAWriterOrWithABadValueNamesTheStage() throws {
        let dir = try TestSupport.temporaryDirectory("audit")
        try makeRun(dir)
        let onWriter = configError {
            _ = try pipeline(
                "input: \(dir)/in/*.lines\noutput: \(dir)/out\nstages:\n  - write: {dropped: {}}\n", in: dir)
        }
        #expect(onWriter?.message.contains("write.dropped: a writer drops nothing") == true)
        let bad = configError {
            _ = try pipeline(
                "input: \(dir)/in/*.lines\noutput: \(dir)/out\nstages:\n  - drop_word: {dropped: {max_per_reason: -1}}\n  - write\n",
                in: dir)
        }
        #expect(bad?.message.contains("drop_word.dropped.max_per_reason") == true)
        #expect(bad?.line == 4)
    }
}
