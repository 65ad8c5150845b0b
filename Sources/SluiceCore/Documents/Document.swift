// The unit that flows through a pipeline. On disk a document is one JSON Lines object,
// {"id","text","source","metadata"} (dolma and datatrove's convention); `raw` never leaves memory.

/// One document: an id, its text, where it came from, and free-form metadata.
public struct Document: Sendable, Equatable {
    /// Unique within a corpus: a WARC record id, `wikipedia/en/12`, `repo:path`, `file.jsonl:17`.
    public var id: String
    /// The text, always valid UTF-8 (readers replace invalid sequences and count them).
    public var text: String
    /// The reader that produced it: `warc`, `wikipedia`, `code`, `jsonl`, `text`.
    public var source: String
    /// Everything else: url, title, language, scores, cluster ids. Keys keep insertion order.
    public var metadata: JSONObject
    /// Undecoded payload bytes (an HTML page before charset detection), consumed by a later step
    /// such as `extract`, which sets `text` and clears this. Not serialized.
    public var raw: [UInt8]?

    public init(id: String, text: String, source: String, metadata: JSONObject = JSONObject(), raw: [UInt8]? = nil) {
        self.id = id
        self.text = text
        self.source = source
        self.metadata = metadata
        self.raw = raw
    }
}
