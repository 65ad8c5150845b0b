// The one error type a bad run throws. Bad *data* is never an error: readers count it, filters drop it.
// The CLI prints `description` on one line and exits non-zero.

/// An error that stops a run: bad configuration, missing files, I/O failures, broken libraries.
public struct SluiceError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure; a struct so that codes can grow without breaking `switch`es.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        public static let config = Code("config error")
        public static let io = Code("i/o error")
        public static let corruptInput = Code("corrupt input")
        public static let library = Code("library error")
        public static let usage = Code("usage error")
    }

    public var code: Code
    /// What went wrong and, when known, how to fix it.
    public var message: String
    /// Where: a path, with `line` or `offset` when known.
    public var file: String?
    public var line: Int?
    public var offset: Int?

    public init(_ code: Code, _ message: String, file: String? = nil, line: Int? = nil, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.offset = offset
    }

    /// `corrupt input: truncated gzip member (crawl.warc.gz:81920)`.
    public var description: String {
        var s = "\(code): \(message)"
        if let file {
            s += " (\(file)"
            if let line { s += ":\(line)" } else if let offset { s += ":\(offset)" }
            s += ")"
        }
        return s
    }
}
