// Data-parallel `sluice train` under OpenMPI's mpirun (docs/distributed.md): 2 ranks give the
// losses of one process with the same global batch and seed, `--resume` stays exact, and bad
// launches (ranks that disagree, a rank count that does not divide the batch, srun without PMI,
// no mpirun) fail with one clear line. mpirun comes from `make deps` (openmpi-bin); where it is
// missing these tests fail saying so, they do not skip.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

enum MPI {
    /// The `mpirun` on PATH.
    static func mpirun() throws -> String {
        guard let p = findExecutable("mpirun") else {
            throw TestSupportError(
                "mpirun is not on PATH: the MPI tests need OpenMPI; install it with `make deps` (openmpi-bin, libopenmpi-dev)"
            )
        }
        return p
    }

    /// Environment for ranks: no progress bars (mpirun itself gets --allow-run-as-root: CI runs as root).
    static let environment = ["SLUICE_NO_PROGRESS": "1"]

    /// `mpirun --allow-run-as-root --oversubscribe -np N sluice ARGS` (extra app contexts after `:`).
    @discardableResult
    static func run(np: Int, _ arguments: [String], in dir: String) throws -> TestSupport.ProcessResult {
        let sluice = try TestSupport.sluiceBinary()
        let args = arguments.map { $0 == ":" ? [":", "-np", "1", sluice] : [$0] }.flatMap { $0 }
        return try TestSupport.run(
            try mpirun(), ["--allow-run-as-root", "--oversubscribe", "-np", String(np), sluice] + args,
            environment: environment, directory: dir)
    }

    /// (step → loss) and (step → val_loss) of a run folder's metrics.jsonl.
    static func metrics(_ run: String) throws -> (loss: [Int: Double], val: [Int: Double], allreduce: [Int: Double]) {
        let text = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)
        var loss: [Int: Double] = [:], val: [Int: Double] = [:], allreduce: [Int: Double] = [:]
        for line in text.split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let step = o["step"] as! Int
            if let l = o["loss"] as? Double { loss[step] = l }
            if let l = o["val_loss"] as? Double { val[step] = l }
            if let a = o["allreduce_seconds"] as? Double { allreduce[step] = a }
        }
        return (loss, val, allreduce)
    }

    /// The largest |a − b| over the steps of `a`; infinity when `b` lacks a step.
    static func maxDifference(_ a: [Int: Double], _ b: [Int: Double]) -> Double {
        a.map { step, v in b[step].map { abs($0 - v) } ?? .infinity }.max() ?? .infinity
    }

    /// A tiny model on the Shakespeare shards: global batch 8 sequences (4 micro-batches of 2 in one
    /// process, 2 per rank with 2 ranks), dropout on (its masks follow the global micro-batch), one thread.
    static func writeConfig(_ dir: String, name: String = "run.yaml", lr: String = "3.0e-3", extra: String = "") throws
        -> String
    {
        let cfg = dir + "/" + name
        try """
        model: {context_length: 16, layers: 2, heads: 2, width: 32, dropout: 0.1}
        data: {train: [\(dir)/shards]}
        train: {batch_size: 2, global_batch: 8, steps: 20, lr: \(lr), warmup: 2, eval_every: 10, checkpoint_every: 10,
                eval_batches: 3, threads: 1\(extra)}
        out: \(dir)/run
        """.write(toFile: cfg, atomically: true, encoding: .utf8)
        return cfg
    }
}

@Suite(.serialized) struct MPITrainTests {
    @Test func twoRanksGiveTheLossesOfOneProcess() throws {
        let dir = try TestSupport.temporaryDirectory("mpi-train")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TrainCLITests.makeShards(dir)
        let cfg = try MPI.writeConfig(dir)

        let one = try CLI.sluice(["train", cfg, "--out", "one"], in: dir)
        try #require(one.status == 0, "\(one.stderr)")
        let two = try MPI.run(np: 2, ["train", cfg, "--out", "two"], in: dir)
        try #require(two.status == 0, "\(two.stderr)")
        #expect(two.stderr.contains("data parallel: 2 ranks (OMPI_COMM_WORLD_SIZE"), "\(two.stderr)")
        #expect(two.stderr.contains("each runs grad_accum 2 × batch_size 2 of a global batch of 8 sequences"))
        #expect(
            two.stdout.components(separatedBy: "\"final_loss\"").count == 2,
            "rank 0 alone prints the summary: \(two.stdout)")
        #expect(two.stderr.components(separatedBy: "step 20/20").count == 2, "rank 0 alone logs: \(two.stderr)")

        let a = try MPI.metrics(dir + "/one"), b = try MPI.metrics(dir + "/two")
        #expect(a.loss.count == 20 && b.loss.count == 20 && a.val.keys.sorted() == [10, 20])
        let dLoss = MPI.maxDifference(a.loss, b.loss), dVal = MPI.maxDifference(a.val, b.val)
        #expect(dLoss < 1e-4, "max |Δloss| over 20 steps: \(dLoss)")
        #expect(dVal < 1e-4, "max |Δval_loss|: \(dVal)")
        #expect(a.loss[20]! < a.loss[1]! - 0.5, "the model trains: \(a.loss[1]!) → \(a.loss[20]!)")
        #expect(b.allreduce.count == 20 && a.allreduce.isEmpty, "allreduce time only under MPI")
        // Rank 0 wrote the checkpoint, with the global token count.
        let state = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: dir + "/two/latest/trainer_state.json")))
        let s = state as! [String: Any]
        #expect(s["ranks"] as? Int == 2 && s["tokens_seen"] as? Int == 20 * 8 * 16, "\(s)")

        // The same global batch given as grad_accum: 1 process × grad_accum 4 = 2 ranks × grad_accum 2.
        let accum = try MPI.run(
            np: 2, ["train", cfg, "--out", "accum", "--set", "train.global_batch=null", "--set", "train.grad_accum=2"],
            in: dir)
        try #require(accum.status == 0, "\(accum.stderr)")
        #expect(MPI.maxDifference(a.loss, try MPI.metrics(dir + "/accum").loss) < 1e-4)
        // A different seed moves the losses by far more than the tolerance (the comparison can fail).
        let other = try CLI.sluice(["train", cfg, "--out", "seed", "--seed", "7", "--steps", "3"], in: dir)
        try #require(other.status == 0, "\(other.stderr)")
        #expect(MPI.maxDifference(try MPI.metrics(dir + "/seed").loss, a.loss) > 1e-3)
    }

    @Test func resumeUnderMPIIsExact() throws {
        let dir = try TestSupport.temporaryDirectory("mpi-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TrainCLITests.makeShards(dir)
        let cfg = try MPI.writeConfig(dir)

        let full = try MPI.run(np: 2, ["train", cfg, "--out", "full"], in: dir)
        try #require(full.status == 0, "\(full.stderr)")
        // Stopped after 13 steps (checkpoint at 10), resumed on 2 ranks: every logged figure equal.
        let part = try MPI.run(np: 2, ["train", cfg, "--out", "part", "--stop-after", "13"], in: dir)
        try #require(part.status == 0, "\(part.stderr)")
        #expect(try MPI.metrics(dir + "/part").loss.count == 13)
        let resumed = try MPI.run(np: 2, ["train", cfg, "--out", "part", "--resume"], in: dir)
        try #require(resumed.status == 0, "\(resumed.stderr)")
        let a = try MPI.metrics(dir + "/full"), b = try MPI.metrics(dir + "/part")
        #expect(b.loss.count == 20)
        #expect(
            a.loss == b.loss,
            "resumed losses differ: \(a.loss.sorted { $0.key < $1.key }) vs \(b.loss.sorted { $0.key < $1.key })")
        #expect(a.val == b.val)
        let weights = { (run: String) in FileManager.default.contents(atPath: dir + "/\(run)/latest/model.safetensors")
        }
        #expect(weights("full") != nil && weights("full") == weights("part"), "final weights differ")
    }

    @Test func badLaunchesFailWithOneClearLine() throws {
        let dir = try TestSupport.temporaryDirectory("mpi-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TrainCLITests.makeShards(dir)
        let cfg = try MPI.writeConfig(dir)
        let errors = { (r: TestSupport.ProcessResult) in
            r.stderr.split(separator: "\n").filter { $0.hasPrefix("sluice:") }
        }

        // Ranks started with different configurations (mpirun's MPMD form: one app context per rank).
        let other = try MPI.writeConfig(dir, name: "other.yaml", lr: "2.0e-3")
        let mixed = try MPI.run(np: 1, ["train", cfg, ":", "train", other], in: dir)
        #expect(mixed.status != 0)
        #expect(
            errors(mixed) == [
                "sluice: config error: the ranks of this run disagree: rank 1 runs with lr: 0.002 where rank 0 has lr: 0.003; every rank must get the same configuration and data"
            ],
            "\(mixed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/run"), "nothing trained")

        // 3 ranks cannot split a global batch of 8 sequences in micro-batches of 2.
        let three = try MPI.run(np: 3, ["train", cfg], in: dir)
        #expect(three.status != 0)
        #expect(
            errors(three) == [
                "sluice: config error: train.global_batch 8 is not a multiple of batch_size 2 × 3 ranks = 6; rank counts that divide it: 1, 2, 4"
            ],
            "\(three.stderr)")

        // One rank that cannot start (its data is gone) stops all, with its own message.
        let missing = try MPI.run(
            np: 1, ["train", cfg, ":", "train", cfg, "--set", "data.train=[\(dir)/nowhere]"], in: dir)
        #expect(missing.status != 0)
        #expect(errors(missing).count == 1 && errors(missing)[0].contains("rank 1 of 2: "), "\(missing.stderr)")

        // global_batch and grad_accum together are ambiguous.
        let both = try CLI.sluice(["train", cfg, "--set", "train.grad_accum=2"], in: dir)
        #expect(
            both.status != 0 && both.stderr.contains("give train.global_batch or train.grad_accum, not both"),
            "\(both.stderr)")

        // srun with several tasks but no MPI plugin: each task would train alone into one folder.
        let sluice = try TestSupport.sluiceBinary()
        let srun = try TestSupport.run(
            sluice, ["train", cfg], environment: ["SLURM_STEP_NUM_TASKS": "2", "SLUICE_NO_PROGRESS": "1"],
            directory: dir)
        #expect(srun.status != 0)
        #expect(srun.stderr.contains("srun started 2 tasks but no MPI process manager"), "\(srun.stderr)")

        // `sluice slurm train --launcher mpirun` where there is no mpirun: said before submitting.
        let noMPI = try TestSupport.run(
            sluice, ["slurm", "train", cfg, "--ntasks-per-node", "2", "--launcher", "mpirun"],
            environment: ["PATH": "/nonexistent"], directory: dir)
        #expect(noMPI.status != 0)
        #expect(noMPI.stderr.contains("mpirun is not on PATH"), "\(noMPI.stderr)")
        #expect(
            !FileManager.default.fileExists(atPath: dir + "/run/_slurm/train.sbatch"),
            "checked before writing the script")
    }
}
