// `sluice classifier train|eval|predict` and `sluice clean-verdicts` end to end: the exact JSON
// shape of eval, one-line errors with a non-zero exit for missing columns and invalid models.
import Foundation
import SluiceTestSupport
import Testing

@Suite struct ClassifierCLITests {
    let tsv = TestSupport.fixture("clean/sms-spam-300.tsv")

    @Test func trainEvalPredict() throws {
        let sluice = try TestSupport.sluiceBinary()
        let dir = try TestSupport.temporaryDirectory("clf-cli")
        let model = dir + "/spam.slcm"
        let train = try TestSupport.run(
            sluice,
            [
                "classifier", "train", "--input", tsv, "--text-field", "SMS", "--label-field", "Label",
                "--output", model, "--threads", "1",
            ])
        #expect(train.status == 0, "\(train.stderr)")
        let eval = try TestSupport.run(
            sluice,
            ["classifier", "eval", "--model", model, "--input", tsv, "--text-field", "SMS", "--label-field", "Label"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["accuracy", "macro_f1", "labels"])
        let labels = try #require(object["labels"] as? [String: [String: Any]])
        #expect(Set(labels.keys) == ["ham", "spam"])
        for (_, scores) in labels { #expect(Set(scores.keys) == ["precision", "recall", "f1", "support"]) }
        #expect((labels["ham"]?["support"] as? Int) == 256)
        #expect(((object["accuracy"] as? Double) ?? 0) > 0.95)  // on its own training data

        let jsonl = dir + "/m.jsonl"
        try
            "{\"text\": \"Ok lar... Joking wif u oni...\"}\n{\"text\": \"FREE entry: text WIN to 80086 to claim your prize\"}\n"
            .write(toFile: jsonl, atomically: true, encoding: .utf8)
        let predict = try TestSupport.run(
            sluice, ["classifier", "predict", "--model", model, "--input", jsonl, "--text-field", "text"])
        #expect(predict.status == 0, "\(predict.stderr)")
        let lines = predict.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains("\"label\": \"ham\""))
        #expect(lines[1].contains("\"label\": \"spam\""))
    }

    @Test func labelsWithQuotesAndBackslashesAreEscaped() throws {
        // Labels are user data: train, eval and predict print them through SluiceCore's serializer.
        let sluice = try TestSupport.sluiceBinary()
        let dir = try TestSupport.temporaryDirectory("clf-quote")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let quoted = "say \"yes\""
        let slashed = "no\\way"
        var rows: [[String: String]] = []
        for i in 0..<20 {
            rows.append(["text": "sunny bright warm day number \(i)", "label": quoted])
            rows.append(["text": "cold dark rainy night number \(i)", "label": slashed])
        }
        let lines = try rows.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/l.jsonl", atomically: true, encoding: .utf8)
        let common = ["--input", dir + "/l.jsonl", "--text-field", "text"]
        let train = try TestSupport.run(
            sluice,
            [
                "classifier", "train", "--label-field", "label", "--output", dir + "/m.slcm", "--threads", "1",
                "--buckets", "4096",
            ] + common)
        #expect(train.status == 0, "\(train.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as? [String: Any])
        #expect(Set(summary["labels"] as? [String] ?? []) == [quoted, slashed])
        let eval = try TestSupport.run(
            sluice, ["classifier", "eval", "--model", dir + "/m.slcm", "--label-field", "label"] + common)
        #expect(eval.status == 0, "\(eval.stderr)")
        let scores = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(Set(((scores["labels"] as? [String: Any]) ?? [:]).keys) == [quoted, slashed])
        let predict = try TestSupport.run(sluice, ["classifier", "predict", "--model", dir + "/m.slcm"] + common)
        #expect(predict.status == 0, "\(predict.stderr)")
        let predicted = try predict.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(predicted.count == 40)
        #expect(predicted.first?["label"] as? String == quoted)
        #expect(Set(((predicted.first?["probabilities"] as? [String: Any]) ?? [:]).keys) == [quoted, slashed])
    }

    @Test func badInputsAreOneLineErrors() throws {
        let sluice = try TestSupport.sluiceBinary()
        let dir = try TestSupport.temporaryDirectory("clf-bad")
        let missing = try TestSupport.run(
            sluice,
            [
                "classifier", "train", "--input", tsv, "--text-field", "message", "--label-field", "Label",
                "--output", dir + "/m.slcm",
            ])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no column 'message'"))
        #expect(missing.stderr.split(separator: "\n").count == 1)
        try "this is not a model".write(toFile: dir + "/bad.slcm", atomically: true, encoding: .utf8)
        let bad = try TestSupport.run(
            sluice,
            [
                "classifier", "eval", "--model", dir + "/bad.slcm", "--input", tsv, "--text-field", "SMS",
                "--label-field", "Label",
            ])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("not a sluice classifier model"))
        #expect(bad.stderr.contains("bad.slcm"))
    }

    @Test func cleanVerdictsPrintsOneVerdictPerDocument() throws {
        let sluice = try TestSupport.sluiceBinary()
        let r = try TestSupport.run(
            sluice,
            [
                "clean-verdicts", "--stages", "gopher_repetition,gopher_quality,c4",
                "--input", TestSupport.fixture("clean/dolma-cc-en-4docs.jsonl"),
            ])
        #expect(r.status == 0, "\(r.stderr)")
        let verdicts = r.stdout.split(separator: "\n").map(String.init)
        #expect(verdicts.count == 4)
        #expect(verdicts[0] == "c4:too_few_sentences")  // a short notice: 70 words, 3 sentences
        #expect(verdicts[3] == "keep")
    }
}
