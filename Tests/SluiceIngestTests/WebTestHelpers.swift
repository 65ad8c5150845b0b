// Helpers for the web tests: a task context, running the warc reader over a file, listing
// records, and making corrupt copies of fixtures in a temporary folder.
import Foundation
import SluiceCore
import SluiceTestSupport

@testable import SluiceIngest

enum Web {
    static func context(_ stage: String = "warc") -> TaskContext {
        TaskContext(
            taskIndex: 0, taskCount: 1, outputDirectory: "/tmp", temporaryDirectory: "/tmp", stageNames: [stage])
    }

    /// A `warc` reader built from YAML-ish option pairs.
    static func reader(_ values: [(String, ConfigValue)] = []) throws -> WARCReader {
        try StageHarness.build(WARCReader.self, values: values)
    }

    static func list(_ items: [String]) -> ConfigValue { .list(items.map { .scalar($0, line: 0) }, line: 0) }
    static func scalar(_ s: String) -> ConfigValue { .scalar(s, line: 0) }

    /// All documents of `path` and the context (for its error counts).
    static func read(_ path: String, _ reader: WARCReader) throws -> ([Document], TaskContext) {
        let c = context()
        var it = try reader.open(path, context: c)
        var docs: [Document] = []
        while let d = try it.next() { docs.append(d) }
        return (docs, c)
    }

    /// `sluice inspect warc` as data: records and problems.
    static func inspect(_ path: String) throws -> (records: [[String: Any]], problems: [String]) {
        var lines: [String] = []
        var problems: [String] = []
        _ = try WARCInspector.list(path: path, out: { lines.append($0) }, err: { problems.append($0) })
        let records = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        return (records, problems)
    }

    static func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// Offsets of gzip members in a per-record gzip file, from `inspect`.
    static func memberOffsets(_ path: String) throws -> [Int] {
        try inspect(path).records.map { $0["offset"] as! Int }
    }

    /// The extract step with options.
    static func extractStep(_ values: [(String, ConfigValue)] = []) throws -> ExtractStep {
        try StageHarness.build(ExtractStep.self, values: values)
    }

    /// Main text of an HTML string.
    static func text(_ html: String, mainContent: Bool = true) -> String {
        var o = ExtractionOptions()
        o.mainContent = mainContent
        let e = HTMLExtractor(options: o)
        let bytes = Array(html.utf8)
        return bytes.withUnsafeBytes { e.extract(utf8: $0)?.text } ?? "<nil>"
    }
}
