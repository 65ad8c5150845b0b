// `sluice show`: kept drops of one reason printed for a terminal, what fired highlighted (ANSI
// colour when asked, plain text otherwise), for users on a cluster without a browser. Reads the
// sample files in order and stops after `count` documents.
import Foundation
import SluiceCore

/// Prints kept dropped documents (or edits) of a run folder.
public enum DroppedListing {
    /// The kept drops of `reason` (`c4:too_few_sentences`, or `edit:c4` for before/after pairs),
    /// at most `count`, as text; `color` adds ANSI bold and red for what fired.
    /// - Throws: `SluiceError(.usage)` when the folder is not a run, keeps no drops, or has none of
    ///   `reason` (the message lists the reasons it has).
    public static func render(root: String, reason: String?, count: Int, color: Bool, maxCharacters: Int = 1500) throws
        -> String
    {
        let run = try RunFolder.open(root)
        guard !run.droppedFiles.isEmpty else {
            throw SluiceError(
                .usage,
                "this run kept no dropped documents: add `dropped: {sample: 0.1}` to the pipeline and run it again",
                file: root)
        }
        let bold = color ? "\u{1B}[1m" : ""
        let red = color ? "\u{1B}[1;31m" : ""
        let reset = color ? "\u{1B}[0m" : ""
        var out = ""
        var shown = 0
        var seen: [String: Int] = [:]
        var problems: [String] = []
        let page = Page(runs: [], reportDirectory: ".")
        for file in run.droppedFiles where shown < count {
            DocumentSample.read(run.root + "/" + file, limit: .max, problems: &problems) { d in
                let key =
                    d.metadata["edited_by"]?.stringValue.map { "edit:" + $0 } ?? d.metadata["dropped_by"]?.stringValue
                    ?? "unknown"
                seen[key, default: 0] += 1
                guard reason == nil || key == reason else { return true }
                shown += 1
                out += "\(bold)── \(key) · \(d.id) · \(d.source) · \(file)\(reset)\n"
                if let url = d.metadata["url"]?.stringValue { out += "url: \(url)\n" }
                if let before = d.metadata["text_before"]?.stringValue {
                    let kept = Set(d.text.split(separator: "\n", omittingEmptySubsequences: false))
                    var size = 0
                    for line in before.split(separator: "\n", omittingEmptySubsequences: false)
                    where size < maxCharacters {
                        size += line.count + 1
                        out += kept.contains(line) ? "  \(line)\n" : "\(red)- \(line)\(reset)\n"
                    }
                } else {
                    if case .object(let o)? = d.metadata["dropped_fired"] {
                        var parts: [String] = []
                        for (k, v) in o where k != "match" { parts.append("\(k)=\(JSONSerializer.string(v))") }
                        let matched = page.matches(d)
                        if !matched.isEmpty {
                            parts.append(
                                "match: " + matched.prefix(10).map { "\(red)\($0)\(reset)" }.joined(separator: ", "))
                        }
                        out += "what fired: \(parts.joined(separator: " "))\n"
                    }
                    out += highlight(String(d.text.prefix(maxCharacters)), page.matches(d), red, reset)
                    out += d.text.count > maxCharacters ? " …\n" : "\n"
                }
                out += "\n"
                return shown < count
            }
        }
        if shown == 0, let reason {
            let known = seen.sorted { $0.value > $1.value }.prefix(30).map { "\($0.key) (\($0.value))" }
            throw SluiceError(
                .usage, "no kept documents of '\(reason)'; kept reasons: \(known.joined(separator: ", "))", file: root)
        }
        for p in problems { out += "warning: \(p)\n" }
        return out
    }

    static func highlight(_ text: String, _ matches: [String], _ on: String, _ off: String) -> String {
        guard !matches.isEmpty, !on.isEmpty else { return text }
        var out = ""
        var at = text.startIndex
        var ranges: [Range<String.Index>] = []
        for m in matches {
            var from = text.startIndex
            while let r = text.range(of: m, options: [.caseInsensitive], range: from..<text.endIndex) {
                ranges.append(r)
                from = r.upperBound
            }
        }
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) where r.lowerBound >= at {
            out += String(text[at..<r.lowerBound]) + on + String(text[r]) + off
            at = r.upperBound
        }
        return out + String(text[at...])
    }
}
