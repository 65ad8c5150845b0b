// `sluice inspect warc`: one JSON object per record the `warc` reader would see (offset, type, uri,
// date, content_type, length, record_id, and `truncated` for a kept incomplete record) and one
// stderr line per problem; and a counting mode that reads every
// record through the `warc` reader (the WARC iteration benchmark). No extraction here.
import SluiceCore

/// Lists and counts the records of WARC files.
public enum WARCInspector {
    /// Writes one JSON line per record of `path` to `out` and one line per problem to `err`.
    /// Returns the number of problems.
    /// - Throws: `SluiceError` when the file cannot be opened or its container is not supported.
    public static func list(path: String, out: (String) -> Void, err: (String) -> Void) throws -> Int {
        let scanner = try WARCScanner(path: path)
        var problems = 0
        var line = ""
        line.reserveCapacity(512)
        while let h = try scanner.next() {
            // The reader's own scan and recovery (`skipContent` finds the same records as the
            // reader's `loadContent`): a record cut short or with a wrong Content-Length is listed
            // with `"truncated"`, as the reader keeps it; only a corrupt gzip member is left out.
            let whole = try scanner.skipContent()
            for p in scanner.takeProblems() {
                problems += 1
                err(p.description)
            }
            guard whole else { continue }
            line.removeAll(keepingCapacity: true)
            line += "{\"offset\": \(h.offset), \"type\": "
            line += JSONSerializer.quoted(h.type)
            line += ", \"uri\": "
            if let u = h.targetURI { line += JSONSerializer.quoted(stripAngles(u)) } else { line += "null" }
            line += ", \"date\": "
            line += JSONSerializer.quoted(h.date)
            line += ", \"content_type\": "
            line += JSONSerializer.quoted(h.contentType)
            line += ", \"length\": \(h.contentLength), \"record_id\": "
            if h.recordID.isEmpty { line += "null" } else { line += JSONSerializer.quoted(h.recordID) }
            if let cut = scanner.contentTruncation {
                line += ", \"truncated\": "
                line += JSONSerializer.quoted(cut)
            }
            line += "}"
            out(line)
        }
        for p in scanner.takeProblems() {
            problems += 1
            err(p.description)
        }
        return problems
    }

    /// Reads every record of `paths` through the `warc` reader with every type, status and MIME
    /// type kept (HTTP parsed, payload de-chunked and decoded), and returns the counts as a JSON
    /// object: files, records, payload bytes, bad records by reason.
    public static func count(paths: [String], logger: TaskContext? = nil) throws -> String {
        var options = StageOptions(
            stageName: "warc",
            values: [
                (
                    "record_types",
                    .list(
                        [
                            "warcinfo", "response", "resource", "request", "metadata", "revisit", "conversion",
                            "continuation", "unknown", "arc_header",
                        ].map { .scalar($0, line: 0) }, line: 0)
                ),
                ("mime_types", .list([], line: 0)), ("status", .list([], line: 0)),
                ("max_payload", .scalar("1GB", line: 0)),
            ], file: nil)
        let reader = try StageBuilder.build(WARCReader.self, options: &options)
        let context =
            logger
            ?? TaskContext(
                taskIndex: 0, taskCount: 1, outputDirectory: "/tmp", temporaryDirectory: "/tmp", stageNames: ["warc"])
        var documents = 0
        var bytes = 0
        for p in paths {
            context.currentInput = p
            var it = try reader.open(p, context: context)
            while let d = try it.next() {
                documents += 1
                bytes += d.raw?.count ?? d.text.utf8.count
            }
        }
        var s = "{\"files\": \(paths.count), \"documents\": \(documents), \"payload_bytes\": \(bytes)"
        let st = context.stats.stages[0]
        for (k, v) in st.counters.sorted(by: { $0.key < $1.key }) { s += ", \"\(k)\": \(v)" }
        s += ", \"bad_records\": {"
        s += st.errors.sorted(by: { $0.key < $1.key }).map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
        s += "}}"
        return s
    }
}
