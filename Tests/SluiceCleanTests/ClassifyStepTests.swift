// classify: a missing model, the training pass declared by train_input, what fired.
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct ClassifyStepTests {
    @Test func missingModelNamesTheCommandThatMakesIt() throws {
        let model = NSTemporaryDirectory() + "no-such-model-\(UUID().uuidString.prefix(8)).slcm"
        let error = #expect(throws: SluiceError.self) { try makeStep("classify", ["model": model, "label": "spam"]) }
        #expect(error?.message.contains("sluice classifier train") == true, "\(String(describing: error))")
        #expect(error?.message.contains(model) == true)
    }

    @Test func trainInputDeclaresOneTrainingPassAndMustExist() throws {
        let model = NSTemporaryDirectory() + "to-train-\(UUID().uuidString.prefix(8)).slcm"
        let labels = TestSupport.fixture("clean/sms-spam-300.tsv")
        let step = try makeStep(
            "classify",
            [
                "model": model, "label": "spam", "train_input": labels, "train_text_field": "SMS",
                "train_label_field": "Label",
            ])
        let passes = try #require(step as? ClassifyStep).preparationPasses()
        #expect(passes.map(\.name) == ["train"])
        let missing = #expect(throws: SluiceError.self) {
            try makeStep("classify", ["model": model, "label": "spam", "train_input": labels + ".missing"])
        }
        #expect(expectContains(missing, "train_input"), "\(String(describing: missing))")
        // The pass trains the model; the same labels give the same bytes (one thread, fixed seed).
        let environment = PassEnvironment(documentFiles: [], workDirectory: NSTemporaryDirectory(), segmentTasks: 1)
        try passes[0].run(task: 0, environment: environment, context: testContext())
        let first = try #require(FileManager.default.contents(atPath: model))
        try FileManager.default.removeItem(atPath: model)
        try passes[0].run(task: 0, environment: environment, context: testContext())
        #expect(FileManager.default.contents(atPath: model) == first)
        // The step then scores with it.
        var built = try makeStep("classify", ["model": model, "label": "spam"])
        var doc = Document(id: "1", text: "WINNER!! Claim your free prize now, call 09061701461", source: "test")
        _ = try built.apply(to: &doc, context: testContext())
        #expect(doc.metadata["spam_score"] != nil)
        try FileManager.default.removeItem(atPath: model)
    }

    @Test func classifyGivesTheScoreAndThreshold() throws {
        let model = try TestSupport.temporaryDirectory("explain") + "/spam.slcm"
        try TextClassifierTests().trainSpam().write(to: model)
        let text = "WINNER!! You have won a £1000 cash prize. Call 09061701461 now to claim. T&C apply"
        let (reason, fired) = try #require(
            try explain("classify", text, ["model": model, "label": "spam", "threshold": "0.5"]))
        #expect(reason == "classify:spam")
        #expect((fired["score"]?.doubleValue ?? 0) > 0.5)
        #expect(fired["threshold"] == .double(0.5))
        #expect(fired["direction"] == .string("drop_above"))
    }
}
