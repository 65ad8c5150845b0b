// Writing documents as JSON Lines to one file, compressed by its extension. The engine uses it
// for intermediate files and the `write` stage for outputs; splitting into parts is the stage's job.

/// Writes documents, one JSON object per line, to `path` (`.jsonl`, `.jsonl.gz`, `.jsonl.zst`, `.jsonl.bz2`).
///
/// Output is deterministic: the same documents give the same bytes (see `JSONSerializer`).
/// Lines are gathered in a 1 MB buffer and handed to the compressor in blocks.
/// ```swift
/// let out = try JSONLWriter(path: tmp + "/00000.jsonl.zst")
/// try out.write(document)
/// try out.close()
/// ```
public final class JSONLWriter {
    public let path: String
    private let sink: any ByteSink
    private var serializer: JSONSerializer
    private let flushSize = 1 << 20
    /// Documents written so far.
    public private(set) var documentCount = 0
    /// Uncompressed JSONL bytes written so far.
    public private(set) var byteCount = 0
    private var closed = false

    /// Creates (or truncates) `path`.
    /// - Parameters:
    ///   - level: compression level, nil for the format's default.
    /// - Throws: `SluiceError(.io)` when the file cannot be created.
    public init(path: String, level: Int? = nil) throws {
        self.path = path
        sink = try createByteSink(path, level: level)
        serializer = JSONSerializer(capacity: flushSize + (1 << 16))
    }

    /// Reopens a file this writer's `checkpoint()` left at `size` bytes, to go on writing after
    /// `documentCount` documents of `byteCount` JSONL bytes (a task resuming, TaskCheckpoint.swift).
    /// - Throws: `SluiceError(.io)` when the file is missing or shorter than `size`.
    public init(resuming path: String, level: Int? = nil, size: Int, documentCount: Int, byteCount: Int) throws {
        self.path = path
        sink = try resumeCheckpointingSink(path, level: level, size: size)
        serializer = JSONSerializer(capacity: flushSize + (1 << 16))
        self.documentCount = documentCount
        self.byteCount = byteCount
    }

    /// Writes what is buffered, ends the compressed frame and syncs the file; returns its size.
    /// - Throws: `SluiceError(.config)` for a compression that cannot checkpoint (bzip2).
    public func checkpoint() throws -> Int {
        precondition(!closed, "checkpoint after close")
        try flush()
        guard let s = sink as? any CheckpointingSink else {
            throw SluiceError(.config, "checkpoint_every: this output's compression cannot be checkpointed", file: path)
        }
        return try s.checkpoint()
    }

    /// Appends one document as a line.
    public func write(_ document: Document) throws {
        precondition(!closed, "write after close")
        let before = serializer.bytes.count
        serializer.appendDocument(document)
        byteCount += serializer.bytes.count - before
        documentCount += 1
        if serializer.bytes.count >= flushSize { try flush() }
    }

    /// Appends one already serialized line, which must end with `\n`.
    public func write(line: UnsafeRawBufferPointer) throws {
        precondition(!closed, "write after close")
        precondition(line.last == 0x0A, "a JSONL line must end with a newline")
        serializer.bytes.append(contentsOf: line)
        byteCount += line.count
        documentCount += 1
        if serializer.bytes.count >= flushSize { try flush() }
    }

    private func flush() throws {
        guard !serializer.bytes.isEmpty else { return }
        try serializer.bytes.withUnsafeBytes { try sink.write($0) }
        serializer.reset()
    }

    /// Writes what is buffered, ends the compressed stream and closes the file.
    public func close() throws {
        guard !closed else { return }
        closed = true
        try flush()
        try sink.close()
    }
}
