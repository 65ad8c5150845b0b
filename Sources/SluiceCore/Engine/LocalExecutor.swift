// Runs a plan on this machine: the passes in order, each pass's unfinished tasks on `workers`
// threads; a pass starts only when the previous one is complete. Tasks with a completion marker
// are skipped unless `force`. Scheduler mode (`--task-index`) runs exactly one task.
import Foundation
import Logging

/// What a local run did.
public struct RunSummary: Sendable, Equatable {
    /// Tasks run and skipped (already done), by pass name, in pass order.
    public var ran: [(pass: String, tasks: Int)] = []
    public var skipped: [(pass: String, tasks: Int)] = []
    public static func == (a: RunSummary, b: RunSummary) -> Bool {
        a.ran.elementsEqual(b.ran, by: { $0 == $1 }) && a.skipped.elementsEqual(b.skipped, by: { $0 == $1 })
    }
    public var tasksRun: Int { ran.reduce(0) { $0 + $1.tasks } }
    public var tasksSkipped: Int { skipped.reduce(0) { $0 + $1.tasks } }
}

/// Runs the tasks of a plan on threads of this process.
public struct LocalExecutor: Sendable {
    public var workers: Int
    /// Redo tasks that have completion markers.
    public var force: Bool
    /// Draw a progress line on stderr (see `ProgressMeter.enabled`).
    public var showProgress: Bool
    public var logger: Logger

    public init(
        workers: Int? = nil, force: Bool = false, showProgress: Bool = false, logger: Logger = Logger(label: "sluice")
    ) {
        self.workers = max(1, workers ?? ProcessInfo.processInfo.activeProcessorCount)
        self.force = force
        self.showProgress = showProgress
        self.logger = logger
    }

    /// Runs every pass in order, or only pass `only` (whose earlier passes must be complete).
    /// - Throws: the first task error (as `SluiceError` naming the pass and task); later passes do not start.
    @discardableResult
    public func run(_ plan: PipelinePlan, only: Int? = nil) throws -> RunSummary {
        let lock = try OutputLock.exclusive(root: plan.layout.root)
        defer { withExtendedLifetime(lock) {} }
        if let warning = lock.warning { logger.warning("\(warning)") }
        try plan.recordRun()
        var summary = RunSummary()
        let selected = only.map { [$0] } ?? Array(plan.passes.indices)
        if let only { try Self.checkComplete(plan, before: only) }
        for p in selected { try plan.checkNoExtraTasks(passIndex: p) }
        // Set once a redone task's outputs differ from what its marker recorded: the later passes
        // read them, so they are redone too.
        var redoRest = force
        for p in selected {
            let pass = plan.passes[p]
            let pending = redoRest ? Array(0..<pass.taskCount) : plan.pendingTasks(passIndex: p)
            // Tasks with a marker of this configuration whose files fail the size check.
            var damaged: [Int: CompletionMarker] = [:]
            if !redoRest {
                for t in pending {
                    if let m = plan.marker(passIndex: p, task: t) {
                        damaged[t] = m
                        for problem in m.problems(root: plan.layout.root, checksums: false) {
                            logger.warning("\(pass.name)/\(t): \(problem); redoing the task")
                        }
                    }
                }
            }
            summary.ran.append((pass.name, pending.count))
            summary.skipped.append((pass.name, pass.taskCount - pending.count))
            if !pending.isEmpty {
                if pending.count < pass.taskCount {
                    logger.info(
                        "\(pass.name): \(pass.taskCount - pending.count) of \(pass.taskCount) tasks already done")
                }
                try runTasks(plan, passIndex: p, tasks: pending)
            }
            for (t, old) in damaged where plan.marker(passIndex: p, task: t)?.files != old.files {
                logger.warning(
                    "\(pass.name)/\(t): the redone task wrote other bytes than before; redoing the later passes")
                redoRest = true
            }
        }
        if plan.passes.indices.allSatisfy({ plan.pendingTasks(passIndex: $0).isEmpty }) {
            try? FileManager.default.removeItem(atPath: plan.layout.temporaryRoot)
        }
        return summary
    }

    /// Runs one task (what a Slurm array element does). Returns false when it was already done
    /// and `force` is off.
    /// - Throws: `SluiceError(.usage)` when an earlier pass is not complete.
    @discardableResult
    public func runTask(_ plan: PipelinePlan, passIndex: Int, task: Int) throws -> Bool {
        let pass = plan.passes[passIndex]
        guard task >= 0 && task < pass.taskCount else {
            throw SluiceError(.usage, "--task-index \(task) is outside 0..<\(pass.taskCount) for pass \(pass.name)")
        }
        let lock = try OutputLock.task(root: plan.layout.root, pass: pass.name, task: task)
        defer { withExtendedLifetime(lock) {} }
        if let warning = lock.warning { logger.warning("\(warning)") }
        try Self.checkComplete(plan, before: passIndex)
        try plan.checkNoExtraTasks(passIndex: passIndex)
        if passIndex == 0 && task == 0 { try plan.recordRun() }
        if !force && plan.isDone(passIndex: passIndex, task: task) {
            logger.info("\(pass.name)/\(task) is already done (use --force to redo it)")
            return false
        }
        do {
            try plan.run(passIndex: passIndex, task: task, logger: logger)
        } catch {
            throw Self.taskError(error, pass: pass.name, task: task)
        }
        return true
    }

    static func checkComplete(_ plan: PipelinePlan, before passIndex: Int) throws {
        for q in 0..<passIndex {
            let pending = plan.pendingTasks(passIndex: q)
            if !pending.isEmpty {
                let pass = plan.passes[q]
                throw SluiceError(
                    .usage,
                    "pass \(pass.name) is not complete (\(pass.taskCount - pending.count) of \(pass.taskCount) tasks done); run it first",
                    file: plan.pipeline.file)
            }
        }
    }

    static func taskError(_ error: any Error, pass: String, task: Int) -> SluiceError {
        if var e = error as? SluiceError {
            e.message = "task \(pass)/\(task): " + e.message
            return e
        }
        return SluiceError(.library, "task \(pass)/\(task): \(error)")
    }

    /// Runs `tasks` of a pass on up to `workers` threads; stops handing out tasks after a failure.
    func runTasks(_ plan: PipelinePlan, passIndex: Int, tasks: [Int]) throws {
        let pass = plan.passes[passIndex]
        var inputBytes = 0
        if case .segment(let k) = pass.kind {
            let taskSet = Set(tasks)
            if k == 0 {
                for (i, path) in plan.pipeline.inputs.enumerated() where taskSet.contains(i % plan.pipeline.tasks) {
                    inputBytes += SegmentTask.fileSize(path)
                }
            } else {
                for t in tasks { inputBytes += SegmentTask.fileSize(plan.layout.segmentFile(k - 1, task: t)) }
            }
        }
        let meter = showProgress ? ProgressMeter(pass: pass.name, tasks: tasks.count, inputBytesTotal: inputBytes) : nil
        meter?.start()
        defer { meter?.stop() }
        let queue = TaskQueue(tasks)
        let group = DispatchGroup()
        let logger = self.logger
        for _ in 0..<min(workers, tasks.count) {
            group.enter()
            let thread = Thread {
                while let task = queue.next() {
                    do {
                        try plan.run(passIndex: passIndex, task: task, logger: logger, progress: meter)
                        // What the task freed goes back before the next one's bursts (see Heap).
                        Heap.releaseFreePages()
                        meter?.finishedTask()
                    } catch {
                        queue.fail(Self.taskError(error, pass: pass.name, task: task))
                    }
                }
                group.leave()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        group.wait()
        if let (error, count) = queue.failure {
            if count > 1 {
                var e = error
                e.message += " (and \(count - 1) more failed tasks)"
                throw e
            }
            throw error
        }
    }
}

/// Hands out task numbers to worker threads; remembers the first failure.
private final class TaskQueue: @unchecked Sendable {
    // @unchecked: every field is guarded by `lock`.
    private let lock = NSLock()
    private var tasks: [Int]
    private var position = 0
    private var firstError: SluiceError?
    private var errorCount = 0

    init(_ tasks: [Int]) { self.tasks = tasks }

    func next() -> Int? {
        lock.withLock {
            guard firstError == nil, position < tasks.count else { return nil }
            position += 1
            return tasks[position - 1]
        }
    }

    func fail(_ error: SluiceError) {
        lock.withLock {
            if firstError == nil { firstError = error }
            errorCount += 1
        }
    }

    var failure: (SluiceError, Int)? { lock.withLock { firstError.map { ($0, errorCount) } } }
}
