// The stages SluiceClean provides. Adding one is a new file and one line here.
import SluiceCore

/// Every stage defined in SluiceClean.
public enum CleanStages {
    public static let all: [any Stage.Type] = [
        NormalizeStep.self, ScriptFilter.self, GopherQualityFilter.self, GopherRepetitionFilter.self, C4QualityStep.self,
        FineWebQualityFilter.self, WordlistFilter.self, URLBlocklistFilter.self, SpamHeuristicsFilter.self,
        ClassifyStep.self,
        LanguageStep.self,
        KeepTopFraction.self,
    ]
}

extension CleanStages {
    /// Builds the step called `name` from `options` (as a pipeline would), for tools and tests
    /// that run cleaning steps without the engine.
    /// - Throws: `SluiceError(.config)` for an unknown name, a stage that is not a step, or bad options.
    public static func makeStep(named name: String, options: inout StageOptions) throws -> any Step {
        guard let type = all.first(where: { $0.name == name }) else {
            throw SluiceError(.config, "unknown stage '\(name)' (known: \(all.map { $0.name }.joined(separator: ", ")))")
        }
        guard let stepType = type as? any Step.Type else { throw SluiceError(.config, "'\(name)' is not a step") }
        let step = try build(stepType, &options)
        try options.finish()
        return step
    }

    private static func build<S: Step>(_ type: S.Type, _ options: inout StageOptions) throws -> any Step {
        let step = try type.init(options: &options)
        try step.validate()
        return step
    }
}
