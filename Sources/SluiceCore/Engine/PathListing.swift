// `input: {paths_file, prefix, limit, sample, seed}`: the inputs of a run listed in a file, one per
// line, as Common Crawl publishes them (`warc.paths.gz`: paths relative to the bucket). The file may
// be local or remote, plain or compressed. It does not fetch the listed files; readers do, later.
import Foundation

/// What to do with an input that does not exist (a local file gone, HTTP 404/410).
public enum MissingInputPolicy: String, Sendable {
    /// Stop the task with an error naming the input (the default).
    case error
    /// Count it under `READER:missing_input` and go on with the task's next input.
    case skip
}

/// A listing of input paths and how to turn its lines into inputs.
public struct PathListing: Sendable, Equatable {
    /// The listing: a local path or a URL; `.gz`, `.zst`, `.bz2` are decompressed.
    public var file: String
    /// Put before each relative line. Default: for a remote listing, its scheme and host
    /// (`https://data.commoncrawl.org/`, `s3://commoncrawl/`); for a local one, nothing.
    public var prefix: String?
    /// Keep at most this many lines (after sampling), in listing order.
    public var limit: Int?
    /// Keep each line with this probability, decided by a hash of the seed and the line, so the
    /// same lines are kept on every machine and whatever the listing's order.
    public var sample: Double?
    public var seed: UInt64 = 0
    /// The line of the pipeline file, for messages.
    public var line = 0

    public init(file: String, prefix: String? = nil, limit: Int? = nil, sample: Double? = nil, seed: UInt64 = 0) {
        self.file = file
        self.prefix = prefix
        self.limit = limit
        self.sample = sample
        self.seed = seed
    }

    /// The inputs the listing names, with problems found in it (malformed lines, skipped).
    /// - Throws: `SluiceError(.config)` when the listing cannot be read or names no input.
    public func paths() throws -> (paths: [String], problems: [String]) {
        let source: any ByteSource
        do {
            source = try openByteSource(file)
        } catch let e as SluiceError {
            throw SluiceError(.config, "input.paths_file: cannot read the listing: \(e.message)", file: file)
        }
        let lines = LineReader(source: source)
        let base = prefix ?? Self.defaultPrefix(for: file)
        var paths: [String] = []
        var problems: [String] = []
        var number = 0
        do {
            while let bytes = try lines.next() {
                number += 1
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    problems.append("line \(number): not UTF-8")
                    continue
                }
                let entry = text.trimmingCharacters(in: .whitespaces)
                if entry.isEmpty || entry.hasPrefix("#") { continue }
                if entry.utf8.contains(where: { $0 < 0x20 || $0 == 0x20 || $0 == 0x7f }) {
                    problems.append("line \(number): a path has no spaces or control characters: '\(entry.prefix(80))'")
                    continue
                }
                if let sample, sample < 1, !Self.keeps(entry, sample: sample, seed: seed) { continue }
                paths.append(Self.join(base, entry))
                if let limit, paths.count >= limit { break }
            }
        } catch let e as SluiceError {
            throw SluiceError(
                .config, "input.paths_file: the listing is unreadable: \(e.message)", file: file, line: number + 1)
        }
        if paths.isEmpty {
            throw SluiceError(.config, "input.paths_file: the listing names no input (\(number) lines)", file: file)
        }
        return (paths, problems)
    }

    /// `scheme://host/` of a remote listing; "" for a local one.
    public static func defaultPrefix(for file: String) -> String {
        guard RemoteLocation.isRemote(file), let scheme = file.range(of: "://") else { return "" }
        let rest = file[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return file + "/" }
        return String(file[..<slash]) + "/"
    }

    /// `prefix` + `entry`, with exactly one `/` between them; absolute paths and URLs stay.
    static func join(_ prefix: String, _ entry: String) -> String {
        if prefix.isEmpty || entry.hasPrefix("/") || RemoteLocation.isRemote(entry) { return entry }
        return prefix.hasSuffix("/") ? prefix + entry : prefix + "/" + entry
    }

    /// Whether the sample keeps `entry`: xxHash64 of seed and entry, as a fraction of 2⁶⁴.
    static func keeps(_ entry: String, sample: Double, seed: UInt64) -> Bool {
        let h = xxHash64(entry, seed: seed)
        return Double(h >> 11) / Double(1 << 53) < sample
    }
}
