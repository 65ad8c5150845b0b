// fastText models read natively: predictions equal the fastText library's (same top label, every
// probability within 1e-4) for models the library trains in the test (each loss, word and
// character n-grams, quantized and pruned) and for lid.176.ftz; bad model files are one-line
// errors; the `language` step (FineWeb's LanguageFilter) and `classify` with a fastText model.
import Foundation
@testable import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

/// The held-out texts every model is compared on: the third of each labelled fixture the models
/// did not see, multilingual lines, and inputs that stress the tokenizer.
struct FastTextCorpus: Sendable {
    var dir: String
    var models: [String: String]
    var heldout: [String]
    var heldoutPath: String
}

let fastTextScript = TestSupport.packageRoot + "/Tests/python/fasttext_interop.py"

/// Texts that stress fastText's tokenizer: empty, only separators, a literal `</s>`, label-looking
/// tokens, every separator byte, a NUL, scripts the models never saw, long words and long texts.
let awkwardTexts: [String] = [
    "", "   ", "\n\n", "hello", "FREE entry </s> everything after the end-of-line token is ignored",
    "__label__spam free prize now", "__label__ham", "__label__0 __label__nope you",
    "tab\tsep\u{0B}vt\u{0C}ff\rcr words",
    "nul\u{0}separated words", "吾輩は猫である。名前はまだ無い。", "😀 🎉 ✨ 🙃", "Ünïcödé façade naïve Ærøskøbing",
    "Привет, как дела? Всё хорошо.", "مرحبا بالعالم", "ㅋㅋㅋ 안녕하세요", String(repeating: "x", count: 3000),
    String(repeating: "free prize call now ", count: 200), "line one\nline two\nline three",
]

func labelled(_ path: String, text: String, label: String) throws -> (
    train: [LabeledExample], heldout: [LabeledExample]
) {
    let rows = try LabeledData.read(path: path, textField: text, labelField: label)
    var train: [LabeledExample] = []
    var heldout: [LabeledExample] = []
    for (i, r) in rows.enumerated() { if i % 3 == 0 { heldout.append(r) } else { train.append(r) } }
    return (train, heldout)
}

func writeJSONLStrings(_ texts: [String], to path: String) throws {
    var out = ""
    for t in texts { out += JSONSerializer.quoted(t) + "\n" }
    try out.write(toFile: path, atomically: true, encoding: .utf8)
}

/// Trains the models of Tests/python/fasttext_interop.py once for the whole run.
let trainedFastTextModels: Result<FastTextCorpus, any Error> = Result {
    let dir = try TestSupport.temporaryDirectory("fasttext")
    let spam = try labelled(TestSupport.fixture("clean/sms-spam-300.tsv"), text: "SMS", label: "Label")
    let davidson = try labelled(TestSupport.fixture("clean/davidson-400.csv"), text: "tweet", label: "class")
    for (name, data) in [("spam", spam.train), ("davidson", davidson.train)] {
        let lines = data.map { "__label__\($0.label) " + $0.text.replacingOccurrences(of: "\n", with: " ") }
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: dir + "/\(name)-train.txt", atomically: true, encoding: .utf8)
    }
    let r = try TestSupport.run(try TestSupport.python(), [fastTextScript, "train", dir])
    guard r.status == 0, let made = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String]
    else {
        throw TestSupportError("fasttext_interop.py train failed: \(r.stderr)")
    }
    let udhr = try String(contentsOfFile: TestSupport.fixture("tokenize/udhr-multilingual.txt"), encoding: .utf8)
        .split(separator: "\n").prefix(120).map(String.init)
    let heldout = spam.heldout.map(\.text) + davidson.heldout.map(\.text) + udhr + awkwardTexts
    try writeJSONLStrings(heldout, to: dir + "/heldout.jsonl")
    return FastTextCorpus(dir: dir, models: made, heldout: heldout, heldoutPath: dir + "/heldout.jsonl")
}

/// Compares our predictions on `texts` with the fastText library's; returns the largest difference.
@discardableResult
func expectSamePredictions(
    model path: String, texts: [String], textsPath: String, sourceLocation: SourceLocation = #_sourceLocation
)
    throws -> Float
{
    let out = textsPath + "." + URL(fileURLWithPath: path).lastPathComponent + ".predictions"
    let r = try TestSupport.run(try TestSupport.python(), [fastTextScript, "predict", path, textsPath, out])
    try #require(r.status == 0, "\(r.stderr)", sourceLocation: sourceLocation)
    let reference = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
    try #require(reference.count == texts.count, sourceLocation: sourceLocation)
    let model = try #require(try ClassifierModels.load(path: path) as? FastTextModel, sourceLocation: sourceLocation)
    let p = model.makePredictor()
    var worst: Float = 0
    var topMismatches: [String] = []
    for (i, text) in texts.enumerated() {
        let o = try #require(try JSONSerialization.jsonObject(with: Data(reference[i].utf8)) as? [String: Any])
        let labels = o["labels"] as! [String]
        let probs = (o["probs"] as! [Any]).map { Float(($0 as? Double) ?? Double(($0 as? Int) ?? -1)) }
        let ours = p.probabilities(text)
        let top = p.top(text)
        if labels.isEmpty {
            #expect(
                top == nil && ours.allSatisfy { $0 == 0 }, "line \(i): fastText predicts nothing",
                sourceLocation: sourceLocation)
            continue
        }
        guard let top else {
            Issue.record("line \(i): no prediction, fastText has \(labels[0])", sourceLocation: sourceLocation)
            continue
        }
        // A different label counts only when it is not a tie (equal probabilities: either order is fastText's).
        if model.labels[top.label] != labels[0] && abs(top.probability - probs[0]) > 1e-6 {
            topMismatches.append(
                "line \(i): \(model.labels[top.label]) (\(top.probability)) vs \(labels[0]) (\(probs[0]))")
        }
        var seen = Set<Int>()
        for (l, ref) in zip(labels, probs) {
            let k = try #require(model.labels.firstIndex(of: l), sourceLocation: sourceLocation)
            seen.insert(k)
            worst = max(worst, abs(ours[k] - ref))
        }
        // Labels fastText left out (hierarchical softmax prunes below 1e-5) must be near zero here.
        for k in 0..<model.labels.count where !seen.contains(k) { worst = max(worst, ours[k]) }
    }
    #expect(topMismatches.isEmpty, "\(path): \(topMismatches.prefix(5))", sourceLocation: sourceLocation)
    #expect(worst <= 1e-4, "\(path): largest probability difference \(worst)", sourceLocation: sourceLocation)
    return worst
}

@Suite struct FastTextInteropTests {
    static let modelNames = [
        "softmax-wordngrams2", "softmax-charngrams", "hs-wordngrams2-charngrams", "ova-wordngrams2-charngrams",
        "ns-wordngrams2", "words-only", "quantized-pruned-qnorm", "quantized-plain", "quantized-hs",
    ]

    @Test(arguments: modelNames) func predictionsEqualTheFastTextLibrary(name: String) throws {
        let corpus = try trainedFastTextModels.get()
        let path = try #require(corpus.models[name])
        let model = try ClassifierModels.load(path: path)
        #expect(model is FastTextModel, "recognised by its magic number")
        try expectSamePredictions(model: path, texts: corpus.heldout, textsPath: corpus.heldoutPath)
    }

    @Test func modelKindsAreReadAsTrained() throws {
        let corpus = try trainedFastTextModels.get()
        func load(_ n: String) throws -> FastTextModel { try FastTextModel.load(path: corpus.models[n]!) }
        #expect(try load("hs-wordngrams2-charngrams").loss == .hierarchicalSoftmax)
        #expect(try load("ova-wordngrams2-charngrams").loss == .oneVsAll)
        #expect(try load("ns-wordngrams2").loss == .negativeSampling)
        let q = try load("quantized-pruned-qnorm")
        #expect(q.isQuantized && q.pruned != nil && !q.input.normCodes.isEmpty)
        #expect(try load("softmax-wordngrams2").labels == ["ham", "spam"])
        #expect(Set(try load("softmax-charngrams").labels) == ["0", "1", "2"])
    }

    @Test func lid176EqualsTheFastTextLibrary() throws {
        let dir = try TestSupport.temporaryDirectory("lid176")
        let udhr = try String(contentsOfFile: TestSupport.fixture("tokenize/udhr-multilingual.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let pages = try fixtureText("debian-docs-multilingual.jsonl").split(separator: "\n").map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any])["text"] as! String
        }
        let wagahai = try fixtureText("wagahai-excerpt.txt").split(separator: "\n").map(String.init)
        let texts = udhr + pages + wagahai + awkwardTexts
        try writeJSONLStrings(texts, to: dir + "/texts.jsonl")
        try expectSamePredictions(
            model: TestSupport.fixture("models/lid.176.ftz"), texts: texts, textsPath: dir + "/texts.jsonl")
    }

    @Test func classifierPredictAndEvalReadFastTextModels() throws {
        let corpus = try trainedFastTextModels.get()
        let sluice = try TestSupport.sluiceBinary()
        let model = corpus.models["quantized-plain"]!
        let jsonl = corpus.dir + "/cli.jsonl"
        try
            "{\"text\": \"Ok lar... Joking wif u oni...\"}\n{\"text\": \"FREE entry: text WIN to 80086 to claim your prize\"}\n"
            .write(toFile: jsonl, atomically: true, encoding: .utf8)
        let predict = try TestSupport.run(
            sluice, ["classifier", "predict", "--model", model, "--input", jsonl, "--text-field", "text"])
        #expect(predict.status == 0, "\(predict.stderr)")
        let lines = predict.stdout.split(separator: "\n")
        let ft = try FastTextModel.load(path: model).makePredictor()
        for (line, text) in zip(
            lines, ["Ok lar... Joking wif u oni...", "FREE entry: text WIN to 80086 to claim your prize"])
        {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let top = try #require(ft.top(text))
            #expect(o["label"] as? String == ft.model.labels[top.label])
            #expect(abs(((o["probability"] as? Double) ?? -1) - Double(top.probability)) < 1e-6)
        }
        let eval = try TestSupport.run(
            sluice,
            [
                "classifier", "eval", "--model", model, "--input", TestSupport.fixture("clean/sms-spam-300.tsv"),
                "--text-field", "SMS", "--label-field", "Label",
            ])
        #expect(eval.status == 0, "\(eval.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        // The accuracy eval prints is the share of records whose top label is the gold one.
        let rows = try LabeledData.read(
            path: TestSupport.fixture("clean/sms-spam-300.tsv"), textField: "SMS", labelField: "Label")
        let correct = rows.filter { r in ft.top(r.text).map { ft.model.labels[$0.label] } == r.label }.count
        let accuracy = try #require(object["accuracy"] as? Double)
        #expect(abs(accuracy - Double(correct) / Double(rows.count)) < 1e-6)
        #expect(accuracy > 0.8)
    }

    @Test func classifyStepScoresWithAFastTextModel() throws {
        let corpus = try trainedFastTextModels.get()
        let model = corpus.models["softmax-wordngrams2"]!
        let text = "FREE entry: text WIN to 80086 to claim your prize"
        let expected = try FastTextModel.load(path: model).makePredictor().probabilities(text)[1]
        for label in ["spam", "__label__spam"] {
            let (v, doc) = try run("classify", text, ["model": model, "label": label, "threshold": "0.5"])
            #expect(v == drop("classify:\(label)"))
            let score = try #require(doc.metadata["\(label)_score"]?.doubleValue)
            #expect(abs(score - Double(expected)) < 1e-6)
        }
    }
}

@Suite struct FastTextModelFileTests {
    let lid = TestSupport.fixture("models/lid.176.ftz")

    func bytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: lid))) }

    func error(_ b: [UInt8]) -> SluiceError? {
        do {
            _ = try ClassifierModels.parse(b, path: "m.ftz")
            return nil
        } catch let e as SluiceError { return e } catch { return nil }
    }

    @Test func lid176Header() throws {
        let m = try FastTextModel.load(path: lid)
        #expect(m.version == 12 && m.dim == 16 && m.loss == .hierarchicalSoftmax && m.isQuantized)
        #expect(m.labels.count == 176 && m.labels[0] == "en" && m.rawLabels[0] == "__label__en")
        #expect(m.minn == 2 && m.maxn == 4 && m.bucket == 2_000_000 && m.wordNgrams == 1)
    }

    /// `top` on a hierarchical softmax searches for the best leaf alone, skipping subtrees; it must
    /// give the full search's label and probability bit for bit, and `lastProbability` any other
    /// label's: every line of the multilingual UDHR fixture (and slices of it) through lid.176.
    @Test func prunedTopEqualsTheFullTreeOnLid176() throws {
        let m = try FastTextModel.load(path: lid)
        let text = try String(contentsOfFile: TestSupport.fixture("tokenize/udhr-multilingual.txt"), encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        lines += lines.prefix(200).map { String($0.prefix(12)) } + ["", " ", "a", "12345", "😀"]
        let pruned = m.makePredictor(), full = m.makePredictor()
        let checked = [0, 1, 5, 40, 175]  // en, ru, fr, …: labels the language step asks for
        var compared = 0
        for line in lines {
            let p = full.probabilities(line)
            guard let top = pruned.top(line) else {
                #expect(p.allSatisfy { $0 == 0 }, "no top for \(line.debugDescription) but probabilities")
                continue
            }
            var best = 0
            for i in 1..<p.count where p[i] > p[best] { best = i }
            #expect(top.label == best && top.probability == p[best], "\(line.prefix(40))")
            for l in checked { #expect(pruned.lastProbability(of: l) == p[l], "label \(l): \(line.prefix(40))") }
            compared += 1
        }
        #expect(compared > 300)
    }

    /// The token cache only replays rows: a predictor whose tiny cache starts over every few
    /// tokens, one that has seen every line before, and a fresh one per line agree bit for bit.
    @Test func tokenCacheNeverChangesAPrediction() throws {
        let m = try FastTextModel.load(path: lid)
        let text = try String(contentsOfFile: TestSupport.fixture("tokenize/udhr-multilingual.txt"), encoding: .utf8)
        // Edge tokens too: a literal `</s>`, a label, a NUL, and tokens longer than the cache keeps.
        let long = String(repeating: "abcdéf", count: 40)
        let lines =
            text.split(separator: "\n").map(String.init) + [
                "</s> after", "__label__en x", "a\u{0}b", long + " word " + long, String(repeating: "ab", count: 24),
            ]
        let tiny = FastTextModel.Predictor(m, cacheSlotBits: 3)
        let warm = m.makePredictor()
        for line in lines { _ = warm.probabilities(line) }
        for line in lines {
            let fresh = m.makePredictor().probabilities(line)
            #expect(tiny.probabilities(line) == fresh, "\(line.prefix(40))")
            #expect(warm.probabilities(line) == fresh, "\(line.prefix(40))")
        }
    }

    @Test(arguments: [0, 3, 10, 40, 63, 70, 5_000, 200_000, 600_000, -1])
    func truncatedFilesAreClearErrors(cut: Int) throws {
        let b = try bytes()
        let n = cut < 0 ? b.count - 1 : cut
        let e = try #require(error(Array(b.prefix(n))))
        #expect(e.code == .corruptInput)
        #expect(e.description.contains(n < 4 ? "not a" : "truncated"), "\(e)")
        #expect(e.description.contains("m.ftz"))
    }

    @Test func foreignFilesAndVersionsAreClearErrors() throws {
        var b = try bytes()
        b[4] = 13
        #expect(error(b)?.description.contains("fastText model version 13 is not supported") == true)
        b = try bytes()
        b[36] = 2  // args.model: skipgram
        #expect(error(b)?.description.contains("word-vector model (skipgram)") == true)
        b = try bytes()
        b[32] = 9  // args.loss
        #expect(error(b)?.description.contains("unknown fastText loss 9") == true)
        b = try bytes() + [1, 2, 3]
        #expect(error(b)?.description.contains("3 unexpected bytes") == true)
        b = try bytes()
        b[64] = 0xFF  // dictionary size
        b[67] = 0x7F
        #expect(error(b)?.description.contains("impossible sizes") == true)
        b = try bytes()
        b[8] = 0xFF  // dim 255 + … : does not match the matrices
        #expect(error(b) != nil)

        let dir = try TestSupport.temporaryDirectory("ftbad")
        try "just some text, not a model".write(toFile: dir + "/x.bin", atomically: true, encoding: .utf8)
        do {
            _ = try ClassifierModels.load(path: dir + "/x.bin")
            Issue.record("expected an error")
        } catch let e as SluiceError {
            #expect(e.description.contains("not a sluice classifier model or a fastText"))
            #expect(e.description.contains("x.bin"))
        }
    }

    @Test func everyByteFlipFailsCleanlyOrPredicts() throws {
        // A cheap sweep over the header and dictionary: no crash, an error or a working model.
        let b = try bytes()
        for offset in stride(from: 0, to: 4_000, by: 13) {
            var c = b
            c[offset] ^= 0xA5
            if let m = try? FastTextModel.parse(c, path: "m.ftz") {
                _ = m.makePredictor().probabilities("Hello world, this is a test. Ceci est un test.")
            }
        }
    }

    @Test func missingLabelNamesItAndListsTheLabels() throws {
        do {
            _ = try makeStep("classify", ["model": lid, "label": "klingon"])
            Issue.record("expected an error")
        } catch let e as SluiceError {
            #expect(e.description.contains("no label 'klingon'"))
            #expect(e.description.contains("en, ru, de"))
        }
        do {
            _ = try makeStep("language", ["languages": "[en, xx]"])
            Issue.record("expected an error")
        } catch let e as SluiceError { #expect(e.description.contains("no label 'xx'")) }
    }
}
