// One WARC (or ARC) record's header as the scanner found it: where it is and the fields readers
// use. The content block is loaded separately (WARCScanner.swift).

/// One record's header as found in the file.
public struct WARCRecordHead: Sendable {
    /// Offset of the record in the file as stored: for gzip files the start of the member that
    /// holds the record, for plain files its byte offset, for zstd its offset in the decoded stream.
    public var offset: Int
    /// Offset in the decoded stream.
    public var streamOffset: Int
    public var headers: WARCHeaders
    /// `WARC-Type` (`response`, `request`, …; "" when missing).
    public var type: String
    /// `WARC-Record-ID` as written (`<urn:uuid:…>`).
    public var recordID: String
    /// `WARC-Target-URI` as written, or nil.
    public var targetURI: String?
    /// `WARC-Date`.
    public var date: String
    /// `Content-Type` of the record (not of the HTTP payload).
    public var contentType: String
    /// `Content-Length`: bytes in the content block.
    public var contentLength: Int
    /// `WARC-Identified-Content-Language` (Common Crawl), or nil.
    public var identifiedLanguage: String?
    /// `WARC-Truncated` (the crawler cut the payload), or nil.
    public var truncated: String?
}
