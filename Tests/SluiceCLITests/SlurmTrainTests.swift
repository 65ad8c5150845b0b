// `sluice slurm train` on the local Slurm cluster (make test starts it; see SlurmTests.swift): a
// job of 2 ranks started by srun --mpi=pmix trains to the losses of one local process with the
// same global batch and seed. CI=true without a cluster is a failure, not a skip.
import Foundation
import SluiceTestSupport
import Testing

@Suite(.serialized, .enabled(if: Slurm.available, Slurm.reason)) struct SlurmTrainTests {
    @Test func aTwoRankJobMatchesALocalRun() throws {
        let dir = try TestSupport.temporaryDirectory("slurm-train")
        try TrainCLITests.makeShards(dir)
        let cfg = try MPI.writeConfig(dir)
        let local = try CLI.sluice(["train", cfg, "--out", "local"], in: dir)
        try #require(local.status == 0, "\(local.stderr)")

        let r = try CLI.sluice(
            ["slurm", "train", cfg, "--nodes", "1", "--ntasks-per-node", "2", "--out", "slurm"], in: dir)
        try #require(r.status == 0, "\(r.stderr)")
        let job = try #require(
            r.stdout.range(of: "\tjob ").map { String(r.stdout[$0.upperBound...].prefix { $0.isNumber }) })
        #expect(r.stdout.hasPrefix("train\t2 ranks\tjob "), "\(r.stdout)")
        let script = try String(contentsOfFile: dir + "/slurm/_slurm/train.sbatch", encoding: .utf8)
        #expect(script.contains("#SBATCH --ntasks-per-node=2\n") && script.contains("#SBATCH --cpus-per-task=1\n"))
        #expect(script.contains("exec srun --mpi=pmix "), "\(script)")
        try Slurm.wait([job])

        let log = (try? String(contentsOfFile: dir + "/slurm/_slurm/logs/train-\(job).log", encoding: .utf8)) ?? ""
        #expect(log.contains("data parallel: 2 ranks (PMIX_RANK"), "\(log)")
        let a = try MPI.metrics(dir + "/local"), b = try MPI.metrics(dir + "/slurm")
        #expect(b.loss.count == 20, "\(log)")
        let d = MPI.maxDifference(a.loss, b.loss)
        #expect(d < 1e-4, "max |Δloss| between the Slurm job and the local run: \(d)")
        #expect(MPI.maxDifference(a.val, b.val) < 1e-4)
        try? FileManager.default.removeItem(atPath: dir)
    }
}
