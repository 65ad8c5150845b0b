// The classifier: CSV/TSV/JSONL reading (quoted fields, missing columns), training on real SMS
// spam, model files (round trip, bad magic, truncation, checksum), eval JSON, the classify step.
import Foundation
@testable import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct LabeledDataTests {
    @Test func csvQuotedFieldsWithCommasQuotesAndNewlines() throws {
        let dir = try TestSupport.temporaryDirectory("csv")
        let path = dir + "/d.csv"
        try ",count,class,tweet\n0,3,2,\"hello, \"\"world\"\"\nsecond line\"\n1,3,1,plain\r\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        let rows = try LabeledData.read(path: path, textField: "tweet", labelField: "class")
        #expect(
            rows == [
                LabeledExample(text: "hello, \"world\"\nsecond line", label: "2"),
                LabeledExample(text: "plain", label: "1"),
            ])
    }

    @Test func missingColumnsAreClearErrors() throws {
        let path = TestSupport.fixture("clean/sms-spam-300.tsv")
        do {
            _ = try LabeledData.read(path: path, textField: "text", labelField: "Label")
            Issue.record("expected an error")
        } catch let e as SluiceError {
            #expect(e.description.contains("no column 'text'"))
            #expect(e.description.contains("'SMS'"))
        }
        let dir = try TestSupport.temporaryDirectory("tsv")
        try "Label\tSMS\nham\thello\nspam\n".write(toFile: dir + "/short.tsv", atomically: true, encoding: .utf8)
        #expect(throws: SluiceError.self) {
            try LabeledData.read(path: dir + "/short.tsv", textField: "SMS", labelField: "Label")
        }
        try "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\"}\n".write(
            toFile: dir + "/d.jsonl", atomically: true, encoding: .utf8)
        do {
            _ = try LabeledData.read(path: dir + "/d.jsonl", textField: "text", labelField: "label")
            Issue.record("expected an error")
        } catch let e as SluiceError { #expect(e.line == 2) }
    }
}

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

@Suite struct TokenScannerTests {
    func tokens(_ text: String, icuWords: Bool = false) -> [String] {
        let t = TokenScanner(icuWords: icuWords)
        return withUTF8Bytes(text) { b in
            t.scan(b)
            return (0..<t.count).map {
                String(decoding: UnsafeBufferPointer(rebasing: b[t.starts[$0]..<t.ends[$0]]), as: UTF8.self)
            }
        }
    }

    @Test func followsSpaCyOnEnglish() {
        #expect(
            tokens("Don't stop (the D.C. show), it's 9pm...") == [
                "Do", "n't", "stop", "(", "the", "D.C.", "show", ")", ",", "it", "'s", "9", "pm", "...",
            ])
        #expect(tokens("well-known 501(c)(3) cannot") == ["well", "-", "known", "501(c)(3", ")", "can", "not"])
    }

    /// spaCy rules that decided keep/drop on the multilingual crawl (issue 15 §2); the expected
    /// lists are spaCy 3.8's English tokenizer output, as datatrove 0.10.1 uses it.
    @Test func followsSpaCyOnURLsUnitsAndSpecialCases() {
        #expect(
            tokens("See https://www.debian.org/doc/ or mail debian-live@lists.debian.org now") == [
                "See", "https://www.debian.org/doc/", "or", "mail", "debian-live@lists.debian.org", "now",
            ])
        #expect(tokens("zim_0.73.5-1.debian.tar.xz") == ["zim_0.73.5-1.debian.tar.xz"])
        #expect(tokens("a 780MB disk, 100% full") == ["a", "780", "MB", "disk", ",", "100", "%", "full"])
        #expect(tokens("TFTP. Then etc. and Dr. Who") == ["TFTP", ".", "Then", "etc", ".", "and", "Dr.", "Who"])
        #expect(tokens("Jan. jan.") == ["Jan.", "jan", "."])
        #expect(tokens("+0100 and (see x):") == ["+0100", "and", "(", "see", "x", "):"])
        #expect(tokens("[=") == ["[="])
        #expect(tokens("package_config/中列出的包") == ["package_config", "/", "中列出的包"])
    }

    @Test func keepsUnspacedRunsWholeLikeDatatrove() {
        // spaCy's English tokenizer (datatrove's default for every language) splits only at spaces
        // and affixes: a Japanese clause is one token.
        #expect(tokens("吾輩は猫である。名前はまだ無い。") == ["吾輩は猫である。名前はまだ無い", "。"])
    }

    @Test func countsChineseAndJapaneseWords() {
        // With icuWords, ICU's dictionaries split unspaced text into words.
        let ja = tokens("吾輩は猫である。名前はまだ無い。", icuWords: true)
        #expect(ja.count >= 8)
        #expect(ja.contains("猫"))
        let zh = tokens("我们今天去公园散步", icuWords: true)
        #expect(zh.count >= 4)
        #expect(zh.joined() == "我们今天去公园散步")
    }
}
