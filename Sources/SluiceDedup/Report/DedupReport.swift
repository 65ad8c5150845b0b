// `sluice dedup report`: finds the summaries the dedup passes left under a run's output folder
// (`_work/<stage>/…`) and prints clusters, the size histogram and example pairs. It reads only
// the summaries, never the documents.
import Foundation
import SluiceCore

/// What the dedup stages of one run found.
public struct DedupReport: Sendable {
    /// Per `minhash_dedup` stage: its work folder and summary.
    public var minhash: [(directory: String, summary: MinHashSummary)] = []
    /// Per `exact_dedup` stage: its work folder and the partitions' summaries.
    public var exact: [(directory: String, partitions: [ExactSummary])] = []

    /// Loads every summary under `outputDirectory`.
    /// - Throws: `SluiceError(.io)` when the folder is missing or holds no dedup summary,
    ///   `.corruptInput` when a summary does not parse.
    public static func load(outputDirectory: String) throws -> DedupReport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: outputDirectory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw SluiceError(.io, "no such output folder", file: outputDirectory)
        }
        var report = DedupReport()
        var exactByDirectory: [String: [ExactSummary]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: outputDirectory)
        var paths: [String] = []
        while let p = enumerator?.nextObject() as? String {
            if p.hasSuffix("minhash-summary.json") || p.hasSuffix(".exact-summary.json") { paths.append(p) }
        }
        let decoder = JSONDecoder()
        for p in paths.sorted() {
            let full = outputDirectory + "/" + p
            // <work>/clusters/minhash-summary.json and <work>/duplicates/part-N.exact-summary.json
            let work = ((full as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: full))
                if p.hasSuffix("minhash-summary.json") {
                    report.minhash.append((work, try decoder.decode(MinHashSummary.self, from: data)))
                } else {
                    exactByDirectory[work, default: []].append(try decoder.decode(ExactSummary.self, from: data))
                }
            } catch {
                throw SluiceError(.corruptInput, "unreadable dedup summary: \(error)", file: full)
            }
        }
        report.exact = exactByDirectory.sorted { $0.key < $1.key }.map {
            ($0.key, $0.value.sorted { $0.partition < $1.partition })
        }
        guard !report.minhash.isEmpty || !report.exact.isEmpty else {
            throw SluiceError(
                .io, "no dedup summaries here: run a pipeline with exact_dedup or minhash_dedup into this folder first",
                file: outputDirectory)
        }
        return report
    }

    /// The report as text: one section per stage.
    public func render(examples: Int = 5) -> String {
        var out = ""
        for (dir, parts) in exact {
            let documents = parts.reduce(0) { $0 + $1.documents }
            let duplicates = parts.reduce(0) { $0 + $1.duplicates }
            var copies: [Int: Int] = [:]
            for p in parts { for (k, v) in p.copiesHistogram { copies[Int(k) ?? 0, default: 0] += v } }
            out += "exact_dedup (\(dir))\n"
            out += "  documents            \(documents)\n"
            out += "  distinct texts       \(documents - duplicates)\n"
            out += "  duplicates dropped   \(duplicates) (\(percent(duplicates, documents)))\n"
            out += "  texts by copies      " + histogramLine(copies) + "\n\n"
        }
        for (dir, s) in minhash {
            out += "minhash_dedup (\(dir))\n"
            let unit = s.shingles == "words" ? "word" : "character"
            out += "  settings             preset \(s.preset), \(s.ngram)-\(unit) shingles, "
            out += "\(s.bands) bands × \(s.rows) rows, "
            out += "seed \(s.seed)\n"
            out += "  verify               " + verifyLine(s) + "\n"
            out += "  documents            \(s.documents) (\(s.documents - s.documentsWithShingles) without shingles)\n"
            out += "  candidate pairs      \(s.candidatePairs)\n"
            out += "  clusters             \(s.clusters) holding \(s.documentsInClusters) documents\n"
            out += "  duplicates dropped   \(s.duplicates) (\(percent(s.duplicates, s.documents)))\n"
            var hist: [Int: Int] = [:]
            for (k, v) in s.sizeHistogram { hist[Int(k) ?? 0] = v }
            out += "  cluster sizes        " + histogramLine(hist) + "\n"
            if !s.largestClusters.isEmpty {
                // By size, then by kept key (file, ordinal) numerically.
                func key(_ k: String) -> (Int, Int) {
                    let p = k.split(separator: ":").compactMap { Int($0) }
                    return p.count == 2 ? (p[0], p[1]) : (Int.max, Int.max)
                }
                let largest = s.largestClusters.sorted {
                    $0.value > $1.value || ($0.value == $1.value && key($0.key) < key($1.key))
                }
                out +=
                    "  largest clusters     "
                    + largest.map { "\($0.value) docs (kept \($0.key))" }.joined(separator: ", ") + "\n"
            }
            for e in s.examples.prefix(examples) {
                let j = String(format: "%.3f", e.jaccard)
                out += "  example pair         kept \(e.kept), dropped \(e.duplicate), Jaccard \(j)\n"
                out += "      kept:    \(e.keptText)\n"
                out += "      dropped: \(e.duplicateText)\n"
            }
            out += "\n"
        }
        return out
    }

    /// The verification mode and what it required.
    func verifyLine(_ s: MinHashSummary) -> String {
        let t = s.threshold.map { String(format: "%.2f", $0) } ?? "?"
        switch s.verify {
        case .none: return "none (every band collision is a candidate pair)"
        case .signature:
            let need = s.signatureMinimumMatches.map { "≥ \($0) of \(s.bands * s.rows)" } ?? "enough"
            return "signature (\(need) MinHash values equal; threshold \(t))"
        case .exact: return "exact (shingle-set Jaccard ≥ \(t))"
        }
    }

    /// `2: 10, 3: 4, 5-9: 1` with sizes bucketed above 4.
    func histogramLine(_ h: [Int: Int]) -> String {
        guard !h.isEmpty else { return "none" }
        var buckets: [(String, Int, Int)] = []  // label, lower bound, count
        func add(_ label: String, _ lo: Int, _ n: Int) {
            if let i = buckets.firstIndex(where: { $0.0 == label }) {
                buckets[i].2 += n
            } else {
                buckets.append((label, lo, n))
            }
        }
        for (size, n) in h {
            switch size {
            case ...4: add(String(size), size, n)
            case 5...9: add("5-9", 5, n)
            case 10...99: add("10-99", 10, n)
            case 100...999: add("100-999", 100, n)
            default: add("1000+", 1000, n)
            }
        }
        return buckets.sorted { $0.1 < $1.1 }.map { "\($0.0): \($0.2)" }.joined(separator: ", ")
    }

    func percent(_ a: Int, _ b: Int) -> String {
        b == 0 ? "0 %" : String(format: "%.2f %%", 100 * Double(a) / Double(b))
    }
}
