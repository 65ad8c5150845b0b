// Turns a data-parallel training run into one Slurm job: an sbatch script asking for nodes ×
// tasks per node, whose single step starts every rank (`srun --mpi=pmix` or `mpirun`), and its
// submission. It knows nothing of training; `sluice slurm train` builds the command.
import Foundation

/// How the job script starts the ranks.
public enum MPILauncher: String, Sendable, CaseIterable {
    /// `srun --mpi=pmix`: Slurm starts every rank and hands OpenMPI their places through PMIx.
    case srun
    /// `mpirun` inside the allocation: OpenMPI reads the allocation from Slurm and starts the ranks.
    case mpirun
}

/// One training job for `sbatch`.
public struct SlurmTrainScript: Sendable {
    /// Nodes (`--nodes`) and ranks on each (`--ntasks-per-node`).
    public var nodes: Int
    public var tasksPerNode: Int
    /// Partition, time, CPUs per task (the run's threads), memory, job name and extra arguments.
    public var settings: SlurmSettings
    public var launcher: MPILauncher
    /// What every rank runs: `["/abs/sluice", "train", "/abs/config.yaml", …]`.
    public var command: [String]
    /// The run folder (absolute): the script goes to `_slurm/train.sbatch`, the log to `_slurm/logs/`.
    public var outputDirectory: String

    public init(
        nodes: Int, tasksPerNode: Int, settings: SlurmSettings, launcher: MPILauncher, command: [String],
        outputDirectory: String
    ) {
        self.nodes = nodes
        self.tasksPerNode = tasksPerNode
        self.settings = settings
        self.launcher = launcher
        self.command = command
        self.outputDirectory = outputDirectory
    }

    /// Ranks in the job.
    public var ranks: Int { nodes * tasksPerNode }
    public var scriptPath: String { outputDirectory + "/_slurm/train.sbatch" }
    public var logDirectory: String { outputDirectory + "/_slurm/logs" }

    /// The text of the sbatch script.
    public var script: String {
        var lines = ["#!/usr/bin/env bash", "# sluice-train-ranks: \(ranks)"]
        lines.append(sbatchLine("job-name", settings.jobName + "-train"))
        lines.append("#SBATCH --nodes=\(nodes)")
        lines.append("#SBATCH --ntasks-per-node=\(tasksPerNode)")
        lines.append(sbatchLine("output", logDirectory + "/train-%j.log"))
        if let p = settings.partition { lines.append(sbatchLine("partition", p)) }
        if let t = settings.time { lines.append("#SBATCH --time=\(t)") }
        if let c = settings.cpusPerTask { lines.append("#SBATCH --cpus-per-task=\(c)") }
        if let m = settings.memory { lines.append("#SBATCH --mem=\(m)") }
        for a in settings.extraArguments { lines.append("#SBATCH \(a)") }
        lines.append("set -euo pipefail")
        let args = command.map(shellQuote).joined(separator: " ")
        switch launcher {
        case .srun:
            // One task per rank, each on its own CPUs; PMIx tells OpenMPI its rank and peers.
            lines.append("exec srun --mpi=pmix --kill-on-bad-exit=1 " + args)
        case .mpirun:
            // OpenMPI's mpirun reads the allocation (nodes, tasks) from Slurm's environment;
            // it refuses root unless told, and a job runs as whoever submitted it.
            lines.append(
                "if [ \"$(id -u)\" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi")
            lines.append("exec mpirun -np \"$SLURM_NTASKS\" --bind-to none " + args)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the script and, unless `dryRun`, submits it.
    /// - Returns: the job id, or nil on a dry run.
    /// - Throws: `SluiceError(.io)` when the script cannot be written or `sbatch` fails.
    public func submit(dryRun: Bool) throws -> String? {
        try sbatchSafe([logDirectory, settings.jobName, settings.partition ?? ""], file: scriptPath)
        do {
            try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
            try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        } catch {
            throw SluiceError(.io, "cannot write sbatch script: \(error)", file: scriptPath)
        }
        if dryRun { return nil }
        let r = try runTool("sbatch", ["--parsable", scriptPath])
        guard r.status == 0 else {
            throw SluiceError(
                .io, "sbatch failed: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))", file: scriptPath)
        }
        // --parsable prints "jobid" or "jobid;cluster".
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init)
        guard let id, !id.isEmpty else { throw SluiceError(.io, "sbatch printed no job id", file: scriptPath) }
        return id
    }

    /// Checks, on the submitting machine, that the launcher can work: `mpirun` is on PATH, or
    /// Slurm's srun has the PMIx plugin OpenMPI needs.
    /// - Throws: a config error saying what to install or which launcher to use instead.
    public func checkLauncher(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        switch launcher {
        case .mpirun:
            guard findExecutable("mpirun", environment: environment) != nil else {
                throw SluiceError(
                    .config,
                    "mpirun is not on PATH: install OpenMPI (Debian: apt-get install openmpi-bin libopenmpi-dev, or `make deps`), "
                        + "or launch with --launcher srun")
            }
        case .srun:
            guard findExecutable("srun", environment: environment) != nil else {
                throw SluiceError(
                    .config, "srun is not on PATH: run this on a Slurm login node, or launch with --launcher mpirun")
            }
            let r = try runTool("srun", ["--mpi=list"])
            let text = r.stdout + r.stderr
            guard text.contains("pmix") else {
                throw SluiceError(
                    .config,
                    "this Slurm has no PMIx plugin (srun --mpi=list: \(text.split(whereSeparator: \.isNewline).joined(separator: " "))), "
                        + "which OpenMPI ranks started by srun need: launch with --launcher mpirun")
            }
        }
    }
}

/// The full path of `name` in `PATH`, or nil.
public func findExecutable(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment)
    -> String?
{
    let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in path.split(separator: ":") where !dir.isEmpty {
        let p = dir + "/" + name
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}
