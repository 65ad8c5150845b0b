// A problem the WARC scanner met (a named reason, file and offset); bad data is reported this
// way and never thrown (WARCScanner.swift).

/// A problem the scanner met, with where it was.
public struct WARCProblem: Sendable, CustomStringConvertible {
    /// `warc:truncated_record`, `warc:content_length_mismatch`, `warc:bad_header`, …
    public var reason: String
    public var file: String
    public var offset: Int
    public var message: String
    public var description: String { "\(reason): \(message) (\(file):\(offset))" }
}
