// The three shapes of stage (reader, step, writer) plus corpus stages, which need the whole
// corpus and so run as numbered passes exchanging files. Stages never know which executor runs them.

/// What every stage shares: a YAML name, a summary for `sluice stages`, and strict options.
///
/// `init(options:)` only reads options (it is also called in "describing" mode to list them),
/// so it must not touch files; load models and open resources in `prepare(context:)`.
public protocol Stage: SendableMetatype {
    /// The stage's name in pipeline files and on the command line, snake_case.
    static var name: String { get }
    /// One line for `sluice stages`.
    static var summary: String { get }
    /// Reads the options; throws `SluiceError(.config)` naming the key for a bad value.
    init(options: inout StageOptions) throws
    /// Checks run once when the pipeline loads, before any work (a model path exists, say).
    func validate() throws
    /// Called once per task before the first document.
    mutating func prepare(context: TaskContext) throws
}

extension Stage {
    public func validate() throws {}
    public mutating func prepare(context: TaskContext) throws {}
}

// MARK: - Readers

/// Turns one input path (a file, or a directory for `code`) into a stream of documents.
public protocol DocumentReader: Stage {
    /// File-name endings this reader claims when a pipeline does not name a reader
    /// (`.warc.gz`, `.jsonl.zst`). Longest match wins.
    static var fileExtensions: [String] { get }
    /// Opens `path`. A missing or unreadable file throws; bad records inside it are counted
    /// through `context.reportBadRecord` and skipped by the iterator.
    func open(_ path: String, context: TaskContext) throws -> any DocumentIterator
}

/// A pull loop over the documents of one input.
public protocol DocumentIterator {
    /// The next document, or nil at the end. Throws only when the input cannot be read at all
    /// any more (an I/O error); a broken record is reported and skipped.
    mutating func next() throws -> Document?
}

// MARK: - Steps

/// Whether a document goes on. A drop always says why.
public enum Verdict: Sendable, Equatable {
    case keep
    case drop(DropReason)
}

/// Why a document was dropped, as `stage:rule` (`gopher_quality:mean_word_length`).
public struct DropReason: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// Maps or filters one document at a time. Steps may keep scratch state between documents.
public protocol Step: Stage {
    mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict
}

/// A step that needs a file made before any document flows (a classifier trained from labels):
/// the engine runs these passes first, each task with a completion marker, like corpus passes.
public protocol PreparingStep: Step {
    /// The passes to run before the first segment (none when there is nothing to make).
    func preparationPasses() -> [any CorpusPass]
}

/// A step that decides keep or drop and never changes the text. It may record what it measured
/// in `document.metadata` (a score, the detected script, a cluster id) and count through `context`
/// (`context.count`, `context.reportBadRecord`); `sluice stages` lists it as a filter.
public protocol Filter: Step {
    mutating func verdict(for document: inout Document, context: TaskContext) throws -> Verdict
}

extension Filter {
    @inline(__always)
    public mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
        try verdict(for: &document, context: context)
    }
}

// MARK: - Writers

/// Consumes the stream at the end of a pipeline. Files go through `context.outputPath(_:)`, so
/// they appear under their final names only when the task completes.
public protocol DocumentWriter: Stage {
    mutating func write(_ document: Document, context: TaskContext) throws
    /// Flushes and closes what the task wrote.
    mutating func finish(context: TaskContext) throws
}

// MARK: - Corpus stages

/// A stage that needs the whole corpus (MinHash dedup, exact dedup, tokenizer training).
///
/// The engine writes the documents produced before this stage to intermediate files, runs the
/// passes in order (each as independent tasks, each task with a completion marker), then reads
/// the intermediate files again through `makeStep` (which may drop documents) and the stages
/// after it.
public protocol CorpusStage: Stage {
    /// The passes, in order.
    func passes() -> [any CorpusPass]
    /// The step applied to each document after the passes, or nil to pass documents through.
    func makeStep(environment: PassEnvironment) throws -> (any Step)?
}

/// One pass of a corpus stage: a number of independent tasks that read and write files.
public protocol CorpusPass: Sendable {
    /// Short name, used in marker and work-folder names (`signatures`, `buckets`, `clusters`).
    var name: String { get }
    /// How many tasks this pass has (one per input file group, one per band, …).
    func taskCount(environment: PassEnvironment) -> Int
    /// Runs task `task`; writes only its own files under `environment.workDirectory`, through a
    /// temporary name and a rename.
    func run(task: Int, environment: PassEnvironment, context: TaskContext) throws
}

/// What a corpus pass sees: the document files written before the stage, and its own folder.
public struct PassEnvironment: Sendable {
    /// The intermediate document files (JSONL), sorted; index = file number used in document keys.
    public var documentFiles: [String]
    /// A folder for this stage's files, shared by all its passes.
    public var workDirectory: String
    /// The number of tasks the document-producing segment used.
    public var segmentTasks: Int

    public init(documentFiles: [String], workDirectory: String, segmentTasks: Int) {
        self.documentFiles = documentFiles
        self.workDirectory = workDirectory
        self.segmentTasks = segmentTasks
    }
}
