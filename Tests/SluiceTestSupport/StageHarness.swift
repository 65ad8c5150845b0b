// The one test helper for stages: build stage X with these options (through SluiceCore's
// `StageBuilder`, as a pipeline would), run these documents, give me the verdicts. Runs steps
// through the engine's `StepChain`; it does not read or write files itself.
import Foundation
import SluiceCore

/// Builds stages from option pairs and runs documents through steps, outside the engine.
public enum StageHarness {
    /// Option values from (key, YAML) pairs: `("min_words", "50")`, `("languages", "[en, de]")`.
    /// Each value keeps the line YAML gives it (1), so messages read `file:1` when `file` is set.
    public static func options(_ stageName: String, _ pairs: [(String, String)], file: String? = nil) throws
        -> StageOptions
    {
        var values: [(key: String, value: ConfigValue)] = []
        for (k, v) in pairs { values.append((k, try ConfigValue.parseYAML(v, file: file))) }
        return StageOptions(stageName: stageName, values: values, file: file)
    }

    /// `type` built from (key, YAML) option pairs; unknown keys throw, and `validate()` runs.
    public static func build<S: Stage>(_ type: S.Type, _ pairs: [(String, String)] = [], file: String? = nil) throws
        -> S
    {
        var o = try options(S.name, pairs, file: file)
        return try StageBuilder.build(type, options: &o)
    }

    /// `type` built from options given as a YAML map (`"{split: paragraph}"`).
    public static func build<S: Stage>(_ type: S.Type, yaml: String) throws -> S {
        var o = StageOptions(
            stageName: S.name, values: try ConfigValue.parseYAML(yaml, file: nil).mapValue ?? [], file: nil)
        return try StageBuilder.build(type, options: &o)
    }

    /// `type` built from option values already parsed (lists and maps built in the test).
    public static func build<S: Stage>(_ type: S.Type, values: [(String, ConfigValue)]) throws -> S {
        var o = StageOptions(stageName: S.name, values: values.map { (key: $0.0, value: $0.1) }, file: nil)
        return try StageBuilder.build(type, options: &o)
    }

    /// The stage called `name` among `stages` (a library's list), built from (key, YAML) pairs.
    public static func build(named name: String, in stages: [any Stage.Type], _ pairs: [(String, String)] = [])
        throws -> any Stage
    {
        var o = try options(name, pairs)
        return try StageBuilder.build(named: name, in: stages, options: &o)
    }

    /// A one-task context for `stageNames` (one stats slot each), writing under `directory`
    /// (default: a fresh folder name under the temporary folder, created only if a stage writes).
    public static func context(_ stageNames: String..., directory: String? = nil) -> TaskContext {
        let dir = directory ?? NSTemporaryDirectory() + "sluice-stage-\(UUID().uuidString.prefix(8))"
        return TaskContext(
            taskIndex: 0, taskCount: 1, outputDirectory: dir,
            temporaryDirectory: directory ?? dir + "/.tmp", stageNames: stageNames.isEmpty ? ["test"] : stageNames)
    }

    /// Every document `reader` reads from `path`, and the reader's stats.
    public static func read(_ reader: some DocumentReader, _ path: String) throws -> ([Document], StageStats) {
        let taskContext = context(type(of: reader).name)
        var iterator = try reader.open(path, context: taskContext)
        var documents: [Document] = []
        while let d = try iterator.next() { documents.append(d) }
        return (documents, taskContext.stats.stages[0])
    }

    /// Prepares `step` and runs each document through it; returns each verdict and the document
    /// as the step left it.
    public static func run(_ step: any Step, _ documents: [Document], context: TaskContext? = nil) throws
        -> [(verdict: Verdict, document: Document)]
    {
        let taskContext = context ?? Self.context(type(of: step).name)
        var chain = StepChain([step])
        try chain.prepare(context: taskContext)
        var results: [(verdict: Verdict, document: Document)] = []
        for d in documents {
            var doc = d
            let v = try chain.apply(to: &doc, context: taskContext)
            results.append((v, doc))
        }
        return results
    }

    /// The verdicts of `step` on `documents`.
    public static func verdicts(_ step: any Step, _ documents: [Document]) throws -> [Verdict] {
        try run(step, documents).map(\.verdict)
    }

    /// The verdicts of stage `type`, built with `pairs`, on documents made of `texts`.
    public static func verdicts<S: Step>(_ type: S.Type, _ pairs: [(String, String)] = [], texts: [String]) throws
        -> [Verdict]
    {
        try verdicts(try build(type, pairs), documents(texts))
    }

    /// Documents `d0`, `d1`, … with these texts.
    public static func documents(_ texts: [String], source: String = "test") -> [Document] {
        texts.enumerated().map { Document(id: "d\($0.offset)", text: $0.element, source: source) }
    }
}
