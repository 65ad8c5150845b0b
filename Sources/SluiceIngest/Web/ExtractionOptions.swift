// The options of HTML text extraction (HTMLExtractor.swift): main content or every visible block,
// and which kinds of block to keep. Stage option parsing is ExtractStep.swift's.

/// What to keep when extracting text from a page.
public struct ExtractionOptions: Sendable, Equatable {
    /// Keep only the main content (true) or every visible text block of the page (false).
    public var mainContent = true
    public var keepHeadings = true
    public var keepLists = true
    public var keepTables = true
    public var keepCode = true
    public var keepBlockquotes = true
    /// Keep figure captions.
    public var keepCaptions = false

    public init() {}
}
