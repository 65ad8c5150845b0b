// Labelled examples from document files as `sluice run` writes them (one label for a whole file or
// folder: DCLM's `hq` text against `cc` crawl pages), a seeded per-label cap and a stratified,
// seeded held-out split: the data side of the quality-classifier recipe (docs/quality-signals.md).
// It reads whole inputs into memory, as training needs; it does not deduplicate across labels.
import Foundation
import SluiceCore

extension LabeledData {
    /// Every document of `path` as an example labelled `label`.
    ///
    /// `path` is a JSONL document file (`.jsonl`, `.gz`, `.zst`, `.bz2`; the `text` field, as the
    /// engine's `jsonl` reader reads it), a plain-text file (`.txt`, `.md`: one example per line, as
    /// in fastText's training files, or per paragraph between blank lines), or a folder whose
    /// top-level files are such (a `sluice run` output folder; its `_work` and stats folders are not read).
    /// - Parameters:
    ///   - minWords: examples with fewer whitespace-separated words are left out (0: none).
    ///   - textUnit: what one example of a plain-text file is; blank lines are never examples.
    /// - Throws: `SluiceError(.io)` for a missing path or a folder without document files,
    ///   `.corruptInput` when a line is not a document (the file and the reason).
    public static func documents(
        at path: String, label: String, minWords: Int = 0, textUnit: TextUnit = .line
    ) throws -> [LabeledExample] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw SluiceError(.io, "no such file or folder", file: path)
        }
        var files: [String] = []
        if isFolder.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files = names.sorted().filter { readerKind($0) != nil }.map { path + "/" + $0 }
            guard !files.isEmpty else {
                let known = (JSONLReader.fileExtensions + TextReader.fileExtensions).joined(separator: ", ")
                throw SluiceError(.io, "no document files (\(known)) in the folder", file: path)
            }
        } else {
            guard readerKind(path) != nil else {
                throw SluiceError(
                    .config, "not a document file: expected .jsonl(.gz/.zst/.bz2) or .txt/.md", file: path)
            }
            files = [path]
        }
        var out: [LabeledExample] = []
        for file in files {
            let jsonl = readerKind(file) == .jsonl
            let name = jsonl ? JSONLReader.name : TextReader.name
            let context = TaskContext(
                taskIndex: 0, taskCount: 1, outputDirectory: NSTemporaryDirectory(),
                temporaryDirectory: NSTemporaryDirectory(), stageNames: [name])
            var reader: any DocumentIterator
            if jsonl {
                reader = try JSONLReader().open(file, context: context)
            } else {
                reader = try TextReader(split: .paragraph).open(file, context: context)
            }
            while let d = try reader.next() {
                if !jsonl && textUnit == .line {
                    for line in d.text.split(separator: "\n") where wordCount(line, atLeast: max(minWords, 1)) {
                        out.append(LabeledExample(text: String(line), label: label))
                    }
                    continue
                }
                guard minWords == 0 || wordCount(d.text, atLeast: minWords) else { continue }
                out.append(LabeledExample(text: d.text, label: label))
            }
            let bad = context.stats.stages[0].errors.filter {
                $0.key != JSONLReader.invalidUTF8 && $0.key != TextReader.invalidUTF8
            }
            if let first = bad.min(by: { $0.key < $1.key }) {
                throw SluiceError(.corruptInput, "\(first.value) records are not documents (\(first.key))", file: file)
            }
        }
        return out
    }

    /// One example of a plain-text file.
    public enum TextUnit: String, Sendable, CaseIterable {
        case line, paragraph
    }

    enum ReaderKind { case jsonl, text }

    static func readerKind(_ path: String) -> ReaderKind? {
        let lower = path.lowercased()
        if JSONLReader.fileExtensions.contains(where: { lower.hasSuffix($0) }) { return .jsonl }
        if TextReader.fileExtensions.contains(where: { lower.hasSuffix($0) }) { return .text }
        return nil
    }

    /// Whether `text` has at least `n` words separated by ASCII whitespace (a byte scan that stops at `n`).
    public static func wordCount(_ text: some StringProtocol, atLeast n: Int) -> Bool {
        var words = 0
        var inWord = false
        for b in text.utf8 {
            let space = b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D
            if !space && !inWord {
                words += 1
                if words >= n { return true }
            }
            inWord = !space
        }
        return words >= n
    }

    /// Keeps at most `cap` examples of each label, chosen by a seeded shuffle; order is kept.
    public static func capped(_ examples: [LabeledExample], perLabel cap: Int, seed: UInt64) -> [LabeledExample] {
        var keep = [Bool](repeating: false, count: examples.count)
        var rng = SplitMix64(seed: seed)
        for (_, indices) in groups(examples) {
            var shuffled = indices
            shuffled.shuffle(using: &rng)
            for i in shuffled.prefix(cap) { keep[i] = true }
        }
        return examples.indices.filter { keep[$0] }.map { examples[$0] }
    }

    /// A stratified split: of each label's examples, `round(fraction × count)` chosen by a shuffle
    /// seeded with `seed` are held out. Both parts keep the input order, so the same inputs and
    /// seed give the same split on every run.
    /// - Precondition: `0 <= fraction < 1`.
    public static func split(
        _ examples: [LabeledExample], holdout fraction: Double, seed: UInt64
    ) -> (train: [LabeledExample], heldOut: [LabeledExample]) {
        precondition(fraction >= 0 && fraction < 1, "holdout fraction must be in [0, 1)")
        var held = [Bool](repeating: false, count: examples.count)
        var rng = SplitMix64(seed: seed ^ 0x5EED_0F_5B11)
        for (_, indices) in groups(examples) {
            var shuffled = indices
            shuffled.shuffle(using: &rng)
            let k = Int((fraction * Double(indices.count)).rounded())
            for i in shuffled.prefix(k) { held[i] = true }
        }
        var train: [LabeledExample] = []
        var heldOut: [LabeledExample] = []
        for (i, e) in examples.enumerated() {
            if held[i] { heldOut.append(e) } else { train.append(e) }
        }
        return (train, heldOut)
    }

    /// Indices of each label's examples, labels sorted (a fixed order for the seeded shuffles).
    static func groups(_ examples: [LabeledExample]) -> [(String, [Int])] {
        var byLabel: [String: [Int]] = [:]
        for (i, e) in examples.enumerated() { byLabel[e.label, default: []].append(i) }
        return byLabel.keys.sorted().map { ($0, byLabel[$0]!) }
    }
}

extension ClassifierEvaluation {
    /// The evaluation as a JSON value (the object `json` prints).
    public var jsonValue: JSONValue {
        func num(_ d: Double) -> JSONValue { .double((d * 1e6).rounded() / 1e6) }
        var perLabel = JSONObject()
        for (name, v) in labels {
            perLabel[name] = .object([
                "precision": num(v.precision), "recall": num(v.recall), "f1": num(v.f1),
                "support": .int(Int64(v.support)),
            ])
        }
        return .object(["accuracy": num(accuracy), "macro_f1": num(macroF1), "labels": .object(perLabel)])
    }
}
