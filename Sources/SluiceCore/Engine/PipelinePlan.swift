// The planner: a pipeline split at corpus stages into segments, and the list of passes a run
// executes in order (segment passes and corpus passes), each a number of independent tasks.
// Any scheduler runs a pass as `run(passIndex:task:)` calls; LocalExecutor runs them on threads.
import Foundation
import Logging

/// One pass of a plan: `taskCount` independent tasks; the next pass starts when all are done.
public struct PlannedPass: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Segment `k`: reads inputs (k = 0) or the previous segment's intermediate files, applies
        /// steps, writes the final outputs or intermediate files.
        case segment(Int)
        /// Pass `pass` of the corpus stage at `stage` (an index into `Pipeline.stages`).
        case corpus(stage: Int, pass: Int)
        /// Pass `pass` of the preparing step at `stage`, run before segment 0.
        case preparation(stage: Int, pass: Int)
    }
    /// Used in marker, stats and temporary folder names (`segment-0`, `minhash_dedup.buckets`).
    public let name: String
    public let kind: Kind
    public let taskCount: Int

    public init(name: String, kind: Kind, taskCount: Int) {
        self.name = name
        self.kind = kind
        self.taskCount = taskCount
    }
}

/// Where a run keeps its files under the output folder.
public struct OutputLayout: Sendable {
    public let root: String
    public init(root: String) { self.root = root }

    /// `00003` for task 3.
    public static func stem(_ task: Int) -> String {
        zeroPadded(task, width: 5)
    }
    public func marker(pass: String, task: Int) -> String { "\(root)/_markers/\(pass)/\(Self.stem(task)).done" }
    public func stats(pass: String, task: Int) -> String { "\(root)/_stats/\(pass)/\(Self.stem(task)).json" }
    public func temporary(pass: String, task: Int) -> String { "\(root)/_tmp/\(pass)/\(Self.stem(task))" }
    public var statsDirectory: String { "\(root)/_stats" }
    public var temporaryRoot: String { "\(root)/_tmp" }
    /// The intermediate documents segment `k` writes for a later segment.
    public func segmentDirectory(_ k: Int) -> String { "\(root)/_work/segment-\(k)" }
    public func segmentFile(_ k: Int, task: Int) -> String { "\(segmentDirectory(k))/\(Self.stem(task)).jsonl.zst" }
}

/// A pipeline divided into passes.
public struct PipelinePlan: Sendable {
    /// A run of steps between corpus stages.
    struct Segment: Sendable {
        var index: Int
        /// The corpus stage just before this segment (its `makeStep` is applied first), if any.
        var corpusBefore: Int?
        /// Indices into `pipeline.stages`.
        var steps: [Int]
        var writers: [Int]
        /// Whether this segment writes intermediate files for a corpus stage.
        var intermediate: Bool { writers.isEmpty }
    }

    public let pipeline: Pipeline
    public let registry: StageRegistry
    public let layout: OutputLayout
    /// The passes in the order they run.
    public let passes: [PlannedPass]
    let segments: [Segment]
    /// The folder each corpus stage owns under `_work`, by stage index.
    let corpusDirectories: [Int: String]
    /// A hash of what decides the outputs: inputs, task count, readers and stages with their
    /// options. Markers record it, so a marker left by a different configuration does not count.
    public let fingerprint: String

    /// The stage that writes intermediate documents (`write`) and its options.
    public static let intermediateWriter = "write"
    public static let intermediateWriterOptions: [(key: String, value: ConfigValue)] = [
        ("compression", .scalar("zstd", line: 0))
    ]

    /// Plans `pipeline`.
    /// - Throws: `SluiceError(.config)` when a corpus stage needs the `write` stage or a reader for
    ///   `.jsonl.zst` and the registry lacks them.
    public init(pipeline: Pipeline, registry: StageRegistry) throws {
        self.pipeline = pipeline
        self.registry = registry
        let layout = OutputLayout(root: pipeline.output)
        self.layout = layout
        var segments: [Segment] = []
        var passes: [PlannedPass] = []
        var directories: [Int: String] = [:]
        var used = Set<String>()
        func unique(_ name: String) -> String {
            var n = name
            var i = 2
            while !used.insert(n).inserted {
                n = "\(name)-\(i)"
                i += 1
            }
            return n
        }
        // Preparation passes of steps (a classifier trained from labels) run before segment 0.
        for (i, spec) in pipeline.stages.enumerated() where spec.type is any PreparingStep.Type {
            guard let step = try spec.build() as? any PreparingStep else { preconditionFailure("preparing step type") }
            let directory = "\(layout.root)/_work/\(unique(spec.name))"
            directories[i] = directory
            let environment = PassEnvironment(documentFiles: [], workDirectory: directory, segmentTasks: pipeline.tasks)
            for (p, pass) in step.preparationPasses().enumerated() {
                let kind = PlannedPass.Kind.preparation(stage: i, pass: p)
                let count = pass.taskCount(environment: environment)
                passes.append(PlannedPass(name: unique("\(spec.name).\(pass.name)"), kind: kind, taskCount: count))
            }
        }
        var current = Segment(index: 0, corpusBefore: nil, steps: [], writers: [])
        for (i, spec) in pipeline.stages.enumerated() {
            if spec.type is any DocumentWriter.Type {
                current.writers.append(i)
            } else if spec.type is any CorpusStage.Type {
                segments.append(current)
                passes.append(
                    PlannedPass(
                        name: unique("segment-\(current.index)"), kind: .segment(current.index),
                        taskCount: pipeline.tasks))
                guard let corpus = try spec.build() as? any CorpusStage else {
                    preconditionFailure("corpus stage type")
                }
                let directory = "\(layout.root)/_work/\(unique(spec.name))"
                directories[i] = directory
                let environment = PassEnvironment(
                    documentFiles: (0..<pipeline.tasks).map { layout.segmentFile(current.index, task: $0) },
                    workDirectory: directory, segmentTasks: pipeline.tasks)
                for (p, pass) in corpus.passes().enumerated() {
                    let count = pass.taskCount(environment: environment)
                    precondition(count >= 0, "\(spec.name).\(pass.name): negative task count")
                    passes.append(
                        PlannedPass(
                            name: unique("\(spec.name).\(pass.name)"), kind: .corpus(stage: i, pass: p),
                            taskCount: count))
                }
                current = Segment(index: current.index + 1, corpusBefore: i, steps: [], writers: [])
            } else {
                current.steps.append(i)
            }
        }
        // A pipeline ending in a corpus stage (tokenizer training) has no final segment.
        if !(current.corpusBefore != nil && current.steps.isEmpty && current.writers.isEmpty) {
            segments.append(current)
            passes.append(
                PlannedPass(
                    name: unique("segment-\(current.index)"), kind: .segment(current.index), taskCount: pipeline.tasks))
        }
        if segments.contains(where: \.intermediate) {
            guard registry.stage(named: Self.intermediateWriter) is any DocumentWriter.Type else {
                throw SluiceError(
                    .config, "corpus stages need the '\(Self.intermediateWriter)' stage registered", file: pipeline.file
                )
            }
            guard registry.reader(forPath: "x.jsonl.zst") != nil else {
                throw SluiceError(.config, "corpus stages need a reader for .jsonl.zst registered", file: pipeline.file)
            }
        }
        self.segments = segments
        self.passes = passes
        self.corpusDirectories = directories
        self.fingerprint = Self.fingerprint(of: pipeline)
    }

    /// The hex xxHash64 of a canonical text of the pipeline (not its output folder or workers).
    static func fingerprint(of pipeline: Pipeline) -> String {
        func canonical(_ v: ConfigValue) -> String {
            switch v {
            case .scalar(let s, _): "\"\(s)\""
            case .list(let l, _): "[" + l.map(canonical).joined(separator: ",") + "]"
            case .map(let m, _): "{" + m.map { "\"\($0.key)\":" + canonical($0.value) }.joined(separator: ",") + "}"
            }
        }
        func spec(_ s: StageSpec) -> String {
            s.name + "{" + s.values.map { "\($0.key):" + canonical($0.value) }.joined(separator: ",") + "}"
                + s.overrides.map { "+\($0.key)=\($0.yaml)" }.joined()
        }
        var text = "tasks=\(pipeline.tasks)\n"
        // Checkpoints end compressed frames at fixed documents: other output bytes.
        if let n = pipeline.checkpointEvery { text += "checkpoint_every=\(n)\n" }
        for (i, input) in pipeline.inputs.enumerated() { text += "input=\(input) reader=\(pipeline.inputReader[i])\n" }
        for r in pipeline.readers { text += "reader=" + spec(r) + "\n" }
        for s in pipeline.stages { text += "stage=" + spec(s) + "\n" }
        text += pipeline.dropAudit.fingerprintText
        return zeroPaddedHex(xxHash64(text))
    }

    /// The index of the pass called `name`.
    public func passIndex(named name: String) -> Int? { passes.firstIndex { $0.name == name } }

    /// Whether task `task` of pass `passIndex` is done: its completion marker was written by a run
    /// of the same configuration (another fingerprint does not count) and every file it records
    /// exists with the recorded size. Checksums are `sluice verify`'s job.
    public func isDone(passIndex: Int, task: Int) -> Bool {
        guard let marker = marker(passIndex: passIndex, task: task) else { return false }
        return marker.problems(root: layout.root, checksums: false).isEmpty
    }

    /// The task's marker when it was written by a run of this configuration.
    public func marker(passIndex: Int, task: Int) -> CompletionMarker? {
        guard let m = CompletionMarker.load(layout.marker(pass: passes[passIndex].name, task: task)),
            m.fingerprint == fingerprint
        else { return nil }
        return m
    }

    /// Throws when the output folder holds markers of tasks beyond this pass's task count: an
    /// earlier run with more tasks left outputs this run would not replace.
    public func checkNoExtraTasks(passIndex: Int) throws {
        let pass = passes[passIndex]
        let folder = "\(layout.root)/_markers/\(pass.name)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let extra = names.compactMap { $0.hasSuffix(".done") ? Int($0.dropLast(5)) : nil }.filter {
            $0 >= pass.taskCount
        }
        if let first = extra.min() {
            throw SluiceError(
                .usage,
                "\(layout.root) holds task \(first) of pass \(pass.name) from an earlier run with more tasks (now \(pass.taskCount)); use a new output folder or delete this one",
                file: pipeline.file)
        }
    }

    /// The tasks of a pass without a completion marker.
    public func pendingTasks(passIndex: Int) -> [Int] {
        (0..<passes[passIndex].taskCount).filter { !isDone(passIndex: passIndex, task: $0) }
    }

    /// The environment a corpus stage's passes see.
    func environment(corpusStage i: Int) -> PassEnvironment {
        let segment =
            segments.first { $0.corpusBefore == i }.map { $0.index - 1 }
            ?? segments.last!.index  // the pipeline ends with this corpus stage
        return PassEnvironment(
            documentFiles: (0..<pipeline.tasks).map { layout.segmentFile(segment, task: $0) },
            workDirectory: corpusDirectories[i]!, segmentTasks: pipeline.tasks)
    }

    // MARK: - Running one task

    /// Runs task `task` of pass `passIndex` to completion, whether or not it has a marker:
    /// outputs go to a per-task temporary folder, are renamed into place, then the stats file and
    /// the completion marker are written.
    /// - Parameters:
    ///   - progress: counts documents and bytes for a progress line, if given.
    /// - Throws: any error that stops the task (bad input inside files is counted, not thrown).
    public func run(passIndex: Int, task: Int, logger: Logger = Logger(label: "sluice"), progress: ProgressMeter? = nil)
        throws
    {
        let pass = passes[passIndex]
        precondition(task >= 0 && task < pass.taskCount, "task \(task) outside 0..<\(pass.taskCount)")
        let fm = FileManager.default
        let marker = layout.marker(pass: pass.name, task: task)
        try? fm.removeItem(atPath: marker)
        let temporary = layout.temporary(pass: pass.name, task: task)
        // A checkpoint of this configuration in the temporary folder: the task resumes from it.
        let resumable =
            pipeline.checkpointEvery != nil
            && TaskCheckpoint.load(temporary: temporary, fingerprint: fingerprint) != nil
        if !resumable { try? fm.removeItem(atPath: temporary) }
        makeParentDirectories(of: temporary + "/x")
        var isFolder: ObjCBool = false
        guard fm.fileExists(atPath: temporary, isDirectory: &isFolder), isFolder.boolValue else {
            throw SluiceError(
                .io, "cannot create a temporary folder: \(String(cString: strerror(errno)))", file: temporary)
        }
        WrittenFileLedger.shared.watch(temporary)
        defer { WrittenFileLedger.shared.unwatch(temporary) }
        var taskLogger = logger
        taskLogger[metadataKey: "task"] = "\(pass.name)/\(task)"
        let started = Self.now()
        let context: TaskContext
        var intermediateFile: String?
        switch pass.kind {
        case .segment(let k):
            let segment = segments[k]
            let outputDirectory = segment.intermediate ? layout.segmentDirectory(k) : pipeline.output
            if segment.intermediate { intermediateFile = layout.segmentFile(k, task: task) }
            var runner = try SegmentTask(plan: self, segment: segment, task: task)
            runner.checkpointPlace = (temporary, fingerprint, pass.name)
            context = TaskContext(
                taskIndex: task, taskCount: pass.taskCount, outputDirectory: outputDirectory,
                temporaryDirectory: temporary, stageNames: runner.stageNames, logger: taskLogger)
            try runner.run(context: context, progress: progress)
        case .corpus(let stageIndex, let p):
            let spec = pipeline.stages[stageIndex]
            context = TaskContext(
                taskIndex: task, taskCount: pass.taskCount, outputDirectory: pipeline.output,
                temporaryDirectory: temporary, stageNames: [pass.name], logger: taskLogger)
            guard var corpus = try spec.build() as? any CorpusStage else { preconditionFailure("corpus stage type") }
            try corpus.prepare(context: context)
            let environment = environment(corpusStage: stageIndex)
            try fm.createDirectory(atPath: environment.workDirectory, withIntermediateDirectories: true)
            let t0 = Self.now()
            try corpus.passes()[p].run(task: task, environment: environment, context: context)
            context.stats.stages[0].seconds += Self.seconds(since: t0)
        case .preparation(let stageIndex, let p):
            context = TaskContext(
                taskIndex: task, taskCount: pass.taskCount, outputDirectory: pipeline.output,
                temporaryDirectory: temporary, stageNames: [pass.name], logger: taskLogger)
            guard let step = try pipeline.stages[stageIndex].build() as? any PreparingStep else {
                preconditionFailure("preparing step type")
            }
            let environment = PassEnvironment(
                documentFiles: [], workDirectory: corpusDirectories[stageIndex]!, segmentTasks: pipeline.tasks)
            let t0 = Self.now()
            try step.preparationPasses()[p].run(task: task, environment: environment, context: context)
            context.stats.stages[0].seconds += Self.seconds(since: t0)
        }
        let files = try commit(context, intermediateFile: intermediateFile)
        let statsFile = TaskStatsFile(
            pass: pass.name, passIndex: passIndex, task: task, taskCount: pass.taskCount,
            seconds: Self.seconds(since: started), stages: context.stats.stages)
        try Self.writeAtomically(
            statsFile.json(), to: layout.stats(pass: pass.name, task: task), through: temporary + "/.stats.json")
        let record = CompletionMarker(
            fingerprint: fingerprint, pass: pass.name, task: task, taskCount: pass.taskCount, files: files)
        try Self.writeAtomically(Data(record.text.utf8), to: marker, through: temporary + "/.marker")
        try? fm.removeItem(atPath: temporary)
    }

    /// Renames the task's outputs from its temporary folder to their final names and returns
    /// each with its size and checksum, for the marker.
    /// - Throws: `SluiceError(.io)` when an output the writers named is missing (another process
    ///   removed it: nothing is marked done then), or a rename fails.
    func commit(_ context: TaskContext, intermediateFile: String?) throws -> [CompletionMarker.File] {
        let fm = FileManager.default
        var outputs = context.outputs
        for (temporary, final) in outputs + context.auxiliaryOutputs where !fm.fileExists(atPath: temporary) {
            throw SluiceError(
                .io,
                "the output \((final as NSString).lastPathComponent) vanished from the task's temporary folder before it was committed; is another process using this output folder?",
                file: temporary)
        }
        if let intermediateFile {
            // Later segments and corpus passes expect exactly one file per task under a known name.
            guard outputs.count <= 1 else {
                throw SluiceError(
                    .library, "the intermediate writer wrote \(outputs.count) files; one is expected",
                    file: intermediateFile)
            }
            if outputs.isEmpty {
                // The task kept no documents: the writer never opened a file.
                let empty = context.temporaryDirectory + "/intermediate.jsonl.zst"
                try Self.writeFile(Data(), to: empty)
                outputs = [(empty, intermediateFile)]
            } else {
                outputs[0].final = intermediateFile
            }
        }
        var files: [CompletionMarker.File] = []
        for (temporary, final) in outputs + context.auxiliaryOutputs {
            var checksum = WrittenFileLedger.shared.take(temporary)
            if checksum?.size != SegmentTask.fileSize(temporary) { checksum = try FileChecksum.of(path: temporary) }
            try fm.createDirectory(
                atPath: (final as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard rename(temporary, final) == 0 else {
                throw SluiceError(
                    .io, "cannot rename \(temporary) into place: \(String(cString: strerror(errno)))", file: final)
            }
            files.append(CompletionMarker.File(path: try relativePath(final), checksum: checksum!))
        }
        for final in context.committedFiles {
            files.append(
                CompletionMarker.File(path: try relativePath(final), checksum: try FileChecksum.of(path: final)))
        }
        // Every file is in place with the size written before the task is marked done.
        let marker = CompletionMarker(fingerprint: fingerprint, pass: "", task: 0, taskCount: 0, files: files)
        if let problem = marker.problems(root: layout.root, checksums: false).first {
            throw SluiceError(.io, "an output changed right after it was committed: \(problem)", file: layout.root)
        }
        return files
    }

    /// `final` relative to the output folder (outputs always live under it).
    func relativePath(_ final: String) throws -> String {
        let prefix = layout.root.hasSuffix("/") ? layout.root : layout.root + "/"
        guard final.hasPrefix(prefix) else {
            throw SluiceError(.library, "a stage wrote \(final), outside the output folder", file: layout.root)
        }
        return String(final.dropFirst(prefix.count))
    }

    /// Writes `data` to `path` through `temporary` (a name in the task's temporary folder, on the
    /// same file system) and a rename, creating folders. Plain POSIX writes: Foundation's atomic
    /// writes leave their own temporary files beside `path` when the process is killed.
    static func writeAtomically(_ data: Data, to path: String, through temporary: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try writeFile(data, to: temporary)
        guard rename(temporary, path) == 0 else {
            throw SluiceError(.io, "cannot rename into place: \(String(cString: strerror(errno)))", file: path)
        }
    }

    /// Creates or truncates `path` and writes `data` to it.
    static func writeFile(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SluiceError(.io, "cannot create: \(String(cString: strerror(errno)))", file: path) }
        defer { close(fd) }
        try data.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    throw SluiceError(.io, "cannot write: \(String(cString: strerror(errno)))", file: path)
                }
                done += n
            }
        }
    }

    /// Monotonic nanoseconds.
    @inline(__always) static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    @inline(__always) static func seconds(since t0: UInt64) -> Double { Double(now() &- t0) / 1e9 }
}
