// The one way to make a stage from its options, used by the engine, the CLI (`sluice stages`,
// `sluice stage`, `clean-verdicts`) and the tests: read the options strictly, then check the stage.
// It does not prepare the stage for a task; `prepare(context:)` stays with whoever runs it.

/// Builds stages from options, always in the same order: `init(options:)`, then
/// `StageOptions.finish()` (an unknown key throws), then, when asked, `validate()`.
public enum StageBuilder {
    /// A stage of type `type` read from `options`.
    /// - Parameter validate: run the stage's `validate()` (files exist, a model loads). The engine
    ///   validates once when a pipeline loads and skips it when it rebuilds the stage for each task.
    /// - Throws: `SluiceError(.config)` naming the key for a bad or unknown option; what `validate()` throws.
    public static func build<S: Stage>(_ type: S.Type, options: inout StageOptions, validate: Bool = true) throws -> S {
        let stage = try S(options: &options)
        try options.finish()
        if validate { try stage.validate() }
        return stage
    }

    /// A stage of a type known only at run time (a registry entry), read from `options` as `build`
    /// reads it.
    public static func buildRegistered(_ type: any Stage.Type, options: inout StageOptions, validate: Bool = true)
        throws -> any Stage
    {
        func open<S: Stage>(_ concrete: S.Type) throws -> any Stage {
            try build(concrete, options: &options, validate: validate)
        }
        return try open(type)
    }

    /// The stage called `name` among `stages`, read from `options`.
    /// - Throws: `SluiceError(.config)` for an unknown name, and what `build` throws.
    public static func build(
        named name: String, in stages: [any Stage.Type], options: inout StageOptions, validate: Bool = true
    ) throws -> any Stage {
        guard let type = stages.first(where: { $0.name == name }) else {
            throw SluiceError(
                .config, "unknown stage '\(name)' (known: \(stages.map { $0.name }.joined(separator: ", ")))")
        }
        return try buildRegistered(type, options: &options, validate: validate)
    }

    /// The options `type` reads, in the order it reads them: the stage built in describing mode
    /// (defaults only, no file touched, not validated).
    /// - Throws: when the stage cannot describe its options (a bug in that stage).
    public static func options(of type: any Stage.Type) throws -> [OptionSpec] {
        var options = StageOptions.describing(type.name)
        _ = try buildRegistered(type, options: &options, validate: false)
        return options.specs
    }
}
