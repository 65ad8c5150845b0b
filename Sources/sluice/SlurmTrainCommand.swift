// `sluice slurm train`: one Slurm job that runs `sluice train` data-parallel on nodes × tasks per
// node ranks. The configuration is read and checked here, before anything is submitted.
import ArgumentParser
import Foundation
import SluiceCore
import SluiceTrain

struct SlurmTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Write and submit an sbatch script that trains data-parallel on N nodes × K ranks.",
        discussion: """
            Every rank runs `sluice train CONFIG` with the same flags; rank 0 writes the run folder, \
            which must be on a file system every node sees, as must the data. The script goes to \
            OUT/_slurm/train.sbatch, the job's log to OUT/_slurm/logs/train-JOBID.log. Each rank gets \
            train.threads CPUs unless --cpus-per-task says otherwise.
            Example: sluice slurm train Pipelines/train-tiny.yaml --nodes 2 --ntasks-per-node 4 --time 4:00:00
            """
    )

    @Argument(help: "Training configuration (YAML).") var config: String
    @Option(help: "Nodes (sbatch --nodes).") var nodes = 1
    @Option(name: .customLong("ntasks-per-node"), help: "Ranks per node (sbatch --ntasks-per-node).") var tasksPerNode =
        1
    @Option(name: .customLong("set"), help: "Override a setting: section.key=value. Repeatable.") var sets: [String] =
        []
    @Option(help: "Run folder (out).") var out: String?
    @Flag(help: "Continue the run in the run folder from its latest checkpoint.") var resume = false
    @Option(help: "How the job starts its ranks: srun (--mpi=pmix) or mpirun.") var launcher = "srun"
    @Option(help: "Slurm partition (sbatch --partition).") var partition: String?
    @Option(help: "Time limit (sbatch --time), e.g. 4:00:00.") var time: String?
    @Option(name: .customLong("cpus-per-task"), help: "CPUs per rank (default: train.threads).") var cpusPerTask: Int?
    @Option(help: "Memory per node (sbatch --mem), e.g. 16G.") var mem: String?
    @Option(
        name: .customLong("sbatch-arg"), help: "An extra sbatch argument, e.g. --sbatch-arg=--account=lm. Repeatable.")
    var sbatchArguments: [String] = []
    @Flag(name: .customLong("dry-run"), help: "Write the script but do not submit it.") var dryRun = false

    func validate() throws {
        guard nodes >= 1 else { throw ValidationError("--nodes must be at least 1") }
        guard tasksPerNode >= 1 else { throw ValidationError("--ntasks-per-node must be at least 1") }
        if let cpusPerTask, cpusPerTask < 1 { throw ValidationError("--cpus-per-task must be at least 1") }
        guard MPILauncher(rawValue: launcher) != nil else { throw ValidationError("--launcher is srun or mpirun") }
    }

    func run() throws {
        try reportingErrors {
            let cwd = FileManager.default.currentDirectoryPath
            func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : cwd + "/" + p }
            var (text, overrides) = try readRunConfiguration(config, kind: "training", sets: sets)
            if let out { overrides.append(("out", out)) }
            // The ranks' own check, done now: a bad file or a rank count that does not divide
            // train.global_batch fails here rather than in the queue.
            let options = try TrainOptions.load(yaml: text, file: config, overrides: overrides).forRanks(
                nodes * tasksPerNode)
            try options.modelConfig(vocab: options.vocabSize ?? 1, eos: nil).validate()
            let runFolder = absolute(options.out)

            var command = [absolute(sluiceExecutablePath()), "train", absolute(config), "--out", runFolder]
            for s in sets { command += ["--set", s] }
            if resume { command.append("--resume") }
            var slurm = SlurmSettings()
            slurm.partition = partition
            slurm.time = time
            slurm.cpusPerTask = cpusPerTask ?? options.threads
            slurm.memory = mem
            slurm.extraArguments = [sbatchOption("chdir", cwd)] + sbatchArguments
            let job = SlurmTrainScript(
                nodes: nodes, tasksPerNode: tasksPerNode, settings: slurm, launcher: MPILauncher(rawValue: launcher)!,
                command: command, outputDirectory: runFolder)
            if !dryRun { try job.checkLauncher() }
            let id = try job.submit(dryRun: dryRun)
            print(
                "train\t\(job.ranks) ranks\t\(id.map { "job \($0)" } ?? "not submitted (dry run)")\t\(job.scriptPath)")
        }
    }
}
