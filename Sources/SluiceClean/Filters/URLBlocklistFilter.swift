// Filter `url_blocklist`: drops documents whose URL's host is a listed domain or a subdomain of
// one (`ads.example.com` matches `example.com`). The list has one domain per line; `#` starts a
// comment; a leading `www.` or `*.` is ignored. Documents without a URL pass (and are counted).
// It does not score URL words (RefinedWeb's second rule).
import Foundation
import SluiceCore

/// Drops documents from blocked domains.
public struct URLBlocklistFilter: Filter {
    public static let name = "url_blocklist"
    public static let summary = "drop documents whose URL host is on a domain blocklist (subdomains included)"

    public static let blockedDomain = DropReason("url_blocklist:domain")

    public var path: String
    public var field: String
    private var domains = Set<String>()
    private var loaded = false

    public init(options: inout StageOptions) throws {
        path = try options.string("path", "domain list file, one domain per line")
        field = try options.string("field", default: "url", "metadata key holding the document's URL")
    }

    public func validate() throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw SluiceError(.config, "url_blocklist.path: cannot read the domain list", file: path)
        }
    }

    public mutating func prepare(context: TaskContext) throws { if !loaded { try load() } }

    mutating func load() throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SluiceError(.io, "cannot read the domain list", file: path)
        }
        for raw in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            var d = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces).lowercased()
            if d.hasPrefix("*.") { d.removeFirst(2) }
            if d.hasPrefix("www.") { d.removeFirst(4) }
            if d.hasSuffix(".") { d.removeLast() }
            if !d.isEmpty { domains.insert(d) }
        }
        loaded = true
    }

    /// The lowercased host of `url` (`https://User@Sub.Example.com:8080/x` → `sub.example.com`).
    static func host(of url: String) -> Substring? {
        var rest = Substring(url.lowercased())
        if let r = rest.range(of: "://") {
            rest = rest[r.upperBound...]
        } else if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
        }
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if let colon = rest.lastIndex(of: ":"), !rest.hasPrefix("[") { rest = rest[..<colon] }
        while rest.hasSuffix(".") { rest = rest.dropLast() }
        return rest.isEmpty ? nil : rest
    }

    /// Whether `url`'s host or one of its parent domains is listed.
    func isBlocked(_ url: String) -> Bool {
        guard var host = Self.host(of: url) else { return false }
        while true {
            if domains.contains(String(host)) { return true }
            guard let dot = host.firstIndex(of: ".") else { return false }
            host = host[host.index(after: dot)...]
        }
    }

    public mutating func verdict(for document: inout Document, context: TaskContext) throws -> Verdict {
        if !loaded { try load() }
        guard let url = document.metadata[field]?.stringValue else {
            context.count("documents_without_url")
            return .keep
        }
        return isBlocked(url) ? .drop(Self.blockedDomain) : .keep
    }
}
