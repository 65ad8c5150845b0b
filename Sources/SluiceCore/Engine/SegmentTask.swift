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
    var steps: [any Step] = []
    var writers: [any DocumentWriter] = []
    /// Stats names: readers, then steps, then writers.
    var stageNames: [String] = []
    var stepSpecs: [StageSpec] = []
    var corpusStep: (name: String, build: () throws -> (any Step)?)?
    var writerSpecs: [StageSpec] = []
    /// Keeps dropped documents (and edits) of the steps whose stage has a `dropped:` rule.
    var audit: DropAuditWriter?

    init(plan: PipelinePlan, segment: PipelinePlan.Segment, task: Int) throws {
        let pipeline = plan.pipeline
        if segment.index == 0 {
            readerSpecs = pipeline.readers
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
        stageNames = readerSpecs.map(\.name) + (corpusStep.map { [$0.name] } ?? []) + stepSpecs.map(\.name)
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
        if let corpusStep {
            context.stageIndex = slot
            if var step = try corpusStep.build() {
                try step.prepare(context: context)
                steps.append(step)
            } else {
                steps.append(PassThrough())
            }
            slot += 1
        }
        for spec in stepSpecs {
            guard var s = try spec.build() as? any Step else { preconditionFailure("step") }
            context.stageIndex = slot
            try s.prepare(context: context)
            steps.append(s)
            slot += 1
        }
        for spec in writerSpecs {
            guard var w = try spec.build() as? any DocumentWriter else { preconditionFailure("writer") }
            context.stageIndex = slot
            try w.prepare(context: context)
            writers.append(w)
            slot += 1
            while outputOwner.count < context.outputs.count { outputOwner.append(writers.count - 1) }
        }
        let firstStep = readers.count
        let firstWriter = firstStep + steps.count

        var pendingDocuments = 0
        var pendingBytes = 0
        for (path, inputIndex, r) in files {
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
                progress?.finishedInput(bytes: size)
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
                context.documentOrdinal = ordinal
                ordinal += 1
                var bytes = Self.size(of: document)
                context.stats.stages[r].documentsOut += 1
                context.stats.stages[r].bytesOut += bytes
                pendingDocuments += 1
                pendingBytes += bytes
                var kept = true
                for s in steps.indices {
                    let slot = firstStep + s
                    context.stageIndex = slot
                    let before = audit?.wantsEdits(s) == true ? document.text : nil
                    t0 = PipelinePlan.now()
                    let verdict = try steps[s].apply(to: &document, context: context)
                    context.stats.stages[slot].seconds += PipelinePlan.seconds(since: t0)
                    context.stats.stages[slot].documentsIn += 1
                    context.stats.stages[slot].bytesIn += bytes
                    switch verdict {
                    case .keep:
                        bytes = Self.size(of: document)
                        context.stats.stages[slot].documentsOut += 1
                        context.stats.stages[slot].bytesOut += bytes
                        if let before { try audit!.edited(before: before, document, step: s, context: context) }
                    case .drop(let reason):
                        context.stats.stages[slot].drops[reason.rawValue, default: 0] += 1
                        kept = false
                        if let audit {
                            try audit.dropped(document, reason: reason, step: s, explainer: steps[s], context: context)
                        }
                    }
                    if !kept { break }
                }
                if kept {
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
                if pendingDocuments >= 256, let progress {
                    progress.add(documents: pendingDocuments, bytes: pendingBytes)
                    pendingDocuments = 0
                    pendingBytes = 0
                }
            }
            progress?.add(documents: pendingDocuments, bytes: pendingBytes)
            pendingDocuments = 0
            pendingBytes = 0
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

    /// Counts a corrupt input under `reader:corrupt_<compression>` and logs file and offset.
    static func reportCorrupt(_ e: SluiceError, path: String, reader: String, context: TaskContext) {
        let compression = Compression(path: e.file ?? path)
        let kind = compression == .none ? "corrupt_input" : "corrupt_\(compression.rawValue)"
        context.reportBadRecord("\(reader):\(kind)", file: e.file ?? path, offset: e.offset, line: e.line, e.message)
    }

    /// The bytes a document carries: its text plus any undecoded payload (`raw`, an HTML page
    /// before `extract`), so that stats show the payload a reader produced.
    @inline(__always) static func size(of document: Document) -> Int {
        document.text.utf8.count + (document.raw?.count ?? 0)
    }

    static func fileSize(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : 0
    }
}

/// Stands in for a corpus stage whose `makeStep` returned nil, so stats slots stay fixed.
private struct PassThrough: Step {
    static let name = "pass_through"
    static let summary = "Keeps every document."
    init(options: inout StageOptions) throws {}
    init() {}
    mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict { .keep }
}
