// The text and metadata HTMLExtractor takes from one page. How it gets them is HTMLExtractor.swift's.

/// The text and metadata of one page.
public struct ExtractedPage: Sendable, Equatable {
    public var text: String
    public var title: String?
    /// `<html lang>` (or `<meta http-equiv=content-language>`), as written.
    public var lang: String?
    /// `<meta name=description>` or `og:description`.
    public var description: String?

    public init(text: String, title: String? = nil, lang: String? = nil, description: String? = nil) {
        self.text = text
        self.title = title
        self.lang = lang
        self.description = description
    }
}
