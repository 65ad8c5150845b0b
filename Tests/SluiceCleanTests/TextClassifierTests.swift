// The classifier (TextClassifier, TextClassifier+File, ClassifierTrainer, ClassifierEvaluation):
// training on real SMS spam, model files (round trip, bad magic, truncation, checksum), the classify step.
import Foundation
@testable import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct TextClassifierTests {
    func trainSpam() throws -> TextClassifier {
        let rows = try LabeledData.read(
            path: TestSupport.fixture("clean/sms-spam-300.tsv"), textField: "SMS", labelField: "Label")
        var o = TrainingOptions()
        o.features = FeatureConfig(buckets: 1 << 16, wordNgrams: 2, minn: 3, maxn: 5)
        o.threads = 1
        o.epochs = 10
        return try ClassifierTrainer.train(Array(rows.prefix(240)), options: o)
    }

    @Test func learnsSpamAndRoundTrips() throws {
        let rows = try LabeledData.read(
            path: TestSupport.fixture("clean/sms-spam-300.tsv"), textField: "SMS", labelField: "Label")
        let model = try trainSpam()
        #expect(model.labels == ["ham", "spam"])
        let eval = ClassifierEvaluation(model: model, examples: Array(rows.suffix(60)))
        // Better than always answering the majority label, and it finds spam.
        let test = rows.suffix(60)
        let majority = Double(test.filter { $0.label == "ham" }.count) / Double(test.count)
        #expect(eval.accuracy > majority)
        #expect(eval.labels.first { $0.0 == "spam" }!.1.recall >= 0.25)
        let reloaded = try TextClassifier.parse(model.serialized(), path: "m")
        let p1 = model.makePredictor().probabilities(rows[5].text)
        let p2 = reloaded.makePredictor().probabilities(rows[5].text)
        #expect(p1 == p2)
        #expect(eval.json.hasPrefix("{\"accuracy\": "))
        #expect(eval.json.contains("\"macro_f1\": "))
        #expect(eval.json.contains("\"spam\": {\"precision\": "))
        #expect(eval.json.contains("\"support\": "))
    }

    @Test func invalidModelFilesAreClearErrors() throws {
        let good = try trainSpam().serialized()
        func message(_ bytes: [UInt8]) -> String {
            do {
                _ = try TextClassifier.parse(bytes, path: "bad.slcm")
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(message(Array("not a model at all".utf8)).contains("not a sluice classifier model"))
        #expect(message(Array(good.prefix(30))).contains("truncated"))
        var flipped = good
        flipped[flipped.count / 2] ^= 0xFF
        #expect(message(flipped).contains("checksum"))
        var future = good
        future[4] = 9
        #expect(message(future).contains("version 9"))
        #expect(message([]).contains("bad.slcm"))

        // A valid, checksummed header of a few hundred bytes that asks for 2^26 buckets × 16
        // labels (4 GiB of weights) is refused before anything is allocated
        // (Fuzz/regressions/classifier/dense-weights-4gib-from-180-bytes.slcm).
        var huge: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { huge += $0 } }
        huge += TextClassifier.magic
        for v: UInt32 in [TextClassifier.formatVersion, 0, 1 << 26, 1, 0, 0, 16] { u32(v) }
        for l in 0..<16 {
            u32(UInt32(String(l).utf8.count))
            huge += Array(String(l).utf8)
        }
        for _ in 0..<16 { u32(0) }
        u32(0)  // no stored rows
        let sum = huge.withUnsafeBytes { xxHash64($0) }
        withUnsafeBytes(of: sum.littleEndian) { huge += $0 }
        #expect(message(huge).contains("more than 268435456 weights"))
    }

    @Test func classifyStepScoresAndDrops() throws {
        let dir = try TestSupport.temporaryDirectory("classify")
        let path = dir + "/spam.slcm"
        try trainSpam().write(to: path)
        let spam = "WINNER!! You have won a £1000 cash prize. Call 09061701461 now to claim. T&C apply"
        let (v, d) = try run("classify", spam, ["model": path, "label": "spam"])
        #expect(v == drop("classify:spam"))
        #expect((d.metadata["spam_score"]?.doubleValue ?? 0) > 0.5)
        #expect(
            try verdict("classify", "Ok see you at home later for dinner", ["model": path, "label": "spam"]) == .keep)
        #expect(try verdict("classify", spam, ["model": path, "label": "spam", "direction": "none"]) == .keep)
        #expect(throws: SluiceError.self) { try makeStep("classify", ["model": path, "label": "toxic"]) }
        #expect(throws: SluiceError.self) {
            try makeStep("classify", ["model": dir + "/missing.slcm", "label": "spam"])
        }
    }
}
