// The text of `sluice stages`: each stage built in describing mode by `StageBuilder`, so the listed
// options, types, defaults and help are exactly what the code reads. Never hand-written, never out of date.

/// Renders registered stages with their options.
public enum StageListing {
    /// One block per stage: `name (kind[: extensions])`, the summary, then one line per option
    /// (`key  type  default  help`).
    /// - Throws: when a stage cannot describe its options (a bug in that stage).
    public static func text(_ types: [any Stage.Type]) throws -> String {
        var out = ""
        for type in types {
            var kind = StageRegistry.kind(of: type)
            if let reader = type as? any DocumentReader.Type, !reader.fileExtensions.isEmpty {
                kind += ": " + reader.fileExtensions.joined(separator: " ")
            }
            out += "\(type.name) (\(kind))\n    \(type.summary)\n"
            let specs = try options(of: type)
            if specs.isEmpty {
                out += "    no options\n"
            } else {
                let keyWidth = specs.map(\.key.count).max() ?? 0
                let typeWidth = specs.map(\.type.count).max() ?? 0
                let defaults = specs.map { $0.defaultValue.map { "= " + $0 } ?? "(required)" }
                let defaultWidth = defaults.map(\.count).max() ?? 0
                for (spec, d) in zip(specs, defaults) {
                    out +=
                        "    " + pad(spec.key, keyWidth) + "  " + pad(spec.type, typeWidth) + "  "
                        + pad(d, defaultWidth)
                        + "  " + spec.help + "\n"
                }
            }
            out += "\n"
        }
        return out
    }

    /// The options a stage reads, in the order it reads them (`StageBuilder.options(of:)`).
    public static func options(of type: any Stage.Type) throws -> [OptionSpec] {
        try StageBuilder.options(of: type)
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s + String(repeating: " ", count: max(0, width - s.count))
    }
}
