// `sluice decontam report`: finds the summaries `decontaminate` left under a run's output folder
// and prints, per evaluation set, the matched n-grams ranked by documents hit (likely boilerplate
// flagged) and the matched documents. It reads only the summaries, never the documents.
import Foundation
import SluiceCore

/// What the decontaminate stages of one run found.
public struct DecontamReport: Sendable {
    /// Per `decontaminate` stage: its work folder and summary.
    public var stages: [(directory: String, summary: DecontamSummary)] = []

    /// Loads every decontamination summary under `outputDirectory`.
    /// - Throws: `SluiceError(.io)` when the folder is missing or holds no summary, `.corruptInput`
    ///   when one does not parse.
    public static func load(outputDirectory: String) throws -> DecontamReport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: outputDirectory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw SluiceError(.io, "no such output folder", file: outputDirectory)
        }
        var report = DecontamReport()
        let enumerator = FileManager.default.enumerator(atPath: outputDirectory)
        var paths: [String] = []
        while let p = enumerator?.nextObject() as? String {
            if p.hasSuffix("decontam-summary.json") { paths.append(p) }
        }
        for p in paths.sorted() {
            let full = outputDirectory + "/" + p
            let work = ((full as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: full))
                report.stages.append((work, try JSONDecoder().decode(DecontamSummary.self, from: data)))
            } catch {
                throw SluiceError(.corruptInput, "unreadable decontamination summary: \(error)", file: full)
            }
        }
        guard !report.stages.isEmpty else {
            throw SluiceError(
                .io, "no decontamination summaries here: run a pipeline with decontaminate into this folder first",
                file: outputDirectory)
        }
        return report
    }

    /// The report as text: one section per stage and evaluation set.
    public func render() -> String {
        var out = ""
        for (dir, s) in stages {
            out += "decontaminate (\(dir)): \(s.ngram)-grams, action \(s.action)"
            out += s.ignoreBoilerplate ? ", boilerplate-only documents kept\n" : "\n"
            out += "  documents scanned \(s.documents), matched \(s.matchedDocuments)"
            out += " (\(s.matchedDocumentsWithoutBoilerplate) with an n-gram not flagged as boilerplate)\n"
            out += "  boilerplate: an n-gram found in \(s.boilerplateDocuments) or more documents\n"
            for e in s.evalSets {
                out += "\n  eval set \(e.name) (\(e.path)): \(e.examples) examples"
                out += " (\(e.shortExamples) shorter than \(s.ngram) words), \(e.ngrams) n-grams\n"
                out += "    matched n-grams \(e.matchedNgrams) (\(e.boilerplateNgrams) likely boilerplate);"
                out += " documents \(e.matchedDocuments), without boilerplate \(e.matchedDocumentsWithoutBoilerplate)\n"
                if !e.topNgrams.isEmpty {
                    out += "    n-grams by documents hit (* = likely boilerplate):\n"
                    for g in e.topNgrams {
                        out += "      " + pad(String(g.documents), 7) + (g.boilerplate ? " * " : "   ") + g.text + "\n"
                    }
                    if e.matchedNgrams > e.topNgrams.count {
                        out += "      … \(e.matchedNgrams - e.topNgrams.count) more (report_ngrams)\n"
                    }
                }
                if !e.documents.isEmpty {
                    out += "    documents by n-grams matched (* = only boilerplate n-grams):\n"
                    for d in e.documents {
                        out += "      " + pad(String(d.ngrams), 7) + (d.boilerplateOnly ? " * " : "   ")
                        out += (d.id.isEmpty ? "(no id)" : d.id) + "  [\(d.key)]\n"
                    }
                    if e.matchedDocuments > e.documents.count {
                        out += "      … \(e.matchedDocuments - e.documents.count) more (report_documents)\n"
                    }
                }
            }
        }
        return out
    }

    private func pad(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }
}
