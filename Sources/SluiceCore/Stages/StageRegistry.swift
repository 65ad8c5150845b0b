// Stages by YAML name. Each library lists its stages in one array (`CoreStages.all`,
// `IngestStages.all`, …) and the CLI joins them, so adding a stage is one new file and one line.

/// The stages a run can use, looked up by name or by input file extension.
public struct StageRegistry: Sendable {
    public let stages: [any Stage.Type]

    /// - Precondition: names are unique.
    public init(_ stages: [any Stage.Type]) {
        var seen = Set<String>()
        for s in stages { precondition(seen.insert(s.name).inserted, "stage '\(s.name)' registered twice") }
        self.stages = stages
    }

    public func stage(named name: String) -> (any Stage.Type)? { stages.first { $0.name == name } }

    /// The reader whose longest extension ends `path`, e.g. `jsonl` for `x.jsonl.zst`.
    public func reader(forPath path: String) -> (any DocumentReader.Type)? {
        var best: (any DocumentReader.Type)?
        var bestLength = 0
        for case let r as any DocumentReader.Type in stages {
            for ext in r.fileExtensions where path.hasSuffix(ext) && ext.count > bestLength {
                best = r
                bestLength = ext.count
            }
        }
        return best
    }

    /// The kind of a stage type, for listings.
    public static func kind(of type: any Stage.Type) -> String {
        switch type {
        case is any DocumentReader.Type: "reader"
        case is any DocumentWriter.Type: "writer"
        case is any CorpusStage.Type: "corpus"
        case is any Filter.Type: "filter"
        default: "step"
        }
    }
}
