// `sluice ablate FILE`, `sluice ablate report OUT`, `sluice ablate submit FILE`: parse flags, load
// the ablation through SluiceAblate, run it (or one task of it, or submit it to Slurm), print the
// table. No ablation logic lives here.
import ArgumentParser
import Foundation
import SluiceAblate
import SluiceCore

struct AblateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ablate",
        abstract: "Train small models on variants of a corpus at the same token budget and compare them.",
        discussion: """
            The ablation file names the variants (JSONL documents, or a pipeline run first), the \
            tokenizer, the token budget, the seeds, the model and train sections of `sluice train`, \
            and the evaluations. See docs/ablation.md.
            Example: sluice ablate Pipelines/ablation.yaml --seeds 1,2 --budget-tokens 500000
            """,
        subcommands: [AblateRun.self, AblateReport.self, AblateSubmit.self],
        defaultSubcommand: AblateRun.self
    )
}

/// The flags that change an ablation file, shared by `run` and `submit`.
struct AblateOverrides: ParsableArguments {
    @Option(help: "The output folder; replaces the file's out.") var out: String?
    @Option(
        name: .customLong("set"),
        help:
            "Override a key: key=value, dotted (budget_tokens=1e6, train.lr=3e-4, variants.raw.repeat=true). Repeatable."
    )
    var settings: [String] = []
    @Option(help: "Seeds, comma-separated (replaces the file's seeds).") var seeds: String?
    @Option(name: .customLong("budget-tokens"), help: "Training tokens per run (replaces budget_tokens).")
    var budgetTokens: Int?

    func validate() throws {
        if let budgetTokens, budgetTokens < 1 { throw ValidationError("--budget-tokens must be at least 1") }
        _ = try seedList()
    }

    func seedList() throws -> [Int]? {
        guard let seeds else { return nil }
        let parts = seeds.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { Int($0) }
        guard !parts.isEmpty, values.count == parts.count, values.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("--seeds expects integers ≥ 0 separated by commas, e.g. 1,2,3")
        }
        return values
    }

    func load(_ file: String, workers: Int?) throws -> AblationPlan {
        let o = AblationConfig.Overrides(
            settings: settings, seeds: try seedList(), budgetTokens: budgetTokens, out: out, workers: workers)
        return AblationPlan(config: try AblationConfig.load(path: file, registry: stageRegistry, overrides: o))
    }
}

struct AblateRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an ablation (the default: `sluice ablate FILE`).",
        discussion: """
            Runs every pass (variant pipelines, tokenizer, tokenize, one training run per seed and \
            variant, report); tasks with a completion marker are skipped, so a killed ablation \
            resumes where it stopped. Prints the table; OUT/results.json, OUT/ablation.svg and .png.
            Example: sluice ablate Pipelines/ablation.yaml --out runs/ablation --seeds 1,2,3
            """
    )

    @Argument(help: "The ablation YAML file.") var file: String
    @OptionGroup var overrides: AblateOverrides
    @Option(help: "Threads for variant pipelines, tokenizer counting and shard writing (default: every core).")
    var workers: Int?
    @Option(help: "Run only this pass (names: see --plan); earlier passes must be complete.") var pass: String?
    @Option(
        name: .customLong("task-index"),
        help: "Run only this task (from 0) of --pass, as a scheduler's array element does.")
    var taskIndex: Int?
    @Flag(help: "Redo tasks that already have completion markers.") var force = false
    @Flag(help: "Print the passes and their tasks, and exit.") var plan = false

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if let taskIndex, taskIndex < 0 { throw ValidationError("--task-index must be 0 or more") }
        if taskIndex != nil && pass == nil {
            throw ValidationError("--task-index needs --pass (see --plan for the passes)")
        }
    }

    func run() throws {
        try reportingErrors {
            let ablation = try overrides.load(file, workers: workers)
            if plan {
                let c = ablation.config
                print(
                    "\(c.variants.count) variants × \(c.seeds.count) seeds; \(c.steps) steps of \(c.tokensPerStep) tokens per run (budget \(c.budgetTokens)); out \(c.out)"
                )
                for (p, pass) in ablation.passes.enumerated() {
                    print("\(pass.name)\t\(pass.taskCount) tasks")
                    for t in 0..<pass.taskCount {
                        print(
                            "  \(t)\t\(ablation.isDone(pass: p, task: t) ? "done" : "pending")\t\(ablation.describe(pass: p, task: t))"
                        )
                    }
                }
                return
            }
            let runner = AblationRunner(
                plan: ablation, workers: workers, force: force, showProgress: ProgressMeter.enabled,
                log: { stderrLine("sluice: " + $0) })
            if let pass {
                guard let p = ablation.passIndex(named: pass) else {
                    throw SluiceError(
                        .usage,
                        "no pass named '\(pass)' (passes: \(ablation.passes.map(\.name).joined(separator: ", ")))")
                }
                if let task = taskIndex {
                    if !(try runner.runTask(pass: p, task: task)) {
                        stderrLine("sluice: task \(task) of \(pass) is already done (--force redoes it)")
                    }
                } else {
                    for t in 0..<ablation.passes[p].taskCount { try runner.runTask(pass: p, task: t) }
                }
                if ablation.passes[p].kind == .report { try printTable(ablation.resultsPath) }
                return
            }
            let start = Date()
            let (ran, skipped) = try runner.run()
            if skipped > 0 { stderrLine("sluice: skipped \(skipped) finished tasks (--force redoes them)") }
            stderrLine(
                String(format: "sluice: ablation done: %d tasks run in %.1f s", ran, Date().timeIntervalSince(start)))
            try printTable(ablation.resultsPath)
        }
    }
}

/// Prints the table of an ablation's results.json.
func printTable(_ resultsPath: String) throws {
    print(try AblationResults.table(fromJSON: try AblationResults.read(resultsJSON: resultsPath)), terminator: "")
}

struct AblateReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the table of a finished ablation again.",
        discussion: "Example: sluice ablate report runs/ablation"
    )

    @Argument(help: "The ablation's output folder (or its results.json).") var out: String
    @Flag(help: "Print results.json instead of the table.") var json = false

    func run() throws {
        try reportingErrors {
            let path = out.hasSuffix(".json") ? out : out + "/results.json"
            guard FileManager.default.fileExists(atPath: path) else {
                throw SluiceError(
                    .io, "no results.json: has the ablation finished? (sluice ablate FILE resumes it)", file: path)
            }
            if json {
                print(
                    String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self),
                    terminator: "")
            } else {
                try printTable(path)
            }
        }
    }
}

struct AblateSubmit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit an ablation to Slurm: one array job per pass, chained with afterok.",
        discussion: """
            Tasks with completion markers are left out, so submitting again reruns only what did not \
            finish. Scripts and logs go to OUT/_slurm/; OUT must be on a file system every node sees.
            Example: sluice ablate submit Pipelines/ablation.yaml --partition cpu --time 2:00:00 --cpus-per-task 4
            """
    )

    @Argument(help: "The ablation YAML file.") var file: String
    @OptionGroup var overrides: AblateOverrides
    @Option(help: "Slurm partition (sbatch --partition).") var partition: String?
    @Option(help: "Time limit per task (sbatch --time).") var time: String?
    @Option(name: .customLong("cpus-per-task"), help: "CPUs per task (sbatch --cpus-per-task).") var cpusPerTask: Int?
    @Option(help: "Memory per task (sbatch --mem).") var mem: String?
    @Option(name: .customLong("sbatch-arg"), help: "An extra sbatch argument. Repeatable.") var sbatchArguments:
        [String] = []
    @Flag(name: .customLong("dry-run"), help: "Write the scripts but do not submit them.") var dryRun = false

    func run() throws {
        try reportingErrors {
            let cwd = FileManager.default.currentDirectoryPath
            func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : cwd + "/" + p }
            let ablation = try overrides.load(file, workers: nil)
            let out = absolute(ablation.config.out)
            var command = [absolute(sluiceExecutablePath()), "ablate", "run", absolute(file), "--out", out]
            for s in overrides.settings { command += ["--set", s] }
            if let s = overrides.seeds { command += ["--seeds", s] }
            if let b = overrides.budgetTokens { command += ["--budget-tokens", String(b)] }
            var slurm = SlurmSettings()
            slurm.partition = partition
            slurm.time = time
            slurm.cpusPerTask = cpusPerTask
            slurm.memory = mem
            slurm.jobName = "sluice-ablate"
            slurm.extraArguments = [sbatchOption("chdir", cwd)] + sbatchArguments
            let passes = ablation.passes.enumerated().map { i, p in
                SlurmPass(index: i, name: p.name, taskCount: p.taskCount, pendingTasks: ablation.pendingTasks(pass: i))
            }
            let submitted = try SlurmScripts(settings: slurm, command: command, outputDirectory: out).submit(
                passes, dryRun: dryRun)
            if submitted.isEmpty { print("every task of every pass is already done; nothing to submit") }
            for s in submitted {
                print(
                    "\(s.pass.name)\t\(s.pass.pendingTasks.count)/\(s.pass.taskCount) tasks\t\(s.jobID.map { "job \($0)" } ?? "not submitted (dry run)")\t\(s.script)"
                )
            }
        }
    }
}
