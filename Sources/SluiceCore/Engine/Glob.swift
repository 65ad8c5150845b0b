// Input globs: `*`, `?` and `[...]` within one path component, `**` across any number of folders,
// matched on UTF-8 bytes. Results are sorted byte-wise so that tasks get the same files on every
// machine. No brace expansion, no `~`; `*` does not match a leading dot unless the pattern has one.
import Foundation

/// Expands shell-style path patterns.
public enum Glob {
    /// Whether `pattern` contains a wildcard (`*`, `?`, `[`).
    public static func hasWildcards(_ pattern: some StringProtocol) -> Bool {
        pattern.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }
    }

    /// The existing paths matching `pattern`, sorted byte-wise and without duplicates.
    ///
    /// Relative patterns resolve against the current directory and results stay relative
    /// (`data/*.jsonl` → `data/a.jsonl`). A pattern without wildcards yields itself if it exists.
    /// `**` does not follow symbolic links to folders (no cycles) and skips hidden folders.
    public static func expand(_ pattern: String) -> [String] {
        let absolute = pattern.hasPrefix("/")
        let components = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var results: [String] = []
        walk(prefix: absolute ? "/" : "", components[...], into: &results)
        return sortedUnique(results)
    }

    /// Sorts paths by their UTF-8 bytes and removes duplicates.
    public static func sortedUnique(_ paths: [String]) -> [String] {
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private static func join(_ prefix: String, _ name: String) -> String {
        prefix.isEmpty ? name : (prefix.hasSuffix("/") ? prefix + name : prefix + "/" + name)
    }

    private static func isDirectory(_ path: String, followLinks: Bool = true) -> Bool {
        var st = stat()
        let r = followLinks ? stat(path, &st) : lstat(path, &st)
        return r == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    private static func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? [])
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private static func walk(prefix: String, _ components: ArraySlice<String>, into results: inout [String]) {
        guard let c = components.first else {
            if !prefix.isEmpty { results.append(prefix) }
            return
        }
        let rest = components.dropFirst()
        if c == "**" {
            walk(prefix: prefix, rest, into: &results)  // zero folders
            for name in entries(prefix) where !name.hasPrefix(".") {
                let path = join(prefix, name)
                if isDirectory(path, followLinks: false) { walk(prefix: path, components, into: &results) }
            }
        } else if !hasWildcards(c) {
            let path = join(prefix, c)
            let exists = rest.isEmpty ? FileManager.default.fileExists(atPath: path) : isDirectory(path)
            if exists { walk(prefix: path, rest, into: &results) }
        } else {
            let pattern = Array(c.utf8)
            for name in entries(prefix) {
                if name.hasPrefix(".") && pattern.first != UInt8(ascii: ".") { continue }
                guard matches(pattern, Array(name.utf8)) else { continue }
                let path = join(prefix, name)
                if rest.isEmpty || isDirectory(path) { walk(prefix: path, rest, into: &results) }
            }
        }
    }

    /// Whether one path component `name` matches the component pattern `pattern`.
    ///
    /// `*` matches any run of bytes, `?` one UTF-8 scalar, `[abc]`, `[a-z]`, `[!x]` / `[^x]` one
    /// ASCII byte from (or not from) the set; `\` escapes the next byte.
    /// - Complexity: O(pattern × name) in the worst case (one backtracking point for `*`).
    public static func matches(_ pattern: [UInt8], _ name: [UInt8]) -> Bool {
        var p = 0
        var n = 0
        var starP = -1
        var starN = 0
        while n < name.count {
            if p < pattern.count {
                let c = pattern[p]
                if c == UInt8(ascii: "*") {
                    starP = p
                    starN = n
                    p += 1
                    continue
                }
                if c == UInt8(ascii: "?") {
                    p += 1
                    n += 1
                    while n < name.count && name[n] & 0xC0 == 0x80 { n += 1 }  // rest of the scalar
                    continue
                }
                if c == UInt8(ascii: "["), let (matched, end) = matchClass(pattern, p, name[n]) {
                    if matched {
                        p = end
                        n += 1
                        continue
                    }
                } else {
                    var literal = c
                    var width = 1
                    if c == UInt8(ascii: "\\") && p + 1 < pattern.count {
                        literal = pattern[p + 1]
                        width = 2
                    }
                    if literal == name[n] {
                        p += width
                        n += 1
                        continue
                    }
                }
            }
            guard starP >= 0 else { return false }
            // Backtrack: let the last `*` swallow one more byte.
            starN += 1
            n = starN
            p = starP + 1
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    /// Matches `byte` against the class starting at `pattern[start] == "["`; nil if the class is not
    /// closed (then `[` is a literal). Returns whether it matched and the index after `]`.
    private static func matchClass(_ pattern: [UInt8], _ start: Int, _ byte: UInt8) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < pattern.count && (pattern[i] == UInt8(ascii: "!") || pattern[i] == UInt8(ascii: "^")) {
            negate = true
            i += 1
        }
        var matched = false
        var first = true
        while i < pattern.count {
            let c = pattern[i]
            if c == UInt8(ascii: "]") && !first { return (matched != negate, i + 1) }
            first = false
            if i + 2 < pattern.count && pattern[i + 1] == UInt8(ascii: "-") && pattern[i + 2] != UInt8(ascii: "]") {
                if byte >= c && byte <= pattern[i + 2] { matched = true }
                i += 3
            } else {
                if byte == c { matched = true }
                i += 1
            }
        }
        return nil
    }
}
