// Pipeline files: YAML → a checked `Pipeline` (inputs expanded, every stage built once with its
// options so that any mistake is reported with file, line and key before any work starts).
// Planning into passes lives in PipelinePlan.swift; running in SegmentTask.swift and LocalExecutor.swift.
import Foundation

/// One configured stage: its type and its options, buildable any number of times.
public struct StageSpec: @unchecked Sendable {
    // @unchecked: `values` holds only Sendable ConfigValues in tuples, and `type` is a metatype.
    /// The YAML name.
    public let name: String
    public let type: any Stage.Type
    /// Options from the file, in order.
    public var values: [(key: String, value: ConfigValue)]
    /// `--set` overrides (key, YAML text), applied after `values`.
    public var overrides: [(key: String, yaml: String)] = []
    /// The pipeline file and the line of the stage entry, for messages.
    public let file: String?
    public let line: Int

    public init(
        name: String, type: any Stage.Type, values: [(key: String, value: ConfigValue)] = [], file: String? = nil,
        line: Int = 0
    ) {
        self.name = name
        self.type = type
        self.values = values
        self.file = file
        self.line = line
    }

    /// The stage's options with overrides applied.
    public func options() throws -> StageOptions {
        var o = StageOptions(stageName: name, values: values, file: file, line: line)
        for (k, v) in overrides { try o.override(k, yaml: v) }
        return o
    }

    /// A fresh instance through `StageBuilder`: options read strictly (unknown keys throw), then
    /// `validate()` when `validate` is true (once, when the pipeline loads; not for every task).
    public func build(validate: Bool = false) throws -> any Stage {
        var o = try options()
        return try StageBuilder.buildRegistered(type, options: &o, validate: validate)
    }
}

/// What a pipeline file says, before inputs are expanded and stages looked up.
public struct PipelineDescription: @unchecked Sendable {
    public var file: String?
    /// Input globs with the line each came from.
    public var inputPatterns: [(pattern: String, line: Int)] = []
    public var reader: String?
    public var readerLine = 0
    public var readerOptions: [(key: String, value: ConfigValue)] = []
    public var output: String?
    public var outputLine = 0
    public var tasks: Int?
    public var workers: Int?
    public var stages: [(name: String, values: [(key: String, value: ConfigValue)], line: Int)] = []
    /// `dropped:` at the top of the file: keep dropped documents for audit (DropAudit.swift).
    public var dropped: ConfigValue?
    /// `input.paths_file` and its companions (PathListing.swift), when given.
    public var pathsListing: PathListing?
    /// `input.on_missing`: what a missing input does to its task.
    public var onMissing = MissingInputPolicy.error
    /// `checkpoint_every`: documents between a segment task's checkpoints (TaskCheckpoint.swift).
    public var checkpointEvery: Int?

    public init(file: String? = nil) { self.file = file }

    /// Reads a pipeline file.
    /// - Throws: `SluiceError(.config)` for unreadable files, bad YAML, unknown keys or bad values.
    public static func load(path: String) throws -> PipelineDescription {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
            let data = FileManager.default.contents(atPath: path)
        else {
            throw SluiceError(.config, "cannot read the pipeline file", file: path)
        }
        // Bytes that are not UTF-8 would reach folder names and stage options as U+FFFD.
        guard let text = String(validating: data, as: UTF8.self) else {
            let bytes = [UInt8](data)
            var line = 1
            var offset = 0
            var it = bytes.makeIterator()
            var decoder = UTF8()
            loop: while true {
                switch decoder.decode(&it) {
                case .scalarValue(let c):
                    if c == "\n" { line += 1 }
                    offset += UTF8.width(c)
                case .emptyInput: break loop
                case .error: break loop
                }
            }
            throw SluiceError(
                .config, "the pipeline file is not valid UTF-8 (byte \(offset) of the file); save it as UTF-8",
                file: path,
                line: line)
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses pipeline YAML; `file` is used in messages.
    public static func parse(yaml: String, file: String) throws -> PipelineDescription {
        var d = PipelineDescription(file: file)
        let root = try ConfigValue.parseYAML(yaml, file: file)
        guard let top = root.mapValue else {
            throw SluiceError(
                .config, "a pipeline file is a map with input, output, tasks, stages", file: file, line: root.line)
        }
        if top.isEmpty {
            throw SluiceError(
                .config, "the pipeline file is empty: give it input, output and stages (see Pipelines/quickstart.yaml)",
                file: file)
        }
        // A training configuration (Pipelines/train-tiny.yaml) is not a pipeline.
        if let key = top.first(where: { $0.key == "model" || $0.key == "train" }),
            !top.contains(where: { $0.key == "stages" })
        {
            throw SluiceError(
                .config,
                "\(key.key): this is a training configuration (it has `\(key.key)`); run it with `sluice train \(file)`",
                file: file, line: key.value.line == 0 ? nil : key.value.line)
        }
        func fail(_ v: ConfigValue, _ key: String, _ message: String) -> SluiceError {
            SluiceError(.config, "\(key): \(message)", file: file, line: v.line == 0 ? nil : v.line)
        }
        func positiveInt(_ v: ConfigValue, _ key: String) throws -> Int {
            guard let s = v.scalar, let i = Int(s), i >= 1 else { throw fail(v, key, "expected a positive integer") }
            return i
        }
        func stringList(_ v: ConfigValue, _ key: String) throws -> [(String, Int)] {
            if let s = v.scalar { return [(s, v.line)] }
            guard let l = v.listValue, !l.isEmpty else { throw fail(v, key, "expected a glob or a list of globs") }
            return try l.map { item in
                guard let s = item.scalar else { throw fail(item, key, "expected a glob (a string)") }
                return (s, item.line)
            }
        }
        let known = ["input", "output", "tasks", "workers", "stages", "dropped", "checkpoint_every"]
        for (key, value) in top {
            switch key {
            case "input":
                if value.scalar != nil || value.listValue != nil {
                    d.inputPatterns = try stringList(value, "input").map { ($0.0, $0.1) }
                    continue
                }
                guard let m = value.mapValue else {
                    throw fail(value, "input", "expected a map with paths, reader, options")
                }
                for (k, v) in m {
                    switch k {
                    case "paths": d.inputPatterns = try stringList(v, "input.paths").map { ($0.0, $0.1) }
                    case "reader":
                        guard let s = v.scalar else { throw fail(v, "input.reader", "expected a reader name") }
                        d.reader = s
                        d.readerLine = v.line
                    case "options":
                        if let s = v.scalar, s.isEmpty || s == "null" || s == "~" { continue }
                        guard let o = v.mapValue else {
                            throw fail(v, "input.options", "expected a map of reader options")
                        }
                        d.readerOptions = o
                    case "paths_file", "prefix", "limit", "sample", "seed":
                        try parseListingKey(k, v, into: &d, fail: fail)
                    case "on_missing":
                        guard let s = v.scalar, let policy = MissingInputPolicy(rawValue: s) else {
                            throw fail(v, "input.on_missing", "expected error or skip")
                        }
                        d.onMissing = policy
                    default:
                        throw fail(
                            v, "input.\(k)",
                            "unknown key (known: paths, paths_file, prefix, limit, sample, seed, on_missing, reader, options)"
                        )
                    }
                }
                if d.pathsListing?.file.isEmpty == true {
                    throw fail(
                        value, "input", "prefix, limit, sample and seed go with paths_file: set input.paths_file")
                }
            case "output":
                guard let s = value.scalar, !s.isEmpty else { throw fail(value, "output", "expected a folder path") }
                d.output = s
                d.outputLine = value.line
            case "tasks": d.tasks = try positiveInt(value, "tasks")
            case "workers": d.workers = try positiveInt(value, "workers")
            case "dropped": d.dropped = value
            case "checkpoint_every": d.checkpointEvery = try positiveInt(value, "checkpoint_every")
            case "stages":
                guard let list = value.listValue else { throw fail(value, "stages", "expected a list of stages") }
                for item in list {
                    if let name = item.scalar {
                        d.stages.append((name, [], item.line))
                    } else if let m = item.mapValue, m.count == 1 {
                        let (name, options) = m[0]
                        if let s = options.scalar, s.isEmpty || s == "null" || s == "~" {
                            d.stages.append((name, [], item.line))
                        } else if let o = options.mapValue {
                            d.stages.append((name, o, item.line))
                        } else {
                            throw fail(options, "stages.\(name)", "options must be a map such as {key: value}")
                        }
                    } else {
                        throw fail(item, "stages", "each stage is `name` or `name: {options}` (one name per item)")
                    }
                }
            default:
                throw fail(value, key, "unknown key (known: \(known.joined(separator: ", ")))")
            }
        }
        return d
    }

    /// One of `input.{paths_file, prefix, limit, sample, seed}` (Common Crawl path listings).
    private static func parseListingKey(
        _ key: String, _ v: ConfigValue, into d: inout PipelineDescription,
        fail: (ConfigValue, String, String) -> SluiceError
    ) throws {
        var listing = d.pathsListing ?? PathListing(file: "")
        guard let s = v.scalar, !s.isEmpty else { throw fail(v, "input.\(key)", "expected a value") }
        switch key {
        case "paths_file":
            listing.file = s
            listing.line = v.line
        case "prefix": listing.prefix = s
        case "limit":
            guard let n = Int(s), n >= 1 else { throw fail(v, "input.limit", "expected a positive integer") }
            listing.limit = n
        case "sample":
            guard let f = Double(s), f > 0, f <= 1 else {
                throw fail(v, "input.sample", "expected a fraction in (0, 1]")
            }
            listing.sample = f
        default:
            guard let n = UInt64(s) else { throw fail(v, "input.seed", "expected a non-negative integer") }
            listing.seed = n
        }
        d.pathsListing = listing
    }
}

/// Command-line changes to a pipeline file: `--input`, `--output`, `--set`, `--tasks`, `--workers`.
public struct PipelineOverrides: Sendable {
    /// Replace the file's input globs when not empty.
    public var inputs: [String] = []
    public var output: String?
    public var tasks: Int?
    public var workers: Int?
    /// `stage.key=value` settings; the value is YAML.
    public var settings: [String] = []
    public init(
        inputs: [String] = [], output: String? = nil, tasks: Int? = nil, workers: Int? = nil, settings: [String] = []
    ) {
        self.inputs = inputs
        self.output = output
        self.tasks = tasks
        self.workers = workers
        self.settings = settings
    }
}

/// A checked pipeline: inputs found, readers chosen, every stage's options valid.
public struct Pipeline: Sendable {
    public let file: String?
    /// The input paths, sorted byte-wise; file i belongs to segment-0 task i mod `tasks`.
    public let inputs: [String]
    /// The distinct readers used, and for each input the index of its reader.
    public let readers: [StageSpec]
    public let inputReader: [Int]
    public let output: String
    public let tasks: Int
    public let workers: Int?
    public let stages: [StageSpec]
    /// Which stages keep their dropped documents, and how (`dropped:` in the file).
    public var dropAudit = DropAudit()
    /// What a missing input does (`input.on_missing`).
    public let onMissing: MissingInputPolicy
    /// Documents between a segment task's checkpoints, nil for none (`checkpoint_every`).
    public let checkpointEvery: Int?

    /// Loads and checks a pipeline file.
    public static func load(path: String, registry: StageRegistry, overrides: PipelineOverrides = .init()) throws
        -> Pipeline
    {
        try Pipeline(PipelineDescription.load(path: path), registry: registry, overrides: overrides)
    }

    /// Resolves a description: applies overrides, expands input globs, picks readers, builds every
    /// stage once (`options.finish()`, `validate()`), and checks the stage order.
    /// - Throws: `SluiceError(.config)` naming file, line and key.
    public init(_ d: PipelineDescription, registry: StageRegistry, overrides: PipelineOverrides = .init()) throws {
        let file = d.file
        func configError(_ message: String, line: Int = 0) -> SluiceError {
            SluiceError(.config, message, file: file, line: line == 0 ? nil : line)
        }

        // Stages, looked up and checked for shape.
        var stages: [StageSpec] = []
        var droppedValues: [Int: ConfigValue] = [:]  // each stage's own `dropped:` option
        for (name, allValues, line) in d.stages {
            let (dropped, values) = DropAudit.split(allValues)
            if let dropped { droppedValues[stages.count] = dropped }
            guard let type = registry.stage(named: name) else {
                throw configError("unknown stage '\(name)'\(Pipeline.suggestion(name, registry))", line: line)
            }
            if type is any DocumentReader.Type {
                throw configError("'\(name)' is a reader: name it under input.reader, not in stages", line: line)
            }
            stages.append(StageSpec(name: name, type: type, values: values, file: file, line: line))
        }
        var seenWriter = false
        for s in stages {
            let isWriter = s.type is any DocumentWriter.Type
            if seenWriter && !isWriter {
                throw configError("'\(s.name)' comes after a writer; writers end the pipeline", line: s.line)
            }
            seenWriter = seenWriter || isWriter
        }
        let lastCorpus = stages.lastIndex { $0.type is any CorpusStage.Type }
        if !seenWriter {
            if let lastCorpus {
                if lastCorpus != stages.count - 1 {
                    throw configError(
                        "the stages after '\(stages[lastCorpus].name)' need a writer at the end (add `- write: {}`)",
                        line: stages[lastCorpus + 1].line)
                }
            } else {
                throw configError("the pipeline has no writer: end it with `- write: {}`")
            }
        }

        // Readers: named, or chosen per input by extension.
        let patterns = overrides.inputs.isEmpty ? d.inputPatterns : overrides.inputs.map { ($0, 0) }
        let listing = overrides.inputs.isEmpty ? d.pathsListing : nil
        guard !patterns.isEmpty || listing != nil else {
            throw configError("input: no input paths (set input.paths, input.paths_file or --input)")
        }
        var found: [String] = []
        if let listing {
            let (paths, problems) = try listing.paths()
            for p in problems.prefix(5) {
                FileHandle.standardError.write(
                    Data("sluice: warning: input.paths_file \(listing.file): \(p); skipped\n".utf8))
            }
            if problems.count > 5 {
                FileHandle.standardError.write(
                    Data(
                        "sluice: warning: input.paths_file \(listing.file): \(problems.count) malformed lines skipped\n"
                            .utf8))
            }
            found += paths
        }
        for (pattern, line) in patterns {
            if RemoteLocation.isRemote(pattern) {
                // URLs are taken as they are: a server cannot be listed (use input.paths_file).
                if pattern.contains("*") {
                    throw SluiceError(
                        .config, "'\(pattern)': a URL cannot be a glob; list the files in input.paths_file",
                        file: line == 0 ? "--input" : file, line: line == 0 ? nil : line)
                }
                found.append(pattern)
                continue
            }
            let matches = Glob.expand(pattern)
            if matches.isEmpty {
                throw SluiceError(
                    .config, "no input matches '\(pattern)'", file: line == 0 ? "--input" : file,
                    line: line == 0 ? nil : line)
            }
            found += matches
        }
        let inputs = Glob.sortedUnique(found)
        var readers: [StageSpec] = []
        var inputReader: [Int] = []
        if let name = d.reader {
            guard let type = registry.stage(named: name) as? any DocumentReader.Type else {
                throw configError(
                    "input.reader: '\(name)' is not a reader (readers: \(Pipeline.readerNames(registry)))",
                    line: d.readerLine)
            }
            readers = [StageSpec(name: name, type: type, values: d.readerOptions, file: file, line: d.readerLine)]
            inputReader = Array(repeating: 0, count: inputs.count)
        } else {
            for path in inputs {
                guard let type = registry.reader(forPath: path) else {
                    throw configError(
                        "no reader for '\(path)' from its extension: set input.reader (readers: \(Pipeline.readerNames(registry)))"
                    )
                }
                if let i = readers.firstIndex(where: { $0.name == type.name }) {
                    inputReader.append(i)
                } else {
                    inputReader.append(readers.count)
                    readers.append(
                        StageSpec(name: type.name, type: type, values: d.readerOptions, file: file, line: d.readerLine))
                }
            }
            // Options keyed by reader name (`options: {text: {split: paragraph}}`) go to that reader;
            // otherwise they go to the one reader in use.
            let names = Set(readers.map(\.name))
            let keyed =
                !d.readerOptions.isEmpty
                && d.readerOptions.allSatisfy {
                    registry.stage(named: $0.key) is any DocumentReader.Type && $0.value.mapValue != nil
                }
            if keyed {
                // Options of readers no input uses (after `--input`) are ignored.
                for (name, value) in d.readerOptions {
                    if let i = readers.firstIndex(where: { $0.name == name }) {
                        readers[i].values = value.mapValue ?? []
                    } else if let type = registry.stage(named: name) {
                        _ = try StageSpec(
                            name: name, type: type, values: value.mapValue ?? [], file: file, line: value.line
                        ).build()
                    }
                }
                for i in readers.indices where !d.readerOptions.contains(where: { $0.key == readers[i].name }) {
                    readers[i].values = []
                }
            } else if readers.count > 1 && !d.readerOptions.isEmpty {
                throw configError(
                    "input.options: the inputs use several readers (\(names.sorted().joined(separator: ", "))); key the options by reader (options: {text: {split: paragraph}}) or name one with input.reader",
                    line: d.readerOptions[0].value.line)
            }
        }

        // `--set stage.key=value`, applied to every stage (or reader) of that name.
        for setting in overrides.settings {
            let (stageName, key, value) = try OptionSetting.stageOption(setting)
            var applied = false
            if key == "dropped" {  // `--set c4.dropped={sample: 0.1}`: the audit setting, not a stage option
                for i in stages.indices where stages[i].name == stageName {
                    droppedValues[i] = try ConfigValue.parseYAML(value, file: "--set \(setting)").withoutLines
                    applied = true
                }
                if applied { continue }
            }
            for i in stages.indices where stages[i].name == stageName {
                stages[i].overrides.append((key, value))
                applied = true
            }
            for i in readers.indices where readers[i].name == stageName {
                readers[i].overrides.append((key, value))
                applied = true
            }
            if !applied {
                let names = (readers + stages).map(\.name).joined(separator: ", ")
                throw SluiceError(
                    .config, "--set \(setting): the pipeline has no stage '\(stageName)' (it has: \(names))")
            }
        }

        // Build every stage once: strict options, then validate().
        for spec in readers + stages { _ = try spec.build(validate: true) }

        guard let output = overrides.output ?? d.output else {
            throw configError("output: no output folder (set output or --output)")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isFolder), !isFolder.boolValue {
            let message = "output: '\(output)' is a file, not a folder; choose another output folder"
            if overrides.output != nil { throw SluiceError(.config, message, file: "--output") }
            throw configError(message, line: d.outputLine)
        }
        self.file = file
        self.inputs = inputs
        self.readers = readers
        self.inputReader = inputReader
        self.output = output
        self.tasks = overrides.tasks ?? d.tasks ?? max(1, inputs.count)
        self.workers = overrides.workers ?? d.workers
        self.stages = stages
        self.dropAudit = try DropAudit.resolve(
            pipelineValue: d.dropped, stageValues: droppedValues, stages: stages, file: file)
        self.onMissing = d.onMissing
        self.checkpointEvery = d.checkpointEvery
        if self.tasks < 1 { throw configError("tasks: must be at least 1") }
    }

    static func readerNames(_ registry: StageRegistry) -> String {
        let names = registry.stages.compactMap { ($0 as? any DocumentReader.Type)?.name }
        return names.isEmpty ? "none registered" : names.joined(separator: ", ")
    }

    /// ` (did you mean 'x'?)` for a close registered name, else a hint to `sluice stages`.
    static func suggestion(_ name: String, _ registry: StageRegistry) -> String {
        func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
            var previous = Array(0...b.count)
            for (i, x) in a.enumerated() {
                var current = [i + 1]
                for (j, y) in b.enumerated() {
                    current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
                }
                previous = current
            }
            return previous[b.count]
        }
        let best = registry.stages.map { ($0.name, distance(Array(name.utf8), Array($0.name.utf8))) }.min {
            $0.1 < $1.1
        }
        if let best, best.1 <= max(2, name.count / 3) { return " (did you mean '\(best.0)'?)" }
        return " (`sluice stages` lists them)"
    }
}
