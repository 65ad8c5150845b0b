// Checkpoints inside a segment task (`checkpoint_every: N` in a pipeline file): every N documents
// read, the task brings its outputs to a consistent point on disk (a zstd frame or gzip member ends
// there) and records beside them, in its temporary folder, how far it has read and what its
// stages hold. A killed task restarts from its last checkpoint instead of its first record; the
// outputs stay byte-identical to an uninterrupted run of the same pipeline, because that run ends
// its frames at the same documents. It does not checkpoint corpus passes (they are tasks of their own).
import Foundation

/// A stage whose state must survive a task's restart from a checkpoint: writers with an open
/// file, steps that remember what they have seen. Stateless steps need not conform; a writer
/// must, for a pipeline with `checkpoint_every`.
public protocol CheckpointingStage {
    /// Brings the stage's outputs to a consistent point on disk (fsynced) and returns its state.
    mutating func checkpoint(context: TaskContext) throws -> [String: String]
    /// Takes back the state `checkpoint` returned, in a fresh task; the engine has restored
    /// `context.outputs` first, and the stage's output files are as they were at the checkpoint.
    mutating func restore(_ state: [String: String], context: TaskContext) throws
}

/// What a task saved at its last checkpoint (`<temporary folder>/.checkpoint.json`).
struct TaskCheckpoint: Codable {
    /// The plan's fingerprint: a checkpoint of another configuration is ignored.
    var fingerprint: String
    var pass: String
    var task: Int
    /// The input being read (an index into the task's input list, and its path), and how many of
    /// its documents the task had read and handled.
    var fileIndex: Int
    var input: String
    var ordinal: Int
    /// Documents read over all the task's inputs.
    var documents: Int
    /// The outputs registered so far, each with the writer that owns it.
    var outputs: [Output]
    struct Output: Codable {
        var temporary: String
        var final: String
        var owner: Int
    }
    var writers: [[String: String]?]
    var steps: [[String: String]?]
    var stats: TaskStats
    /// The kept drops' files and counts (`dropped:`), nil when the task keeps none.
    var audit: DropAuditWriter.State?

    static func path(temporary: String) -> String { temporary + "/.checkpoint.json" }

    /// The checkpoint in `temporary`, when one of this configuration is there.
    static func load(temporary: String, fingerprint: String) -> TaskCheckpoint? {
        guard let data = FileManager.default.contents(atPath: path(temporary: temporary)),
            let c = try? JSONDecoder().decode(TaskCheckpoint.self, from: data), c.fingerprint == fingerprint
        else { return nil }
        return c
    }

    /// Writes the checkpoint through a temporary name and a rename: a kill leaves the old one or the new.
    func save(temporary: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try PipelinePlan.writeAtomically(
            try encoder.encode(self), to: Self.path(temporary: temporary), through: temporary + "/.checkpoint.next")
    }
}
