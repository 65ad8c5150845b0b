// The `write` stage: documents to JSONL files in the output folder, compressed, optionally split
// into parts by document count or size. Names derive from the task, so reruns give the same files.

/// Writes the stream as JSONL: `<task>.jsonl.zst`, then `<task>_0001.jsonl.zst`, … when a part
/// reaches `max_documents` or would pass `max_bytes` (uncompressed JSONL bytes; a document larger
/// than the limit gets a part of its own). Files go through `context.outputPath(_:)`, so they
/// appear under their final names only when the task completes. A task with no documents writes
/// no file.
public struct WriteStage: DocumentWriter {
    public static let name = "write"
    public static let summary = "Writes documents as JSONL (zstd, gzip or plain), split by count or size."

    public var compression: Compression
    public var level: Int?
    public var maxDocuments: Int?
    public var maxBytes: Int

    private var writer: JSONLWriter?
    private var part = 0
    private var line = JSONSerializer(capacity: 1 << 16)

    public init(options: inout StageOptions) throws {
        let c = try options.choice("compression", default: "zstd", ["zstd", "gzip", "none"], "output compression")
        compression = c == "zstd" ? .zstd : c == "gzip" ? .gzip : .none
        level = try options.optionalInt(
            "level", "compression level (zstd −7…22, default 3; gzip 1…9, default 6)")
        maxDocuments = try options.optionalInt(
            "max_documents", range: 1...Int.max, "start a new file after this many documents")
        maxBytes = try options.bytes(
            "max_bytes", default: 0, "start a new file before this many uncompressed bytes (e.g. 256MB); 0: no limit")
        if let level {
            let range = compression == .zstd ? -7...22 : compression == .gzip ? 1...9 : Int.min...Int.max
            guard compression != .none else { throw options.error("level", "compression none takes no level") }
            guard range.contains(level) else {
                throw options.error("level", "\(level) is outside \(range.lowerBound)...\(range.upperBound)")
            }
        }
        if maxBytes < 0 { throw options.error("max_bytes", "must not be negative") }
    }

    /// A writer with these settings (for code that builds pipelines directly).
    public init(compression: Compression = .zstd, level: Int? = nil, maxDocuments: Int? = nil, maxBytes: Int = 0) {
        self.compression = compression
        self.level = level
        self.maxDocuments = maxDocuments
        self.maxBytes = maxBytes
    }

    /// The file name of part `part` of task `stem`: `00003.jsonl.zst`, `00003_0001.jsonl.zst`.
    public func fileName(stem: String, part: Int) -> String {
        var name = stem
        if part > 0 { name += "_" + zeroPadded(part, width: 4) }
        return name + ".jsonl" + compression.fileExtension
    }

    public mutating func write(_ document: Document, context: TaskContext) throws {
        line.reset()
        line.appendDocument(document)
        if let w = writer, w.documentCount > 0 {
            let full =
                (maxDocuments.map { w.documentCount >= $0 } ?? false)
                || (maxBytes > 0 && w.byteCount + line.bytes.count > maxBytes)
            if full {
                try closePart(context: context)
                part += 1
            }
        }
        if writer == nil {
            writer = try JSONLWriter(
                path: context.outputPath(fileName(stem: context.taskStem, part: part)), level: level)
        }
        try line.bytes.withUnsafeBytes { try writer!.write(line: $0) }
    }

    public mutating func finish(context: TaskContext) throws {
        try closePart(context: context)
    }

    private mutating func closePart(context: TaskContext) throws {
        guard let w = writer else { return }
        try w.close()
        context.count("files_written")
        context.count("bytes_written", by: w.byteCount)
        writer = nil
    }
}

extension WriteStage: CheckpointingStage {
    /// Ends the open part's compressed frame and syncs it; the state is the part number and the
    /// open file's size and counts.
    public mutating func checkpoint(context: TaskContext) throws -> [String: String] {
        var state = ["part": String(part)]
        if let w = writer {
            state["size"] = String(try w.checkpoint())
            state["path"] = w.path
            state["documents"] = String(w.documentCount)
            state["bytes"] = String(w.byteCount)
        }
        return state
    }

    /// Reopens the open part cut to its checkpoint size.
    public mutating func restore(_ state: [String: String], context: TaskContext) throws {
        part = state["part"].flatMap { Int($0) } ?? 0
        writer = nil
        if let path = state["path"], let size = state["size"].flatMap({ Int($0) }),
            let documents = state["documents"].flatMap({ Int($0) }), let bytes = state["bytes"].flatMap({ Int($0) })
        {
            writer = try JSONLWriter(
                resuming: path, level: level, size: size, documentCount: documents, byteCount: bytes)
        }
    }
}
