// StageBuilder: options are read strictly first (an unknown key is reported before any check
// touches files), then validate() runs when asked; describing mode lists the options.
import SluiceCore
import SluiceTestSupport
import Testing

/// A step whose validate() always fails, so the order of the builder's checks shows.
private struct CheckedStep: Step {
    static let name = "checked"
    static let summary = "Test step: validate() always fails."
    var limit: Int
    init(options: inout StageOptions) throws { limit = try options.int("limit", default: 3, range: 0...10, "a limit") }
    func validate() throws { throw SluiceError(.config, "checked: validate ran") }
    mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict { .keep }
}

@Suite struct StageBuilderTests {
    @Test func unknownKeysFailBeforeValidate() throws {
        let error = #expect(throws: SluiceError.self) { try StageHarness.build(CheckedStep.self, [("limt", "4")]) }
        #expect(
            error?.message.hasPrefix("checked.limt: unknown option (known: limit)") == true,
            "\(String(describing: error))")
    }

    @Test func validateRunsOnlyWhenAsked() throws {
        let error = #expect(throws: SluiceError.self) { try StageHarness.build(CheckedStep.self, [("limit", "4")]) }
        #expect(error?.message == "checked: validate ran")
        var options = try StageHarness.options("checked", [("limit", "4")])
        let step = try StageBuilder.build(CheckedStep.self, options: &options, validate: false)
        #expect(step.limit == 4)
    }

    @Test func buildsByNameFromAList() throws {
        var options = try StageHarness.options("length", [("min_words", "2")])
        let stage = try StageBuilder.build(named: "length", in: CoreStages.all, options: &options)
        #expect((stage as? LengthFilter)?.minWords == 2)
        var unknown = StageOptions(stageName: "lenght", values: [], file: nil)
        let error = #expect(throws: SluiceError.self) {
            try StageBuilder.build(named: "lenght", in: CoreStages.all, options: &unknown)
        }
        #expect(error?.message.hasPrefix("unknown stage 'lenght' (known: jsonl, text, write, length, sample") == true)
    }

    @Test func describesOptionsWithoutValidating() throws {
        let specs = try StageBuilder.options(of: CheckedStep.self)
        #expect(specs.map(\.key) == ["limit"] && specs.map(\.type) == ["int"])
        #expect(specs.map(\.defaultValue) == ["3"] && specs.map(\.help) == ["a limit"])
    }
}
