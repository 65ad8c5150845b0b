// What a stage sees of the task running it: where to write, how to count, how to report bad
// records. One per task and thread; never shared.
import Foundation
import Logging

/// The running task, handed to every stage call.
public final class TaskContext {
    public let taskIndex: Int
    public let taskCount: Int
    /// The pipeline's output folder (final names).
    public let outputDirectory: String
    /// Where this task's files are written until the task commits them by rename.
    public let temporaryDirectory: String
    public var logger: Logger
    public var stats: TaskStats
    /// The index in `stats.stages` of the stage being called; the engine sets it.
    public var stageIndex: Int = 0
    /// The input being read and its index among the run's sorted inputs.
    public var currentInput: String = ""
    public var currentInputIndex: Int = 0
    /// The position of the current document within `currentInput`, from 0.
    public var documentOrdinal: Int = 0
    /// Outputs written so far, as (temporary path, final path).
    public private(set) var outputs: [(temporary: String, final: String)] = []

    public init(
        taskIndex: Int, taskCount: Int, outputDirectory: String, temporaryDirectory: String,
        stageNames: [String], logger: Logger = Logger(label: "sluice")
    ) {
        self.taskIndex = taskIndex
        self.taskCount = taskCount
        self.outputDirectory = outputDirectory
        self.temporaryDirectory = temporaryDirectory
        self.logger = logger
        self.stats = TaskStats(stageNames: stageNames)
    }

    /// `00003` for task 3: the stem of this task's output file names.
    public var taskStem: String {
        zeroPadded(taskIndex, width: 5)
    }

    /// A path to write `name` (relative to the output folder) to. The file is moved to its final
    /// name when the task completes, so a crash never leaves a partial file under a final name.
    /// The temporary file's parent folders are created here, so `name` may contain subfolders.
    public func outputPath(_ name: String) -> String {
        let temporary = temporaryDirectory + "/" + name
        let parent = (temporary as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        outputs.append((temporary, outputDirectory + "/" + name))
        return temporary
    }

    /// Outputs that live under the run folder rather than `outputDirectory` (kept drops of an
    /// intermediate segment), as (temporary path, final path); committed with `outputs`.
    public private(set) var auxiliaryOutputs: [(temporary: String, final: String)] = []

    /// A temporary path for `name` under the run folder `root`, renamed into place with the task's
    /// other outputs (see `outputPath(_:)`).
    public func auxiliaryOutputPath(_ name: String, root: String) -> String {
        let temporary = temporaryDirectory + "/_auxiliary/" + name
        let parent = (temporary as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        auxiliaryOutputs.append((temporary, root + "/" + name))
        return temporary
    }

    /// Files a stage wrote under their final names itself (corpus passes write into their work
    /// folder through their own temporary name and rename); the marker records their sizes and
    /// checksums too, so `sluice run` and `sluice verify` notice when they go missing.
    public private(set) var committedFiles: [String] = []

    /// Puts back the outputs a task had registered when it saved the checkpoint it resumes from
    /// (TaskCheckpoint.swift).
    public func restoreOutputs(_ saved: [(temporary: String, final: String)]) { outputs = saved }

    /// Puts back the auxiliary outputs of the checkpoint a task resumes from (DropAudit's files).
    public func restoreAuxiliaryOutputs(_ saved: [(temporary: String, final: String)]) { auxiliaryOutputs = saved }

    /// Records a file already in its final place under the output folder (see `committedFiles`).
    public func recordCommittedFile(_ path: String) { committedFiles.append(path) }

    /// Counts a broken record under `reason` for the current stage and logs where it was.
    /// - Parameters:
    ///   - reason: `stage:kind`, e.g. `warc:truncated_record`.
    /// The first `loggedRecordsPerReason` of each reason are logged; the rest are only counted,
    /// so a file full of broken lines does not flood the log.
    public func reportBadRecord(_ reason: String, file: String, offset: Int? = nil, line: Int? = nil, _ message: String)
    {
        let n = (stats.stages[stageIndex].errors[reason] ?? 0) + 1
        stats.stages[stageIndex].errors[reason] = n
        guard n <= Self.loggedRecordsPerReason else { return }
        var at = file
        if let line { at += ":\(line)" } else if let offset { at += ":\(offset)" }
        let more =
            n == Self.loggedRecordsPerReason ? " (further \(reason) records of this task are counted, not logged)" : ""
        logger.warning("\(reason): \(message) (\(at))\(more)")
    }

    /// How many broken records of one reason a task logs before it only counts them.
    public static let loggedRecordsPerReason = 20

    /// Adds to a named counter of the current stage (`records_skipped_type`, `pages_redirect`).
    public func count(_ counter: String, by n: Int = 1) {
        stats.stages[stageIndex].counters[counter, default: 0] += n
    }
}
