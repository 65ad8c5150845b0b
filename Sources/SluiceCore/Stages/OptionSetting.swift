// One `--set` flag as every command reads it: `stage.key=value` (`section.key=value` for training),
// the value YAML text. Parsing only; applying the value is the pipeline's or the trainer's.

/// A parsed `--set name.key=value` flag.
public struct OptionSetting: Sendable, Equatable {
    /// What the flag said, for messages.
    public let flag: String
    /// Everything before the first `=`: `length.min_words`, `train.lr`, `out`.
    public let path: String
    /// The text after the first `=` (YAML: `0.5`, `[a, b]`).
    public let value: String

    /// Splits `flag` at its first `=`.
    /// - Parameter expecting: the shape named in the error (`stage.key=value`).
    /// - Throws: `SluiceError(.config)` "--set X: expected stage.key=value" when there is no `=`.
    public init(parsing flag: String, expecting: String = "stage.key=value") throws {
        guard let eq = flag.firstIndex(of: "="), eq != flag.startIndex else {
            throw SluiceError(.config, "--set \(flag): expected \(expecting)")
        }
        self.flag = flag
        path = String(flag[..<eq])
        value = String(flag[flag.index(after: eq)...])
    }

    /// `path` split at its first dot: (`length`, `min_words`); nil when it has no dot.
    public var stageAndKey: (stage: String, key: String)? {
        guard let dot = path.firstIndex(of: "."), dot != path.startIndex, path.index(after: dot) != path.endIndex else {
            return nil
        }
        return (String(path[..<dot]), String(path[path.index(after: dot)...]))
    }

    /// Parses a `stage.key=value` flag.
    /// - Throws: `SluiceError(.config)` "--set X: expected stage.key=value" without `=` or the dot.
    public static func stageOption(_ flag: String) throws -> (stage: String, key: String, value: String) {
        let s = try OptionSetting(parsing: flag)
        guard let (stage, key) = s.stageAndKey else {
            throw SluiceError(.config, "--set \(flag): expected stage.key=value")
        }
        return (stage, key, s.value)
    }
}
