// What one HTMLExtractor call could not keep as written (dropped attributes, flattened nesting, a
// stopped parse, a spent CPU budget), for the caller's counters; HTMLExtractor+Limits.swift sets the bounds.

/// What one `extract` call could not keep as written, for the caller's counters.
public struct ExtractionReport: Sendable, Equatable {
    /// Attributes dropped from start tags with more than `maxAttributesPerTag` of them.
    public var attributesDropped = 0
    /// Block elements nested deeper than `HTMLExtractor.maxBlockDepth`, whose text joined the
    /// block of their ancestor at that depth instead of forming blocks of their own.
    public var flattenedElements = 0
    /// libxml2 stopped parsing before the end of the page (the text after that point is lost).
    public var parseStopped = false
    /// The CPU budget ran out (the page has no result).
    public var timedOut = false

    public init() {}
}
