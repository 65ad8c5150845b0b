// Pipelines/dedup.yaml end to end through the `sluice` binary: exact and near copies dropped
// across tasks, 1 and 2 workers give identical output, a run stopped between passes resumes at
// the unfinished pass, and `sluice dedup report` describes the result.
import Foundation
import SluiceCore
import SluiceDedup
import SluiceTestSupport
import Testing

@Suite(.serialized) struct DedupPipelineTests {
    func sluice(_ arguments: [String]) throws -> TestSupport.ProcessResult {
        try TestSupport.run(try TestSupport.sluiceBinary(), arguments, directory: TestSupport.packageRoot)
    }

    /// The ids of every document in the output folder's JSONL.zst files, in file order.
    func outputIDs(_ directory: String) throws -> [String] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl.zst") }
            .sorted()
        var ids: [String] = []
        for f in files {
            let bytes = try openByteSource(directory + "/" + f).readAll()
            for line in bytes.split(separator: 10) {
                let o = try JSONSerialization.jsonObject(with: Data(line)) as! [String: Any]
                ids.append(o["id"] as! String)
            }
        }
        return ids
    }

    /// The work files the passes write themselves are in their markers: `sluice verify` names a
    /// damaged one, and a rerun redoes its task (and the passes after it) to the same output.
    @Test func damagedWorkFilesAreFoundByVerifyAndRedoneByARerun() throws {
        let out = try TestSupport.temporaryDirectory("dedup-verify") + "/run"
        let first = try sluice(["run", "Pipelines/dedup.yaml", "--output", out, "--workers", "2"])
        #expect(first.status == 0, "\(first.stderr)")
        let ids = try outputIDs(out)
        #expect(try sluice(["verify", out]).status == 0)
        let work = out + "/_work"
        let stage = try #require(
            try FileManager.default.contentsOfDirectory(atPath: work).first { $0.hasPrefix("minhash_dedup") })
        let members = work + "/" + stage + "/clusters/members.bin"
        try FileManager.default.removeItem(atPath: members)
        let check = try sluice(["verify", out])
        #expect(check.status != 0)
        #expect((check.stdout + check.stderr).contains("members.bin"), "\(check.stdout)\(check.stderr)")
        let rerun = try sluice(["run", "Pipelines/dedup.yaml", "--output", out, "--workers", "2"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(FileManager.default.fileExists(atPath: members))
        #expect(try sluice(["verify", out]).status == 0)
        #expect(try outputIDs(out) == ids)
    }

    @Test func dedupPipelineDropsCopiesAndReports() throws {
        let out = try TestSupport.temporaryDirectory("dedup-pipeline")
        let r = try sluice(["run", "Pipelines/dedup.yaml", "--output", out + "/run", "--workers", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("14 bands × 8 rows"))  // the S-curve is printed at load time
        #expect(r.stderr.contains("P(candidate)"))
        let ids = try outputIDs(out + "/run")
        #expect(ids.count == 40)
        // A copy may be the one kept (it can come first); each paragraph survives exactly once.
        let paragraphsKept = Set(ids.map { $0.split(separator: "/").last! })
        #expect(paragraphsKept.count == 40)
        #expect(r.stdout.contains("dropped  exact_dedup  8"))
        #expect(r.stdout.contains("dropped  minhash_dedup  8"))

        let report = try sluice(["dedup", "report", out + "/run", "--examples", "1"])
        #expect(report.status == 0)
        #expect(report.stdout.contains("duplicates dropped   8 (14.29 %)"))  // exact: 8 of 56
        #expect(report.stdout.contains("clusters             8 holding 16 documents"))
        #expect(report.stdout.contains("example pair"))

        // One worker gives the same documents in the same files.
        let one = try sluice(["run", "Pipelines/dedup.yaml", "--output", out + "/one", "--workers", "1"])
        #expect(one.status == 0)
        #expect(try outputIDs(out + "/one") == ids)

        let missing = try sluice(["dedup", "report", out + "/nothing"])
        #expect(missing.status != 0)
        #expect(missing.stderr.hasPrefix("sluice: i/o error: no such output folder"))
    }

    @Test func resumesAtTheUnfinishedPassAfterAStopBetweenPasses() throws {
        let out = try TestSupport.temporaryDirectory("dedup-resume")
        let clean = try sluice(["run", "Pipelines/dedup.yaml", "--output", out + "/clean"])
        #expect(clean.status == 0)
        // Run the passes up to the buckets one by one, as a scheduler would, then "crash":
        // the clusters pass and the final segment never ran.
        let plan = try sluice(["run", "Pipelines/dedup.yaml", "--output", out + "/resumed", "--plan"])
        let passes = plan.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
        let buckets = try #require(passes.firstIndex(of: "minhash_dedup.buckets"))
        for p in passes[...buckets] {
            let r = try sluice(["run", "Pipelines/dedup.yaml", "--output", out + "/resumed", "--pass", p])
            #expect(r.status == 0, "\(p): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out + "/resumed/_work/minhash_dedup/clusters/members.bin"))
        let resumed = try sluice(["run", "Pipelines/dedup.yaml", "--output", out + "/resumed"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("skipped"))  // finished tasks were not redone
        #expect(try outputIDs(out + "/resumed") == (try outputIDs(out + "/clean")))
    }
}
