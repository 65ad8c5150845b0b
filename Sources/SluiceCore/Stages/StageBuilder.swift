// The one way to make a stage from its options, used by the engine, the CLI (`sluice stages`,
// `sluice stage`, `clean-verdicts`) and the tests: read the options strictly, then check the stage.
// It does not prepare the stage for a task; `prepare(context:)` stays with whoever runs it.

/// Builds stages from options, always in the same order: `init(options:)`, then
/// `StageOptions.finish()` (an unknown key throws), then, when asked, `validate()`.
public enum StageBuilder {
    /// A stage of type `type` read from `options`. A type known only at run time (`any Stage.Type`,
    /// a registry entry) is opened implicitly and the result is `any Stage`.
    /// - Parameter validate: run the stage's `validate()` (files exist, a model loads). The engine
    ///   validates once when a pipeline loads and skips it when it rebuilds the stage for each task.
    /// - Throws: `SluiceError(.config)` naming the key for a bad or unknown option; what `validate()` throws.
    public static func build<S: Stage>(_ type: S.Type, options: inout StageOptions, validate: Bool = true) throws -> S {
        let stage = try S(options: &options)
        try options.finish()
        if validate { try stage.validate() }
        return stage
    }

    /// The stage called `name` among `stages`, read from `options`.
    /// - Throws: `SluiceError(.config)` for an unknown name, and what `build` throws.
    public static func build(
        named name: String, in stages: [any Stage.Type], options: inout StageOptions, validate: Bool = true
    ) throws -> any Stage {
        guard let type = stages.first(where: { $0.name == name }) else {
            throw SluiceError(.config, "unknown stage '\(name)' (known: \(stages.map { $0.name }.joined(separator: ", ")))")
        }
        return try build(type, options: &options, validate: validate)
    }

    /// The options `type` reads, in the order it reads them: the stage built in describing mode
    /// (defaults only, no file touched, not validated).
    /// - Throws: when the stage cannot describe its options (a bug in that stage).
    public static func options(of type: any Stage.Type) throws -> [OptionSpec] {
        var options = StageOptions.describing(type.name)
        _ = try build(type, options: &options, validate: false)
        return options.specs
    }
}
