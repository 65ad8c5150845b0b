// The step of `decontaminate`: drops (or tags) the documents the summary pass decided on, by key.
// It never re-reads the eval sets or rehashes text.
import SluiceCore

/// Drops documents overlapping an eval set (reason `decontaminate:eval_overlap`), or with
/// `action: tag` keeps them with `metadata.eval_overlap` = the eval set names.
///
/// Memory: the decision list mapped from disk (24 bytes per matched document).
public struct DecontamStep: Step {
    public static let name = "decontaminate_step"
    public static let summary = "internal: the filter step of decontaminate"

    private let decisions: MappedRecordFile
    private let settings: DecontamSettings

    /// - Throws: `SluiceError(.io)` when the summary pass has not run.
    public init(workDirectory: String, settings: DecontamSettings) throws {
        decisions = try MappedRecordFile(
            path: DecontamLayout.decisionPath(workDirectory), width: 3, magic: DecontamLayout.decisionMagic)
        self.settings = settings
    }

    public init(options: inout StageOptions) throws {
        throw options.error("-", "decontaminate_step is created by decontaminate, not named in a pipeline")
    }

    public mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
        let key = DocumentKey.make(file: context.currentInputIndex, ordinal: context.documentOrdinal)
        let i = decisions.lowerBound(key)
        guard i < decisions.count else { return .keep }
        let (found, all, clean) = decisions.withRecords { r in (r[3 * i] == key, r[3 * i + 1], r[3 * i + 2]) }
        guard found else { return .keep }
        let bits = settings.ignoreBoilerplate ? clean : all
        guard bits != 0 else {
            context.count("kept_boilerplate_only")
            return .keep
        }
        if settings.action == .drop { return .drop(Decontaminate.dropReason) }
        var names: [JSONValue] = []
        for (s, name) in settings.names.enumerated() where bits & (1 << UInt64(s)) != 0 { names.append(.string(name)) }
        document.metadata["eval_overlap"] = .array(names)
        context.count("documents_tagged")
        return .keep
    }
}
