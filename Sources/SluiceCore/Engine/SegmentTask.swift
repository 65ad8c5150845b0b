// One task of one segment: reads its inputs, passes each document through the steps, hands the
// survivors to the writers, and counts everything per stage. A corrupt input file is counted as an
// error of its reader and the task goes on with the next file; other errors stop the task.
import Foundation

/// The stages of one segment task, built fresh for the task, and the document loop.
struct SegmentTask {
    /// Input files of this task: path, index among the segment's sorted inputs, reader slot.
    var files: [(path: String, index: Int, reader: Int)] = []
    var readerSpecs: [StageSpec]
    var readers: [any DocumentReader] = []
    var steps = StepChain([])
    var writers: [any DocumentWriter] = []
    /// Stats names: readers, then steps, then writers.
    var stageNames: [String] = []
    var stepSpecs: [StageSpec] = []
    var corpusStep: (name: String, build: () throws -> (any Step)?)?
    var writerSpecs: [StageSpec] = []
    /// Keeps dropped documents (and edits) of the steps whose stage has a `dropped:` rule.
    var audit: DropAuditWriter?
    /// What a missing input does (`input.on_missing`); intermediate files are never missing.
    var onMissing = MissingInputPolicy.error
    /// Documents between checkpoints (`checkpoint_every`), and where the task keeps them: its
    /// temporary folder, the plan's fingerprint, the pass name (TaskCheckpoint.swift).
    var checkpointEvery: Int?
    var checkpointPlace: (temporary: String, fingerprint: String, pass: String)?

    init(plan: PipelinePlan, segment: PipelinePlan.Segment, task: Int) throws {
        let pipeline = plan.pipeline
        checkpointEvery = pipeline.checkpointEvery
        if segment.index == 0 {
            readerSpecs = pipeline.readers
            onMissing = pipeline.onMissing
            for (i, path) in pipeline.inputs.enumerated() where i % pipeline.tasks == task {
                files.append((path, i, pipeline.inputReader[i]))
            }
        } else {
            let path = plan.layout.segmentFile(segment.index - 1, task: task)
            guard let type = plan.registry.reader(forPath: path) else { preconditionFailure("checked by the plan") }
            // Our own intermediate files: no record cap (a document admitted once is never lost).
            let uncapped: [(key: String, value: ConfigValue)] =
                type.name == JSONLReader.name ? [("max_record_bytes", .scalar("1000000GB", line: 0))] : []
            readerSpecs = [StageSpec(name: type.name, type: type, values: uncapped)]
            files = [(path, task, 0)]
        }
        if let c = segment.corpusBefore {
            let spec = pipeline.stages[c]
            let environment = plan.environment(corpusStage: c)
            corpusStep = (
                spec.name,
                {
                    guard let corpus = try spec.build() as? any CorpusStage else { preconditionFailure("corpus stage") }
                    return try corpus.makeStep(environment: environment)
                }
            )
        }
        stepSpecs = segment.steps.map { pipeline.stages[$0] }
        if segment.intermediate {
            guard let type = plan.registry.stage(named: PipelinePlan.intermediateWriter) else {
                preconditionFailure("checked by the plan")
            }
            writerSpecs = [StageSpec(name: type.name, type: type, values: PipelinePlan.intermediateWriterOptions)]
        } else {
            writerSpecs = segment.writers.map { pipeline.stages[$0] }
        }
        stageNames =
            readerSpecs.map(\.name) + (corpusStep.map { [$0.name] } ?? []) + stepSpecs.map(\.name)
            + writerSpecs.map(\.name)
        let stepStages = (segment.corpusBefore.map { [$0] } ?? []) + segment.steps
        let rules = stepStages.map { pipeline.dropAudit.rules[$0] }
        if rules.contains(where: { $0 != nil }) {
            audit = DropAuditWriter(
                rules: rules, stageNames: stepStages.map { pipeline.stages[$0].name }, pass: "segment-\(segment.index)",
                root: plan.layout.root)
        }
    }

    /// Builds and prepares the stages, then streams every document of the task's files.
    mutating func run(context: TaskContext, progress: ProgressMeter?) throws {
        // Build and prepare, each with its own stats slot.
        var outputOwner: [Int] = []  // the writer of each entry of context.outputs
        var slot = 0
        for spec in readerSpecs {
            guard var r = try spec.build() as? any DocumentReader else { preconditionFailure("reader") }
            context.stageIndex = slot
            try r.prepare(context: context)
            readers.append(r)
            slot += 1
        }
        var built: [any Step] = []
        if let corpusStep { built.append(try corpusStep.build() ?? PassThrough()) }
        for spec in stepSpecs {
            guard let s = try spec.build() as? any Step else { preconditionFailure("step") }
            built.append(s)
        }
        steps = StepChain(built, firstSlot: slot)
        steps.audit = audit
        try steps.prepare(context: context)
        slot += built.count
        for spec in writerSpecs {
            guard var w = try spec.build() as? any DocumentWriter else { preconditionFailure("writer") }
            context.stageIndex = slot
            try w.prepare(context: context)
            writers.append(w)
            slot += 1
            while outputOwner.count < context.outputs.count { outputOwner.append(writers.count - 1) }
        }
        let firstWriter = slot - writers.count

        // Resuming from a checkpoint: outputs and stage states back as they were; the inputs
        // before it are skipped, and the documents of its input read again but not handled.
        var resume: TaskCheckpoint?
        if checkpointEvery != nil, let place = checkpointPlace {
            for (w, spec) in writerSpecs.enumerated() where !(writers[w] is any CheckpointingStage) {
                throw SluiceError(.config, "checkpoint_every: the writer '\(spec.name)' cannot checkpoint")
            }
            resume = TaskCheckpoint.load(temporary: place.temporary, fingerprint: place.fingerprint)
        }
        var taskDocuments = 0
        if let c = resume {
            context.restoreOutputs(c.outputs.map { (temporary: $0.temporary, final: $0.final) })
            outputOwner = c.outputs.map(\.owner)
            for w in writers.indices {
                guard let state = c.writers[w], var stage = writers[w] as? any CheckpointingStage else { continue }
                context.stageIndex = firstWriter + w
                try stage.restore(state, context: context)
                writers[w] = stage as! any DocumentWriter
            }
            for s in steps.steps.indices {
                guard s < c.steps.count, let state = c.steps[s], var stage = steps.steps[s] as? any CheckpointingStage
                else { continue }
                context.stageIndex = steps.firstSlot + s
                try stage.restore(state, context: context)
                steps.steps[s] = stage as! any Step
            }
            if let state = c.audit { try audit?.restore(state, context: context) }
            taskDocuments = c.documents
            let at =
                "sluice: resuming \(c.pass)/\(context.taskStem) at record \(StatsReport.grouped(c.ordinal)) of \(c.input)"
            FileHandle.standardError.write(Data((at + "\n").utf8))
        }

        var pendingDocuments = 0
        var pendingBytes = 0
        for (fileIndex, (path, inputIndex, r)) in files.enumerated() {
            if let c = resume, fileIndex < c.fileIndex { continue }  // done before the checkpoint
            var skip = resume.map { $0.fileIndex == fileIndex ? $0.ordinal : 0 } ?? 0
            context.currentInput = path
            context.currentInputIndex = inputIndex
            context.documentOrdinal = 0
            context.stageIndex = r
            let size = Self.fileSize(path)
            context.stats.stages[r].bytesIn += size
            context.count("files")
            var iterator: any DocumentIterator
            var t0 = PipelinePlan.now()
            do {
                iterator = try readers[r].open(path, context: context)
            } catch let e as SluiceError where e.code == .corruptInput {
                Self.reportCorrupt(e, path: path, reader: readerSpecs[r].name, context: context)
                context.stats.stages[r].seconds += PipelinePlan.seconds(since: t0)
                Self.countTransfer(path, reader: r, context: context)
                progress?.finishedInput(bytes: size)
                continue
            } catch let e as SluiceError where onMissing == .skip && Self.isMissing(e, path: path) {
                context.reportBadRecord("\(readerSpecs[r].name):missing_input", file: path, e.message)
                context.stats.stages[r].seconds += PipelinePlan.seconds(since: t0)
                Self.countTransfer(path, reader: r, context: context)
                continue
            }
            var ordinal = 0
            while true {
                context.stageIndex = r
                t0 = PipelinePlan.now()
                let next: Document?
                do {
                    next = try iterator.next()
                } catch let e as SluiceError where e.code == .corruptInput {
                    Self.reportCorrupt(e, path: path, reader: readerSpecs[r].name, context: context)
                    next = nil
                }
                context.stats.stages[r].seconds += PipelinePlan.seconds(since: t0)
                guard var document = next else { break }
                if skip > 0 {
                    // Handled before the checkpoint. After the last of them, the stats are the
                    // checkpoint's (the reader has counted the same records again meanwhile).
                    ordinal += 1
                    skip -= 1
                    if skip == 0, let c = resume {
                        context.stats = c.stats
                        context.stats.stages[r].counters["resumed_from_checkpoint", default: 0] += 1
                        context.stats.stages[r].counters["resumed_at_record", default: 0] += c.ordinal
                        resume = nil
                    }
                    continue
                }
                context.documentOrdinal = ordinal
                ordinal += 1
                var bytes = StepChain.size(of: document)
                context.stats.stages[r].documentsOut += 1
                context.stats.stages[r].bytesOut += bytes
                pendingDocuments += 1
                pendingBytes += bytes
                if try steps.apply(to: &document, bytes: &bytes, context: context) == .keep {
                    for w in writers.indices {
                        let slot = firstWriter + w
                        context.stageIndex = slot
                        t0 = PipelinePlan.now()
                        try writers[w].write(document, context: context)
                        context.stats.stages[slot].seconds += PipelinePlan.seconds(since: t0)
                        context.stats.stages[slot].documentsIn += 1
                        context.stats.stages[slot].bytesIn += bytes
                        context.stats.stages[slot].documentsOut += 1
                        while outputOwner.count < context.outputs.count { outputOwner.append(w) }
                    }
                }
                taskDocuments += 1
                if let every = checkpointEvery, taskDocuments % every == 0, let place = checkpointPlace {
                    while outputOwner.count < context.outputs.count { outputOwner.append(writers.count - 1) }
                    try saveCheckpoint(
                        place, fileIndex: fileIndex, input: path, ordinal: ordinal, documents: taskDocuments,
                        outputOwner: outputOwner, firstStep: steps.firstSlot, firstWriter: firstWriter, context: context
                    )
                }
                if pendingDocuments >= 256, let progress {
                    progress.add(documents: pendingDocuments, bytes: pendingBytes)
                    pendingDocuments = 0
                    pendingBytes = 0
                }
            }
            progress?.add(documents: pendingDocuments, bytes: pendingBytes)
            pendingDocuments = 0
            pendingBytes = 0
            iterator = NoDocuments()  // closes the input, so a remote stream reports its figures
            Self.countTransfer(path, reader: r, context: context)
            progress?.finishedInput(bytes: size)
        }
        try audit?.finish()
        for w in writers.indices {
            let slot = firstWriter + w
            context.stageIndex = slot
            let t0 = PipelinePlan.now()
            try writers[w].finish(context: context)
            context.stats.stages[slot].seconds += PipelinePlan.seconds(since: t0)
            while outputOwner.count < context.outputs.count { outputOwner.append(w) }
        }
        for (i, output) in context.outputs.enumerated() {
            context.stats.stages[firstWriter + outputOwner[i]].bytesOut += Self.fileSize(output.temporary)
        }
    }

    /// Brings every writer's outputs to a consistent point on disk and records the task's
    /// position, outputs, stage states and stats (TaskCheckpoint.swift).
    private mutating func saveCheckpoint(
        _ place: (temporary: String, fingerprint: String, pass: String), fileIndex: Int, input: String, ordinal: Int,
        documents: Int, outputOwner: [Int], firstStep: Int, firstWriter: Int, context: TaskContext
    ) throws {
        var writerStates: [[String: String]?] = []
        for w in writers.indices {
            guard var stage = writers[w] as? any CheckpointingStage else { preconditionFailure("checked at the start") }
            context.stageIndex = firstWriter + w
            writerStates.append(try stage.checkpoint(context: context))
            writers[w] = stage as! any DocumentWriter
        }
        var stepStates: [[String: String]?] = []
        for s in steps.steps.indices {
            if var stage = steps.steps[s] as? any CheckpointingStage {
                context.stageIndex = firstStep + s
                stepStates.append(try stage.checkpoint(context: context))
                steps.steps[s] = stage as! any Step
            } else {
                stepStates.append(nil)
            }
        }
        let outputs = context.outputs.enumerated().map {
            TaskCheckpoint.Output(
                temporary: $0.element.temporary, final: $0.element.final, owner: outputOwner[$0.offset])
        }
        try TaskCheckpoint(
            fingerprint: place.fingerprint, pass: place.pass, task: context.taskIndex, fileIndex: fileIndex,
            input: input, ordinal: ordinal, documents: documents, outputs: outputs, writers: writerStates,
            steps: stepStates, stats: context.stats, audit: try audit?.checkpoint(context: context)
        ).save(temporary: place.temporary)
    }

    /// Adds what fetching a remote input cost to its reader's stats: its bytes to `bytes_in` (a
    /// local file's size is counted when it opens) and `remote_*` counters.
    static func countTransfer(_ path: String, reader r: Int, context: TaskContext) {
        guard RemoteLocation.isRemote(path), let t = RemoteTransfers.take(path) else { return }
        context.stats.stages[r].bytesIn += t.fileBytes
        context.stats.stages[r].counters["remote_bytes", default: 0] += t.bytes
        context.stats.stages[r].counters["remote_retries", default: 0] += t.retries
        context.stats.stages[r].counters["remote_resumes", default: 0] += t.resumes
        context.stats.stages[r].counters["remote_range_ignored", default: 0] += t.rangeIgnored
        context.stats.stages[r].counters["remote_ms", default: 0] += Int(t.seconds * 1000)
    }

    /// Whether `e` says that `path` does not exist (HTTP 404/410, or a local file gone).
    static func isMissing(_ e: SluiceError, path: String) -> Bool {
        e.code == .missingInput || (e.code == .io && !RemoteLocation.isRemote(path) && access(path, F_OK) != 0)
    }

    /// Counts a corrupt input under `reader:corrupt_<compression>` and logs file and offset.
    static func reportCorrupt(_ e: SluiceError, path: String, reader: String, context: TaskContext) {
        let compression = Compression(path: e.file ?? path)
        let kind = compression == .none ? "corrupt_input" : "corrupt_\(compression.rawValue)"
        context.reportBadRecord("\(reader):\(kind)", file: e.file ?? path, offset: e.offset, line: e.line, e.message)
    }

    static func fileSize(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : 0
    }
}

/// What an input's iterator becomes once read: the input's streams are closed.
private struct NoDocuments: DocumentIterator {
    mutating func next() throws -> Document? { nil }
}

/// Stands in for a corpus stage whose `makeStep` returned nil, so stats slots stay fixed.
private struct PassThrough: Step {
    static let name = "pass_through"
    static let summary = "Keeps every document."
    init(options: inout StageOptions) throws {}
    init() {}
    mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict { .keep }
}
