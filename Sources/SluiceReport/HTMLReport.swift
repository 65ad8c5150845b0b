// `sluice report`: one self-contained HTML file per run (or per pair of runs, side by side) from
// what a run folder already holds: merged stats, the run record, the kept drops, the head of the
// outputs, dedup summaries, and (its own or in the folders that continue it) the tokenizer, shards,
// training metrics and evaluations. Inline CSS and SVG and a
// few lines of script; a Content-Security-Policy forbids every fetch, so the page works offline.
import Foundation
import SluiceCore

/// One run as the report shows it: its folder listing and the bounded document samples.
public struct RunView: Sendable {
    public var label: String
    public var folder: RunFolder
    public var drops: DropSample
    public var kept: DocumentFacts
    public var keptTruncated: Bool
    public var problems: [String]
    /// Folders that continue this run (its outputs tokenized, a model trained on them), whose
    /// tokenizer, shards, training curves and evaluations the report shows with it.
    public var companions: [RunFolder] = []

    /// Lists `root` and reads its samples; `companions` are folders that continue the run: a
    /// `sluice run` that tokenized its outputs, a `sluice train` folder.
    /// - Throws: `SluiceError(.usage)` when `root` or a companion is not a run folder.
    public static func load(_ root: String, label: String, companions: [String] = []) throws -> RunView {
        let folder = try RunFolder.open(root)
        let drops = DocumentSample.drops(folder)
        var problems = drops.problems
        let (kept, truncated) = DocumentSample.outputs(folder, problems: &problems)
        var view = RunView(
            label: label, folder: folder, drops: drops, kept: kept, keptTruncated: truncated, problems: problems)
        view.companions = try companions.map { try RunFolder.open($0) }
        for c in view.companions where !c.unfinished.isEmpty {
            view.problems.append("\(c.root) is not complete: " + c.unfinished.joined(separator: "; "))
        }
        return view
    }

    /// The run's own folder, then its companions.
    public var folders: [RunFolder] { [folder] + companions }

    /// Text bytes per token, from the first folder that tokenized documents.
    public var bytesPerToken: (value: Double, from: String)? {
        for f in folders { if let b = f.bytesPerToken { return (b, f.root) } }
        return nil
    }
}

/// Builds and writes the report page.
public enum HTMLReport {
    /// Writes the report of one run (`ROOT/report/index.html`) or the comparison of two
    /// (`A/report/compare.html`), or to `output` when given; returns the path written.
    /// - Throws: `SluiceError(.usage)` for a folder that is not a run, `.io` when writing fails.
    /// - Parameter companions: per run, folders that continue it (a tokenize run, a training folder).
    @discardableResult
    public static func write(runs: [String], output: String? = nil, companions: [[String]] = []) throws -> String {
        precondition(!runs.isEmpty && runs.count <= 2, "one or two runs")
        let views = try runs.enumerated().map { i, root in
            try RunView.load(
                root, label: runs.count == 1 ? root : "\(i == 0 ? "A" : "B"): \(root)",
                companions: i < companions.count ? companions[i] : [])
        }
        let path = output ?? runs[0] + (runs.count == 1 ? "/report/index.html" : "/report/compare.html")
        let directory = (path as NSString).deletingLastPathComponent
        let html = render(views, reportDirectory: directory.isEmpty ? "." : directory)
        do {
            try FileManager.default.createDirectory(
                atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
            let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
            try Data(html.utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else {
                throw SluiceError(.io, "cannot rename into place: \(String(cString: strerror(errno)))", file: path)
            }
        } catch let e as SluiceError {
            throw e
        } catch {
            throw SluiceError(.io, "cannot write the report: \(error.localizedDescription)", file: path)
        }
        return path
    }

    /// The page for one or two runs; links to sample files are relative to `reportDirectory`.
    public static func render(_ runs: [RunView], reportDirectory: String) -> String {
        var page = Page(runs: runs, reportDirectory: reportDirectory)
        page.header()
        page.funnel()
        page.drops()
        page.edits()
        page.distributions()
        page.dedup()
        page.modelFiles()
        page.configuration()
        return page.finish()
    }
}

/// HTML-escaped text.
private func e(_ s: String) -> String { Chart.escape(s) }
/// `1,234,567`.
private func n(_ x: Int) -> String { StatsReport.grouped(x) }
/// Bytes as megabytes with two decimals.
private func mb(_ b: Int) -> String { String(format: "%.2f", Double(b) / 1e6) }

/// The page being built, section by section.
struct Page {
    let runs: [RunView]
    let reportDirectory: String
    var body = ""
    var toc: [(id: String, title: String)] = []
    var compare: Bool { runs.count > 1 }

    init(runs: [RunView], reportDirectory: String) {
        self.runs = runs
        self.reportDirectory = reportDirectory
    }

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a202c;background:#f7fafc}
        header{background:#1a365d;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;opacity:.85}
        nav{padding:8px 24px;background:#e2e8f0;position:sticky;top:0}nav a{margin-right:14px;color:#2a4365}
        main{padding:8px 24px 40px;max-width:1500px}section{background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:12px 18px;margin:14px 0}
        h2{font-size:17px;margin:4px 0 10px}h3{font-size:15px;margin:14px 0 6px}h4{margin:8px 0 4px;font-size:13px}
        table{border-collapse:collapse;margin:6px 0}td,th{border-bottom:1px solid #e2e8f0;padding:3px 10px;text-align:right;white-space:nowrap}
        td:first-child,th:first-child{text-align:left}th{background:#edf2f7}tr.sub td{color:#4a5568;font-size:12px}
        .warn{background:#fffbea;border:1px solid #f6e05e;padding:8px 12px;border-radius:4px}.muted{color:#718096}
        .cols{display:grid;grid-template-columns:repeat(var(--n),minmax(0,1fr));gap:14px}
        .doc{background:#f7fafc;border:1px solid #e2e8f0;border-radius:4px;padding:6px 10px;margin:6px 0}
        .doc pre{white-space:pre-wrap;word-break:break-word;max-height:260px;overflow:auto;margin:4px 0;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
        .meta{font-size:12px;color:#4a5568}mark{background:#fbd38d;padding:0 1px}del{background:#fed7d7;text-decoration:line-through}
        .chip{display:inline-block;background:#feebc8;border-radius:3px;padding:0 5px;margin:1px 3px 1px 0;font-size:12px}
        svg.chart{display:block;margin:6px 0;font-size:11px;fill:#2d3748}svg .tick{font-size:10px}
        .legend span{margin-right:14px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
        pre.config{background:#f7fafc;border:1px solid #e2e8f0;padding:8px;overflow:auto;max-height:400px}
        """

    mutating func section(_ id: String, _ title: String, _ content: String) {
        toc.append((id, title))
        body += "<section id=\"\(id)\"><h2>\(e(title))</h2>\(content)</section>\n"
    }

    /// Side by side when comparing, else the one column.
    func columns(_ cells: [String]) -> String {
        guard cells.count > 1 else { return cells.first ?? "" }
        return "<div class=\"cols\" style=\"--n:\(cells.count)\">" + cells.map { "<div>\($0)</div>" }.joined()
            + "</div>"
    }

    // MARK: - Header

    mutating func header() {
        var notes = ""
        for r in runs {
            let prefix = compare ? "<b>\(e(r.label))</b>: " : ""
            if !r.folder.unfinished.isEmpty {
                notes +=
                    "<p class=\"warn\">\(prefix)this run is not complete; the report shows what exists. "
                    + r.folder.unfinished.map(e).joined(separator: "; ") + "</p>"
            }
            if !r.problems.isEmpty {
                notes +=
                    "<p class=\"warn\">\(prefix)some files could not be read in full: "
                    + r.problems.prefix(10).map(e).joined(separator: "; ") + (r.problems.count > 10 ? " …" : "")
                    + "</p>"
            }
            if r.folder.droppedFiles.isEmpty && !r.folder.stats.passes.isEmpty {
                notes +=
                    "<p class=\"muted\">\(prefix)no dropped documents were kept: add <code>dropped: {sample: 0.1}</code> to the pipeline to see examples per reason (docs/report.md).</p>"
            }
        }
        if !notes.isEmpty { body += "<section id=\"status\"><h2>Status</h2>\(notes)</section>\n" }
    }

    // MARK: - Funnel

    mutating func funnel() {
        // Passes by name across runs, in the first run's order.
        var passNames: [String] = []
        for r in runs { for p in r.folder.stats.passes where !passNames.contains(p.pass) { passNames.append(p.pass) } }
        guard !passNames.isEmpty else {
            section("funnel", "Funnel", "<p class=\"muted\">no task has finished yet: no stats to show.</p>")
            return
        }
        var html = ""
        let showTokens = runs.contains { $0.bytesPerToken != nil }
        let columnsPerRun = showTokens ? 7 : 6
        for name in passNames {
            let passes = runs.map { r in r.folder.stats.passes.first { $0.pass == name } }
            html += "<h3>\(e(name))</h3>"
            let tasks = zip(runs, passes).map { r, p in
                (compare ? e(String(r.label.prefix(1))) + ": " : "")
                    + (p.map {
                        "\($0.tasksReported) of \($0.taskCount) tasks, \(String(format: "%.2f", $0.seconds)) s task time"
                    }
                        ?? "not run")
            }
            html += "<p class=\"meta\">\(tasks.joined(separator: " · "))</p>"
            // Stage keys (position + name) across runs, in order.
            var keys: [String] = []
            for p in passes { for s in p?.stages ?? [] where !keys.contains(s.name) { keys.append(s.name) } }
            html += "<table><tr><th>stage</th>"
            for r in runs {
                let tag = compare ? " " + e(String(r.label.prefix(1))) : ""
                html +=
                    "<th>docs in\(tag)</th><th>docs out\(tag)</th><th>kept\(tag)</th><th>MB in\(tag)</th><th>MB out\(tag)</th><th>seconds\(tag)</th>"
                if showTokens {
                    html +=
                        "<th title=\"exact for tokenize; else the bytes passed on, at the bytes per token the tokenizer measured\">tokens out\(tag)</th>"
                }
            }
            html += "</tr>"
            var only: [String] = []
            for key in keys {
                let stages = passes.map { $0?.stages.first { $0.name == key } }
                if compare && stages.contains(where: { $0 == nil }) {
                    let which = zip(runs, stages).filter { $0.1 != nil }.map { String($0.0.label.prefix(1)) }
                    only.append("\(key) (only in \(which.joined(separator: ", ")))")
                }
                html += "<tr><td>\(e(key))</td>"
                for (r, (p, s)) in zip(runs, zip(passes, stages)) {
                    if let s {
                        let kept =
                            s.documentsIn > 0
                            ? String(format: "%.1f%%", 100 * Double(s.documentsOut) / Double(s.documentsIn)) : ""
                        html +=
                            "<td>\(n(s.documentsIn))</td><td>\(n(s.documentsOut))</td><td>\(kept)</td><td>\(mb(s.bytesIn))</td><td>\(mb(s.bytesOut))</td><td>\(String(format: "%.2f", s.seconds))</td>"
                        if showTokens { html += "<td>\(tokensOut(s, in: p!, run: r))</td>" }
                    } else {
                        html += "<td colspan=\"\(columnsPerRun)\" class=\"muted\">not in this run</td>"
                    }
                }
                html += "</tr>"
                // Token and kept-drop counters under the stage (per source: in the tokenizer section).
                var counterKeys: [String] = []
                for s in stages {
                    for k in (s?.counters.keys.sorted() ?? []) where !counterKeys.contains(k) { counterKeys.append(k) }
                }
                for k in counterKeys where (k.contains("token") && !k.hasPrefix("source_")) || k.hasSuffix("_kept") {
                    html += "<tr class=\"sub\"><td>&nbsp;&nbsp;\(e(k))</td>"
                    for s in stages { html += "<td colspan=\"\(columnsPerRun)\">\(s?.counters[k].map(n) ?? "")</td>" }
                    html += "</tr>"
                }
            }
            html += "</table>"
            if !only.isEmpty {
                html +=
                    "<p class=\"meta\">Compared where the runs overlap; " + only.map(e).joined(separator: "; ") + "</p>"
            }
            let series = zip(runs, passes).map { r, p in
                Series(
                    name: compare ? r.label : "documents out",
                    values: keys.map { k in Double(p?.stages.first { $0.name == k }?.documentsOut ?? 0) })
            }
            if series.contains(where: { $0.values.contains { $0 > 0 } }) {
                html += Chart.bars(title: "documents out per stage, \(name)", labels: keys, series: series)
            }
        }
        // Where the outputs went next: tokenized in a companion folder.
        for r in runs {
            for c in r.companions where !c.tokenizeCounters.isEmpty {
                let t = c.tokenizeCounters
                let train = t["tokens_train"] ?? 0
                let validation = t["tokens_validation"] ?? 0
                let documents = (t["documents_train"] ?? 0) + (t["documents_validation"] ?? 0)
                html +=
                    "<p>\(compare ? "<b>\(e(r.label))</b>: " : "")the outputs, tokenized in <a href=\"\(link(c.root))\">\(e(c.root))</a>: "
                    + "\(n(documents)) documents → <b>\(n(train + validation)) tokens</b> (train \(n(train)), validation \(n(validation)))"
                    + (c.bytesPerToken.map { String(format: ", %.2f bytes of text per token", $0) } ?? "") + ".</p>"
            }
        }
        if let measured = runs.compactMap(\.bytesPerToken).first, showTokens {
            html +=
                "<p class=\"meta\">tokens out: exact for <code>tokenize</code>; elsewhere ≈ the text bytes a stage passes on at \(String(format: "%.2f", measured.value)) bytes per token (the tokenizer of \(e(measured.from)) on this run's output)\(compare ? ", per run" : "").</p>"
        }
        section("funnel", "Funnel: documents, bytes and tokens per pass and stage", html)
    }

    /// Tokens out of `stage` in `pass`: exact for `tokenize` (its train and validation counters),
    /// else an estimate from the text bytes it hands on (the next stage's bytes in; a last stage's
    /// own bytes in, since a writer's bytes out are its compressed files); none for readers and
    /// corpus passes.
    func tokensOut(_ stage: StageStats, in pass: StatsReport.PassStats, run: RunView) -> String {
        if stage.name == "tokenize" {
            return n((stage.counters["tokens_train"] ?? 0) + (stage.counters["tokens_validation"] ?? 0))
        }
        // Segment passes only: a corpus pass's bytes are its own files (signatures, counts).
        guard pass.pass.hasPrefix("segment-"), stage.documentsIn > 0, let ratio = run.bytesPerToken?.value, ratio > 0,
            let i = pass.stages.firstIndex(where: { $0.name == stage.name })
        else { return "" }
        let bytes = i + 1 < pass.stages.count ? pass.stages[i + 1].bytesIn : stage.bytesIn
        return "≈ " + n(Int((Double(bytes) / ratio).rounded()))
    }

    // MARK: - Drops

    /// Drops per reason (summed over passes and stages) and errors per kind of one run.
    func dropCounts(_ r: RunView) -> (drops: [String: Int], errors: [String: Int]) {
        var drops: [String: Int] = [:]
        var errors: [String: Int] = [:]
        for p in r.folder.stats.passes {
            for s in p.stages {
                drops.merge(s.drops, uniquingKeysWith: +)
                errors.merge(s.errors, uniquingKeysWith: +)
            }
        }
        return (drops, errors)
    }

    mutating func drops() {
        let counts = runs.map { dropCounts($0) }
        var reasons = Set<String>()
        for c in counts { reasons.formUnion(c.drops.keys) }
        for r in runs { reasons.formUnion(r.drops.examples.keys) }
        let ordered = reasons.sorted { a, b in
            let x = counts.reduce(0) { $0 + ($1.drops[a] ?? 0) }
            let y = counts.reduce(0) { $0 + ($1.drops[b] ?? 0) }
            return x != y ? x > y : a < b
        }
        var html = ""
        if ordered.isEmpty {
            html += "<p class=\"muted\">no document was dropped.</p>"
        } else {
            html += Chart.bars(
                title: "documents dropped per reason", labels: ordered,
                series: zip(runs, counts).map { r, c in
                    Series(name: compare ? r.label : "dropped", values: ordered.map { Double(c.drops[$0] ?? 0) })
                })
            html += "<table><tr><th>reason</th>"
            for r in runs {
                let tag = compare ? " " + e(String(r.label.prefix(1))) : ""
                html += "<th>dropped\(tag)</th><th>kept for audit\(tag)</th>"
            }
            html += "</tr>"
            for reason in ordered {
                html += "<tr><td><a href=\"#r-\(anchor(reason))\">\(e(reason))</a></td>"
                for (r, c) in zip(runs, counts) {
                    html +=
                        "<td>\(n(c.drops[reason] ?? 0))</td><td>\(r.drops.readPerReason[reason].map(n) ?? "")\(r.drops.truncated && r.drops.readPerReason[reason] != nil ? "+" : "")</td>"
                }
                html += "</tr>"
            }
            html += "</table>"
            for reason in ordered {
                html += "<h3 id=\"r-\(anchor(reason))\">\(e(reason))</h3>"
                html += columns(
                    runs.map { r in
                        var cell = compare ? "<h4>\(e(r.label))</h4>" : ""
                        let examples = r.drops.examples[reason] ?? []
                        if examples.isEmpty {
                            cell += "<p class=\"muted\">no kept examples of this reason.</p>"
                        } else {
                            let links = (r.drops.files[reason] ?? []).prefix(8).map { f in
                                "<a href=\"\(link(r.folder.root + "/" + f))\">\(e(f))</a>"
                            }
                            cell +=
                                "<p class=\"meta\">full sample: \(links.joined(separator: ", "))\((r.drops.files[reason]?.count ?? 0) > 8 ? " …" : "")</p>"
                            for d in examples { cell += documentCard(d) }
                        }
                        return cell
                    })
            }
        }
        let errorKinds = Set(counts.flatMap { $0.errors.keys }).sorted()
        if !errorKinds.isEmpty {
            html += "<h3>Bad input (counted, skipped)</h3><table><tr><th>kind</th>"
            for r in runs { html += "<th>\(compare ? e(r.label) : "records")</th>" }
            html += "</tr>"
            for k in errorKinds {
                html += "<tr><td>\(e(k))</td>" + counts.map { "<td>\(n($0.errors[k] ?? 0))</td>" }.joined() + "</tr>"
            }
            html += "</table>"
        }
        section("drops", "Drops per reason, with examples", html)
    }

    /// An id-safe form of a reason.
    func anchor(_ s: String) -> String {
        String(s.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? Character($0) : "-" })
    }

    /// A link from the report folder to `path`, relative, percent-encoded.
    func link(_ path: String) -> String {
        func components(_ p: String) -> [String] {
            let absolute = p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
            var out: [String] = []
            for c in absolute.split(separator: "/") where c != "." {
                if c == ".." { if !out.isEmpty { out.removeLast() } } else { out.append(String(c)) }
            }
            return out
        }
        let from = components(reportDirectory)
        let to = components(path)
        var common = 0
        while common < from.count && common < to.count && from[common] == to[common] { common += 1 }
        let parts = Array(repeating: "..", count: from.count - common) + to[common...]
        let relative = parts.joined(separator: "/")
        return e(relative.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? relative)
    }

    /// The strings a drop explanation asks to highlight (`match`).
    func matches(_ d: Document) -> [String] {
        guard case .object(let o)? = d.metadata["dropped_fired"], let m = o["match"] else { return [] }
        switch m {
        case .string(let s): return [s]
        case .array(let a): return a.compactMap(\.stringValue).filter { !$0.isEmpty }
        default: return []
        }
    }

    /// `text` escaped, with the first occurrences of `matches` (case-insensitive) marked, cut to
    /// about `limit` characters around the first one.
    func highlighted(_ text: String, _ matches: [String], limit: Int = 2500) -> String {
        var ranges: [Range<String.Index>] = []
        for m in matches {
            var from = text.startIndex
            while ranges.count < 200,
                let r = text.range(of: m, options: [.caseInsensitive], range: from..<text.endIndex)
            {
                ranges.append(r)
                from = r.upperBound
            }
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var start = text.startIndex
        if let first = ranges.first, text.distance(from: text.startIndex, to: first.lowerBound) > limit - 300 {
            start = text.index(first.lowerBound, offsetBy: -200, limitedBy: text.startIndex) ?? text.startIndex
        }
        let end = text.index(start, offsetBy: limit, limitedBy: text.endIndex) ?? text.endIndex
        var out = start > text.startIndex ? "… " : ""
        var at = start
        for r in ranges where r.lowerBound >= at && r.upperBound <= end {
            out += e(String(text[at..<r.lowerBound])) + "<mark>" + e(String(text[r])) + "</mark>"
            at = r.upperBound
        }
        out += e(String(text[at..<end]))
        if end < text.endIndex { out += " …" }
        return out
    }

    func documentCard(_ d: Document) -> String {
        var meta = "<b>\(e(d.id))</b> · \(e(d.source)) · \(n(d.text.utf8.count)) bytes"
        if let url = d.metadata["url"]?.stringValue { meta += " · \(e(url))" }
        var fired = ""
        if case .object(let o)? = d.metadata["dropped_fired"] {
            for (k, v) in o where k != "match" {
                fired += "<span class=\"chip\">\(e(k)) \(e(JSONSerializer.string(v)))</span>"
            }
            for m in matches(d).prefix(10) {
                fired += "<span class=\"chip\"><mark>\(e(String(m.prefix(120))))</mark></span>"
            }
        }
        return "<div class=\"doc\"><div class=\"meta\">\(meta)</div>"
            + (fired.isEmpty ? "" : "<div class=\"meta\">what fired: \(fired)</div>")
            + "<pre>\(highlighted(d.text, matches(d)))</pre></div>"
    }

    // MARK: - Edits

    mutating func edits() {
        let stages = Set(runs.flatMap { $0.drops.edits.keys }).sorted()
        guard !stages.isEmpty else { return }
        var html =
            "<p class=\"meta\">Documents a stage changed but kept, before and after (kept with <code>dropped: {edits: true}</code>); removed lines are struck through.</p>"
        for stage in stages {
            html += "<h3>\(e(stage))</h3>"
            html += columns(
                runs.map { r in
                    var cell = compare ? "<h4>\(e(r.label))</h4>" : ""
                    cell += "<p class=\"meta\">\(n(r.drops.editsRead[stage] ?? 0)) pairs read</p>"
                    for d in r.drops.edits[stage] ?? [] {
                        let before = d.metadata["text_before"]?.stringValue ?? ""
                        let kept = Set(d.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
                        var shown = ""
                        var size = 0
                        for line in before.split(separator: "\n", omittingEmptySubsequences: false) where size < 4000 {
                            size += line.utf8.count
                            shown +=
                                kept.contains(String(line)) ? e(String(line)) + "\n" : "<del>\(e(String(line)))</del>\n"
                        }
                        cell +=
                            "<div class=\"doc\"><div class=\"meta\"><b>\(e(d.id))</b> · before \(n(before.utf8.count)) bytes, after \(n(d.text.utf8.count))</div><pre>\(shown)</pre></div>"
                    }
                    return cell
                })
        }
        section("edits", "Edits (before / after)", html)
    }

    // MARK: - Distributions

    mutating func distributions() {
        var html =
            "<p class=\"meta\">Kept: the head of each output file; dropped: the kept drops. Each series is in fractions of its own documents.</p>"
        var lengthSeries: [(String, [Int])] = []
        var byteSeries: [(String, [Int])] = []
        for r in runs {
            let tag = compare ? " " + String(r.label.prefix(1)) : ""
            if r.kept.count > 0 {
                lengthSeries.append(("kept" + tag, r.kept.words))
                byteSeries.append(("kept" + tag, r.kept.bytes))
            }
            if r.drops.facts.count > 0 {
                lengthSeries.append(("dropped" + tag, r.drops.facts.words))
                byteSeries.append(("dropped" + tag, r.drops.facts.bytes))
            }
        }
        guard !lengthSeries.isEmpty else {
            section(
                "distributions", "Distributions",
                "<p class=\"muted\">no documents to measure (no outputs or kept drops).</p>")
            return
        }
        html += "<h3>Document length in words</h3>" + Chart.log2Histogram(title: "words", series: lengthSeries)
        html += "<h3>Document length in bytes</h3>" + Chart.log2Histogram(title: "bytes", series: byteSeries)
        // Per source.
        var sources = Set<String>()
        for r in runs { sources.formUnion(r.kept.sources.keys); sources.formUnion(r.drops.facts.sources.keys) }
        html += "<h3>Per source</h3><table><tr><th>source</th>"
        for r in runs {
            let tag = compare ? " " + e(String(r.label.prefix(1))) : ""
            html += "<th>kept\(tag)</th><th>median words\(tag)</th><th>dropped\(tag)</th><th>median words\(tag)</th>"
        }
        html += "</tr>"
        for s in sources.sorted() {
            html += "<tr><td>\(e(s))</td>"
            for r in runs {
                html += "<td>\(n(r.kept.sources[s] ?? 0))</td><td>\(median(r.kept, source: s))</td>"
                html += "<td>\(n(r.drops.facts.sources[s] ?? 0))</td><td>\(median(r.drops.facts, source: s))</td>"
            }
            html += "</tr>"
        }
        html += "</table>"
        // Language or script.
        var languages = Set<String>()
        for r in runs { languages.formUnion(r.kept.languages.keys); languages.formUnion(r.drops.facts.languages.keys) }
        if !languages.isEmpty {
            let labels = languages.sorted()
            var series: [Series] = []
            for r in runs {
                let tag = compare ? " " + String(r.label.prefix(1)) : ""
                series.append(Series(name: "kept" + tag, values: labels.map { Double(r.kept.languages[$0] ?? 0) }))
                series.append(
                    Series(name: "dropped" + tag, values: labels.map { Double(r.drops.facts.languages[$0] ?? 0) }))
            }
            html +=
                "<h3>Language or script</h3>" + Chart.bars(title: "language or script", labels: labels, series: series)
        }
        // Every numeric metadata key (scores of scoring steps).
        var keys = Set<String>()
        for r in runs { keys.formUnion(r.kept.scores.keys); keys.formUnion(r.drops.facts.scores.keys) }
        for key in keys.sorted() {
            var series: [(String, [Double])] = []
            for r in runs {
                let tag = compare ? " " + String(r.label.prefix(1)) : ""
                if let v = r.kept.scores[key], !v.isEmpty { series.append(("kept" + tag, v)) }
                if let v = r.drops.facts.scores[key], !v.isEmpty { series.append(("dropped" + tag, v)) }
            }
            if !series.isEmpty { html += "<h3>\(e(key))</h3>" + Chart.histogram(title: key, series: series) }
        }
        if runs.contains(where: { $0.keptTruncated || $0.drops.truncated }) {
            html +=
                "<p class=\"meta\">Measured on a bounded sample (at most 50,000 documents per set, spread over the files).</p>"
        }
        section("distributions", "Distributions: kept and dropped", html)
    }

    func median(_ f: DocumentFacts, source: String) -> String {
        guard let w = f.wordsBySource[source], !w.isEmpty else { return "" }
        return n(w.sorted()[w.count / 2])
    }

    // MARK: - Dedup

    mutating func dedup() {
        guard runs.contains(where: { !$0.folder.dedup.isEmpty }) else { return }
        let html = columns(
            runs.map { r in
                var cell = compare ? "<h4>\(e(r.label))</h4>" : ""
                for (directory, s) in r.folder.dedup {
                    cell +=
                        "<h3>\(e(directory))</h3><p class=\"meta\">\(n(s.documents)) documents, \(n(s.clusters)) clusters, \(n(s.duplicates)) duplicates dropped; \(s.bands) bands × \(s.rows) rows, \(s.ngram)-grams\(s.threshold.map { ", verified at Jaccard ≥ \($0)" } ?? "")</p>"
                    let sizes = s.sizeHistogram.compactMap { k, v in Int(k).map { ($0, v) } }.sorted { $0.0 < $1.0 }
                    if !sizes.isEmpty {
                        cell += Chart.bars(
                            title: "clusters per size", labels: sizes.map { "size \($0.0)" },
                            series: [Series(name: "clusters", values: sizes.map { Double($0.1) })])
                    }
                    // P(candidate) = 1 − (1 − s^r)^b.
                    let curve = (0...50).map { i -> (Double, Double) in
                        let x = Double(i) / 50
                        return (x, 1 - pow(1 - pow(x, Double(s.rows)), Double(s.bands)))
                    }
                    cell += "<h4>S-curve: probability that a pair becomes a candidate, by Jaccard similarity</h4>"
                    cell += Chart.lines(
                        title: "S-curve", xLabel: "Jaccard similarity", series: [("\(s.bands)×\(s.rows)", curve)])
                    for x in s.examples.prefix(5) {
                        cell +=
                            "<div class=\"cols\" style=\"--n:2\"><div class=\"doc\"><div class=\"meta\">kept <b>\(e(x.kept))</b></div><pre>\(e(x.keptText))</pre></div>"
                            + "<div class=\"doc\"><div class=\"meta\">duplicate <b>\(e(x.duplicate))</b>, Jaccard \(x.jaccard)</div><pre>\(e(x.duplicateText))</pre></div></div>"
                    }
                }
                return cell.isEmpty || cell == "<h4>\(e(r.label))</h4>"
                    ? cell + "<p class=\"muted\">no MinHash dedup in this run.</p>" : cell
            })
        section("dedup", "Dedup", html)
    }

    // MARK: - Tokenizer, shards, training

    mutating func modelFiles() {
        guard runs.contains(where: { r in r.folders.contains { $0.hasModelFiles } }) else { return }
        let html = columns(
            runs.map { r in
                var cell = compare ? "<h4>\(e(r.label))</h4>" : ""
                for f in r.folders where f.hasModelFiles {
                    if f.root != r.folder.root || r.companions.count > 0 {
                        cell += "<h3><a href=\"\(link(f.root))\">\(e(f.root))</a></h3>"
                    }
                    cell += tokenizerFacts(f) + shardFacts(f) + trainingFacts(f) + evaluationFacts(f)
                }
                return cell
            })
        section("model", "Tokenizer, shards, training and evaluation", html)
    }

    /// The vocabulary and bytes per token per source.
    func tokenizerFacts(_ f: RunFolder) -> String {
        var cell = ""
        if let v = f.tokenizerVocabulary {
            let special =
                f.specialTokens.isEmpty
                ? "" : "; special tokens " + f.specialTokens.map { "<code>\(e($0))</code>" }.joined(separator: " ")
            cell += "<p>tokenizer.json: \(e(f.tokenizerModel ?? "")) vocabulary of <b>\(n(v)) tokens</b>\(special)</p>"
        }
        let perSource = f.tokensPerSource.filter { $0.tokens > 0 }
        guard !perSource.isEmpty else { return cell }
        cell +=
            "<h4>Bytes of text per token, per source</h4><table><tr><th>source</th><th>MB of text</th><th>tokens</th><th>bytes per token</th></tr>"
        var labels: [String] = []
        var values: [Double] = []
        for s in perSource {
            let ratio = Double(s.bytes) / Double(s.tokens)
            cell +=
                "<tr><td>\(e(s.source))</td><td>\(mb(s.bytes))</td><td>\(n(s.tokens))</td><td>\(String(format: "%.2f", ratio))</td></tr>"
            labels.append(s.source)
            values.append((ratio * 100).rounded() / 100)
        }
        if perSource.count > 1, let all = f.bytesPerToken {
            let tokens = perSource.reduce(0) { $0 + $1.tokens }
            let bytes = perSource.reduce(0) { $0 + $1.bytes }
            cell +=
                "<tr><td><b>all</b></td><td>\(mb(bytes))</td><td>\(n(tokens))</td><td>\(String(format: "%.2f", all))</td></tr>"
            labels.append("all")
            values.append((all * 100).rounded() / 100)
        }
        cell += "</table>"
        return cell
            + Chart.bars(
                title: "bytes per token per source", labels: labels,
                series: [Series(name: "bytes per token", values: values)])
    }

    /// Shard files and tokens per split.
    func shardFacts(_ f: RunFolder) -> String {
        let counters = f.tokenizeCounters
        var splits = f.shards.map { $0.split }
        for k in counters.keys.sorted() where k.hasPrefix("tokens_") {
            let split = String(k.dropFirst("tokens_".count))
            if !splits.contains(split) { splits.append(split) }
        }
        guard !splits.isEmpty else { return "" }
        var cell =
            "<h4>Token shards per split</h4><table><tr><th>split</th><th>documents</th><th>tokens</th><th>shard files</th><th>MB</th></tr>"
        var tokens: [Double] = []
        for split in splits {
            let shard = f.shards.first { $0.split == split }
            let t = counters["tokens_" + split]
            tokens.append(Double(t ?? 0))
            cell +=
                "<tr><td>\(e(split))</td><td>\(counters["documents_" + split].map(n) ?? "")</td><td>\(t.map(n) ?? "")</td>"
                + "<td>\(shard.map { n($0.files) } ?? "")</td><td>\(shard.map { mb($0.bytes) } ?? "")</td></tr>"
        }
        cell += "</table>"
        if tokens.contains(where: { $0 > 0 }) {
            cell += Chart.bars(
                title: "tokens per split", labels: splits, series: [Series(name: "tokens", values: tokens)])
        }
        return cell
    }

    /// Loss, validation loss, tokens per second and learning rate from `metrics.jsonl`.
    func trainingFacts(_ f: RunFolder) -> String {
        func curve(_ key: String) -> [(Double, Double)] {
            f.metrics.compactMap { m in m["step"].flatMap { s in m[key].map { (s, $0) } } }
        }
        let train = curve("loss")
        let validation = curve("val_loss")
        let speed = curve("tokens_per_second")
        let rate = curve("lr")
        guard !train.isEmpty || !validation.isEmpty else { return "" }
        var cell = "<h4>Training</h4><p class=\"meta\">\(n(Int(train.last?.0 ?? validation.last?.0 ?? 0))) steps"
        if let last = train.last { cell += String(format: " · last training loss %.4f", last.1) }
        if let last = validation.last { cell += String(format: " · last validation loss %.4f", last.1) }
        if !speed.isEmpty {
            let sorted = speed.map { $0.1 }.sorted()
            cell += " · median \(n(Int(sorted[sorted.count / 2]))) tokens/s"
        }
        cell += "</p><h4>Loss</h4>"
        var series: [(String, [(Double, Double)])] = []
        if !train.isEmpty { series.append(("training loss", train)) }
        if !validation.isEmpty { series.append(("validation loss", validation)) }
        cell += Chart.lines(title: "loss", xLabel: "step", series: series)
        if !speed.isEmpty {
            cell +=
                "<h4>Tokens per second</h4>"
                + Chart.lines(title: "tokens/s", xLabel: "step", series: [("tokens/s", speed)])
        }
        if !rate.isEmpty {
            cell +=
                "<h4>Learning rate</h4>"
                + Chart.lines(title: "learning rate", xLabel: "step", series: [("learning rate", rate)])
        }
        return cell
    }

    /// One table row per `eval*.json` file.
    func evaluationFacts(_ f: RunFolder) -> String {
        guard !f.evaluations.isEmpty else { return "" }
        var keys: [String] = []
        for ev in f.evaluations { for (k, _) in ev.fields where !keys.contains(k) { keys.append(k) } }
        var cell = "<h4>Evaluation</h4><table><tr><th>file</th>" + keys.map { "<th>\(e($0))</th>" }.joined() + "</tr>"
        for ev in f.evaluations {
            cell += "<tr><td>\(e(ev.name)).json</td>"
            for k in keys { cell += "<td>\(e(ev.fields.first { $0.key == k }?.value ?? ""))</td>" }
            cell += "</tr>"
        }
        return cell + "</table>"
    }

    // MARK: - Configuration

    mutating func configuration() {
        let html = columns(
            runs.map { r in
                var cell = compare ? "<h4>\(e(r.label))</h4>" : ""
                guard let record = r.folder.record else {
                    return cell
                        + "<p class=\"muted\">this run has no record of its configuration (_stats/run.json; written by sluice runs from this version on).</p>"
                }
                cell +=
                    "<p class=\"meta\">Sluice \(e(record.version)) · fingerprint \(e(record.fingerprint)) · \(n(record.inputs)) inputs · \(record.tasks) tasks · readers \(e(record.readers.joined(separator: ", ")))</p>"
                cell += "<table><tr><th>stage</th><th>options</th><th>dropped</th></tr>"
                for s in record.stages {
                    cell +=
                        "<tr><td>\(e(s.name))</td><td style=\"text-align:left;white-space:normal\">\(e(s.options.joined(separator: "; ")))</td><td>\(e(s.dropped ?? ""))</td></tr>"
                }
                cell += "</table>"
                if let text = record.pipelineText {
                    cell += "<h4>\(e(record.pipelineFile ?? "pipeline"))</h4><pre class=\"config\">\(e(text))</pre>"
                }
                return cell
            })
        section("config", "Configuration", html)
    }

    // MARK: - Page

    func finish() -> String {
        let title = compare ? "Sluice runs compared" : "Sluice run report"
        let version = runs.first?.folder.record?.version ?? SluiceVersion.string
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="icon" href="data:,">
            <title>\(e(title))</title><style>\(Self.style)</style></head>
            <body><header><h1>\(e(title))</h1><p>\(runs.map { e($0.label) }.joined(separator: " &nbsp;vs&nbsp; ")) · made by Sluice \(e(version)) (report \(e(SluiceVersion.string)))</p></header>

            """
        page +=
            "<nav>"
            + toc.map {
                "<a href=\"#\($0.id)\">\(e($0.title.split(separator: ":").first.map(String.init) ?? $0.title))</a>"
            }.joined() + "</nav>\n"
        page += "<main>\n" + body + "</main>\n"
        // Marks the page ready and counts charts without data (for tests and for readers).
        page += """
            <script>
            (function () {
              var charts = document.querySelectorAll("svg.chart"), empty = 0;
              for (var i = 0; i < charts.length; i++) { if (!(+charts[i].getAttribute("data-points") > 0)) empty++; }
              document.body.setAttribute("data-charts", String(charts.length));
              document.body.setAttribute("data-empty-charts", String(empty));
              document.body.setAttribute("data-ready", "1");
            })();
            </script>
            </body></html>

            """
        return page
    }
}
