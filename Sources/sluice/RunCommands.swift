// `sluice run`, `sluice stage`, `sluice stages`, `sluice stats`: parse flags, build a Pipeline or
// read stats through SluiceCore, print. No pipeline logic lives here.
import ArgumentParser
import Foundation
import Logging
import SluiceClean
import SluiceCore
import SluiceDedup
import SluiceIngest
import SluiceTokenize
import SluiceTrain

/// Every registered stage: each library's one list, one line each (a library with no stages has no
/// list). Tests/SluiceCLITests/StageConformanceTests.swift checks every list and this registry.
let stageRegistry = StageRegistry(
    CoreStages.all
        + IngestStages.all
        + CleanStages.all
        + DedupStages.all
        + TokenizeStages.all
        + TrainStages.all
)

/// The flags every command that runs tasks shares.
struct TaskOptions: ParsableArguments {
    @Option(help: "Threads that run tasks on this machine (default: the pipeline's `workers`, else every core).")
    var workers: Int?

    @Option(help: "Tasks the inputs are divided into (default: the pipeline's `tasks`, else one per input file).")
    var tasks: Int?

    @Option(
        name: .customLong("task-index"),
        help:
            "Run only this task (from 0) of one pass, as a scheduler's array element does; needs --pass when the plan has several passes."
    )
    var taskIndex: Int?

    @Option(
        name: .customLong("s3-endpoint"),
        help:
            "The HTTPS endpoint s3://bucket/key inputs are fetched from, path style (default: https://bucket.s3.amazonaws.com/key)."
    )
    var s3Endpoint: String?

    /// Hands --s3-endpoint to SluiceCore's remote streams (they read it from the environment).
    func applyRemoteSettings() {
        if let s3Endpoint { setenv("SLUICE_S3_ENDPOINT", s3Endpoint, 1) }
    }

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if let tasks, tasks < 1 { throw ValidationError("--tasks must be at least 1") }
        if let taskIndex, taskIndex < 0 { throw ValidationError("--task-index must be 0 or more") }
    }
}

/// Runs a plan locally or one task of it, then prints the merged stats table.
func execute(_ plan: PipelinePlan, taskOptions: TaskOptions, pass: String?, force: Bool, printPlan: Bool) throws {
    if printPlan {
        for p in plan.passes { print("\(p.name)\t\(p.taskCount) tasks") }
        return
    }
    var passIndex: Int?
    if let pass {
        guard let i = plan.passIndex(named: pass) else {
            throw SluiceError(
                .usage, "no pass named '\(pass)' (passes: \(plan.passes.map(\.name).joined(separator: ", ")))")
        }
        passIndex = i
    }
    let logger = Logger(label: "sluice")
    let executor = LocalExecutor(
        workers: taskOptions.workers ?? plan.pipeline.workers, force: force, showProgress: ProgressMeter.enabled,
        logger: logger)
    if let task = taskOptions.taskIndex {
        if passIndex == nil {
            guard plan.passes.count == 1 else {
                throw SluiceError(
                    .usage,
                    "--task-index needs --pass: this plan has passes \(plan.passes.map(\.name).joined(separator: ", "))"
                )
            }
            passIndex = 0
        }
        if !(try executor.runTask(plan, passIndex: passIndex!, task: task)) {
            stderrLine("sluice: task \(task) of \(plan.passes[passIndex!].name) is already done (--force redoes it)")
        }
        return
    }
    let summary = try executor.run(plan, only: passIndex)
    if summary.tasksSkipped > 0 {
        stderrLine("sluice: skipped \(summary.tasksSkipped) finished tasks (--force redoes them)")
    }
    print(try StatsReport.load(outputDirectory: plan.pipeline.output).table(), terminator: "")
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline file.",
        discussion: """
            Runs every pass of the pipeline (tasks with a completion marker are skipped) and prints \
            the merged stats. Relative paths in the file resolve against the current directory.
            Example: sluice run Pipelines/quickstart.yaml --output out/quickstart --set sample.rate=0.5
            """
    )

    @Argument(help: "The pipeline YAML file.")
    var pipeline: String

    @Option(name: .customLong("input"), help: "An input glob; repeat for several. Replaces the file's input.paths.")
    var inputs: [String] = []

    @Option(help: "The output folder; replaces the file's output.")
    var output: String?

    @Option(name: .customLong("set"), help: "Override a stage option: stage.key=value (the value is YAML). Repeatable.")
    var settings: [String] = []

    @OptionGroup var taskOptions: TaskOptions

    @Option(help: "Run only this pass (names: see --plan); earlier passes must be complete.")
    var pass: String?

    @Flag(help: "Redo tasks that already have completion markers.")
    var force = false

    @Flag(help: "Print the passes and their task counts, and exit.")
    var plan = false

    func run() throws {
        try reportingErrors {
            // --tasks is always the pipeline's task count (segment tasks), also with --pass naming a
            // corpus pass, whose own task count follows from the plan: every array job of a
            // scheduler runs the same command line.
            taskOptions.applyRemoteSettings()
            let overrides = PipelineOverrides(
                inputs: inputs, output: output, tasks: taskOptions.tasks, workers: taskOptions.workers,
                settings: settings)
            let plan = try PipelinePlan(
                pipeline: try Pipeline.load(path: pipeline, registry: stageRegistry, overrides: overrides),
                registry: stageRegistry)
            try execute(plan, taskOptions: taskOptions, pass: pass, force: force, printPlan: self.plan)
        }
    }
}

struct StageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stage",
        abstract: "Run one registered stage alone.",
        discussion: """
            The reader is chosen from the input's extension (or is the stage itself when it is a \
            reader); a `write` stage is appended when the stage is not a writer.
            Example: sluice stage length --set min_words=50 --input 'data/*.jsonl.zst' --output out/long
            """
    )

    @Argument(help: "The stage name (see `sluice stages`).")
    var name: String

    @Option(name: .customLong("set"), help: "A stage option: key=value (the value is YAML). Repeatable.")
    var settings: [String] = []

    @Option(name: .customLong("input"), help: "An input glob; repeat for several.")
    var inputs: [String]

    @Option(help: "The output folder.")
    var output: String

    @OptionGroup var taskOptions: TaskOptions

    @Flag(help: "Redo tasks that already have completion markers.")
    var force = false

    func run() throws {
        try reportingErrors {
            taskOptions.applyRemoteSettings()
            guard let type = stageRegistry.stage(named: name) else {
                throw SluiceError(.usage, "unknown stage '\(name)' (`sluice stages` lists them)")
            }
            var d = PipelineDescription(file: nil)
            d.inputPatterns = inputs.map { ($0, 0) }
            d.output = output
            if type is any DocumentReader.Type {
                d.reader = name
            } else {
                d.stages.append((name, [], 0))
            }
            if !(type is any DocumentWriter.Type) {
                guard stageRegistry.stage(named: "write") != nil else {
                    throw SluiceError(.config, "no `write` stage is registered to write the results")
                }
                d.stages.append(("write", [], 0))
            }
            let prefixed = settings.map { $0.hasPrefix(name + ".") ? $0 : name + "." + $0 }
            let overrides = PipelineOverrides(
                tasks: taskOptions.tasks, workers: taskOptions.workers, settings: prefixed)
            let pipeline = try Pipeline(d, registry: stageRegistry, overrides: overrides)
            let plan = try PipelinePlan(pipeline: pipeline, registry: stageRegistry)
            try execute(plan, taskOptions: taskOptions, pass: nil, force: force, printPlan: false)
        }
    }
}

struct StagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages",
        abstract: "List every registered stage with its options, defaults and help.",
        discussion: "Example: sluice stages length"
    )

    @Argument(help: "Only these stages.")
    var names: [String] = []

    @Flag(help: "Print Markdown tables (`make docs` writes them to docs/stages.md).")
    var markdown = false

    func run() throws {
        try reportingErrors {
            for n in names where stageRegistry.stage(named: n) == nil {
                throw SluiceError(.usage, "unknown stage '\(n)'")
            }
            let types = stageRegistry.stages.filter { names.isEmpty || names.contains($0.name) }
            if types.isEmpty { print("no stages registered") }
            print(try markdown ? StageListing.markdown(types) : StageListing.text(types), terminator: "")
        }
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a finished run's files against its completion markers (sizes and xxHash64).",
        discussion: """
            Prints one line per problem (a missing or changed file, a task without a marker) and exits \
            non-zero if there is any; `sluice run` on the same pipeline redoes those tasks.
            Example: sluice verify out/quickstart
            """
    )

    @Argument(help: "The output folder of a run.")
    var outputDirectory: String

    func run() throws {
        try reportingErrors {
            let report = try OutputVerifier.verify(root: outputDirectory)
            for problem in report.problems { print(problem) }
            if !report.problems.isEmpty {
                stderrLine(
                    "sluice: \(report.problems.count) problems in \(outputDirectory) (sluice run redoes the tasks)")
                throw ExitCode.failure
            }
            print("\(outputDirectory): \(report.markers) tasks, \(report.files) files, \(report.bytes) bytes verified")
        }
    }
}

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Merge the per-task stats of an output folder into one table.",
        discussion: "Example: sluice stats out/quickstart --json"
    )

    @Argument(help: "The output folder of a run.")
    var outputDirectory: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        try reportingErrors {
            let report = try StatsReport.load(outputDirectory: outputDirectory)
            print(json ? try report.json() : report.table(), terminator: json ? "\n" : "")
        }
    }
}
