// The steps between a segment's readers and writers, applied in order to one document at a time
// and counted into the task's stats: the loop the engine runs, also used by tools that run steps
// without a pipeline (`sluice clean-verdicts`) and by the tests. It does not read or write files.

/// Built steps and the stats slots they count into (`context.stats.stages[firstSlot + i]`).
public struct StepChain {
    public internal(set) var steps: [any Step]
    /// The stats slot of the first step; the readers' slots come before it.
    public let firstSlot: Int
    /// Keeps the dropped (and edited) documents of the steps whose stage has a `dropped:` rule.
    var audit: DropAuditWriter?

    public init(_ steps: [any Step], firstSlot: Int = 0) {
        self.steps = steps
        self.firstSlot = firstSlot
    }

    /// Prepares every step for the task, each with its own `context.stageIndex`.
    public mutating func prepare(context: TaskContext) throws {
        for s in steps.indices {
            context.stageIndex = firstSlot + s
            try steps[s].prepare(context: context)
        }
    }

    /// Applies the steps in order until one drops the document; counts documents, bytes, time and
    /// drops per step.
    /// - Parameter bytes: the document's size going in (`StepChain.size(of:)`); on keep, its size
    ///   after the last step.
    /// - Returns: `.keep`, or the first step's drop.
    @inline(__always)
    public mutating func apply(to document: inout Document, bytes: inout Int, context: TaskContext) throws -> Verdict {
        for s in steps.indices {
            let slot = firstSlot + s
            context.stageIndex = slot
            let before = audit?.wantsEdits(s) == true ? document.text : nil
            let t0 = PipelinePlan.now()
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
                if let audit {
                    try audit.dropped(document, reason: reason, step: s, explainer: steps[s], context: context)
                }
                return verdict
            }
        }
        return .keep
    }

    /// `apply(to:bytes:context:)` for a document whose size the caller does not track.
    public mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
        var bytes = Self.size(of: document)
        return try apply(to: &document, bytes: &bytes, context: context)
    }

    /// The bytes a document carries: its text plus any undecoded payload (`raw`, an HTML page
    /// before `extract`), so that stats show the payload a reader produced.
    @inline(__always) public static func size(of document: Document) -> Int {
        document.text.utf8.count + (document.raw?.count ?? 0)
    }
}
