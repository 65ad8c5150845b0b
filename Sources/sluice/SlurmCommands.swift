// `sluice slurm submit` and `sluice slurm status`: one array job per pass of a pipeline, chained
// with afterok dependencies, and a view of the completion markers. Slurm schedules; we only write
// and submit the scripts.
import ArgumentParser
import Foundation
import SluiceCore

struct SlurmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Run a pipeline on a Slurm cluster as array jobs, or train data-parallel there.",
        subcommands: [SlurmSubmit.self, SlurmStatus.self, SlurmTrain.self]
    )
}

struct SlurmSubmit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Write one sbatch array script per pass, chain them with afterok, and submit them.",
        discussion: """
            Tasks that already have completion markers are left out of the arrays, so submitting \
            again after a failure reruns only what did not finish. Scripts and per-task logs go to \
            OUTPUT/_slurm/. The output folder must be on a file system every node sees.
            Example: sluice slurm submit Pipelines/commoncrawl.yaml --tasks 64 --partition cpu --time 2:00:00
            """
    )

    @Argument(help: "The pipeline YAML file.")
    var pipeline: String

    @Option(name: .customLong("input"), help: "An input glob; repeat for several. Replaces the file's input.paths.")
    var inputs: [String] = []

    @Option(help: "The output folder; replaces the file's output.")
    var output: String?

    @Option(name: .customLong("set"), help: "Override a stage option: stage.key=value. Repeatable.")
    var settings: [String] = []

    @Option(help: "Tasks the inputs are divided into (default: the pipeline's `tasks`).")
    var tasks: Int?

    @Option(help: "Slurm partition (sbatch --partition).")
    var partition: String?

    @Option(help: "Time limit per task (sbatch --time), e.g. 1:00:00.")
    var time: String?

    @Option(name: .customLong("cpus-per-task"), help: "CPUs per task (sbatch --cpus-per-task).")
    var cpusPerTask: Int?

    @Option(help: "Memory per task (sbatch --mem), e.g. 8G.")
    var mem: String?

    @Option(name: .customLong("max-parallel"), help: "At most this many tasks of a pass at once (--array=…%N).")
    var maxParallel: Int?

    @Option(
        name: .customLong("sbatch-arg"), help: "An extra sbatch argument, e.g. --sbatch-arg=--account=lm. Repeatable.")
    var sbatchArguments: [String] = []

    @Flag(name: .customLong("dry-run"), help: "Write the scripts but do not submit them.")
    var dryRun = false

    func validate() throws {
        if let tasks, tasks < 1 { throw ValidationError("--tasks must be at least 1") }
        if let cpusPerTask, cpusPerTask < 1 { throw ValidationError("--cpus-per-task must be at least 1") }
        if let maxParallel, maxParallel < 1 { throw ValidationError("--max-parallel must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            let cwd = FileManager.default.currentDirectoryPath
            func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : cwd + "/" + p }
            let overrides = PipelineOverrides(inputs: inputs, output: output, tasks: tasks, settings: settings)
            let plan = try PipelinePlan(
                pipeline: try Pipeline.load(path: pipeline, registry: stageRegistry, overrides: overrides),
                registry: stageRegistry)
            let out = absolute(plan.pipeline.output)

            // Every task runs the same command with the same overrides, from the same folder.
            var command = [absolute(sluiceExecutablePath()), "run", absolute(pipeline), "--output", out]
            command += ["--tasks", String(plan.pipeline.tasks)]
            for i in inputs { command += ["--input", absolute(i)] }
            for s in settings { command += ["--set", s] }

            var slurm = SlurmSettings()
            slurm.partition = partition
            slurm.time = time
            slurm.cpusPerTask = cpusPerTask
            slurm.memory = mem
            slurm.maxConcurrent = maxParallel
            slurm.extraArguments = [sbatchOption("chdir", cwd)] + sbatchArguments
            let passes = plan.passes.enumerated().map { i, p in
                SlurmPass(index: i, name: p.name, taskCount: p.taskCount, pendingTasks: plan.pendingTasks(passIndex: i))
            }
            let submitted = try SlurmScripts(settings: slurm, command: command, outputDirectory: out)
                .submit(passes, dryRun: dryRun)
            if submitted.isEmpty { print("every task of every pass is already done; nothing to submit") }
            for s in submitted {
                let job = s.jobID.map { "job \($0)" } ?? "not submitted (dry run)"
                print("\(s.pass.name)\t\(s.pass.pendingTasks.count)/\(s.pass.taskCount) tasks\t\(job)\t\(s.script)")
            }
        }
    }
}

struct SlurmStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show tasks done, running, pending and failed for each pass of a submitted pipeline.",
        discussion: "Example: sluice slurm status out/commoncrawl"
    )

    @Argument(help: "The pipeline's output folder.")
    var output: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        try reportingErrors {
            let report = try SlurmStatusReport.load(outputDirectory: output)
            print(json ? report.json() : report.table(), terminator: "")
        }
    }
}

/// The path of the running `sluice` binary.
func sluiceExecutablePath() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}
