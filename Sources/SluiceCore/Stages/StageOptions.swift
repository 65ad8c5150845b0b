// Strict, self-describing stage options. A stage reads each option once with a typed accessor that
// carries its default and help; the same calls, in describing mode, list the options for
// `sluice stages`, so the listing cannot drift from the code. Unknown keys fail in `finish()`.
import Foundation
import Yams

/// A configuration value with the line it came from (0 when it came from the command line).
public indirect enum ConfigValue: Sendable, Equatable {
    case scalar(String, line: Int)
    case list([ConfigValue], line: Int)
    case map([(key: String, value: ConfigValue)], line: Int)

    public static func == (a: ConfigValue, b: ConfigValue) -> Bool {
        switch (a, b) {
        case (.scalar(let x, _), .scalar(let y, _)): x == y
        case (.list(let x, _), .list(let y, _)): x == y
        case (.map(let x, _), .map(let y, _)):
            x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    public var line: Int {
        switch self {
        case .scalar(_, let l), .list(_, let l), .map(_, let l): l
        }
    }

    /// The most values a configuration may expand to once its aliases are resolved. A pipeline file
    /// has a few hundred; nested aliases ("billion laughs") would otherwise grow without bound.
    public static let maxExpandedValues = 100_000
    /// The most scalar bytes a configuration may expand to (plus the size of its text).
    public static let maxExpandedBytes = 16 << 20

    /// Parses a YAML document (or a `--set` value such as `[a, b]` or `0.5`).
    /// - Throws: `SluiceError(.config)` on one line naming `file` and line: bad YAML, a duplicate
    ///   key, or aliases that expand past `maxExpandedValues` values or `maxExpandedBytes` bytes.
    public static func parseYAML(_ text: String, file: String?) throws -> ConfigValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw oneLine(e, file: file)
        } catch {
            let message = "\(error)".split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            throw SluiceError(.config, "not valid YAML: \(message)", file: file)
        }
        guard let node else { return .map([], line: 1) }
        var budget = ExpansionBudget(values: maxExpandedValues, bytes: maxExpandedBytes + text.utf8.count)
        return try ConfigValue(node: node, file: file, budget: &budget)
    }

    /// A Yams error as one line: the problem, and the line (and column) where it is.
    static func oneLine(_ e: YamlError, file: String?) -> SluiceError {
        func make(_ kind: String, _ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> SluiceError {
            var message = "not valid YAML: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line))" }
            message += ", column \(mark.column)"
            return SluiceError(.config, message, file: file, line: mark.line)
        }
        switch e {
        case .scanner(let context, let problem, let mark, _): return make("scanner", context, problem, mark)
        case .parser(let context, let problem, let mark, _): return make("parser", context, problem, mark)
        case .composer(let context, let problem, let mark, _): return make("composer", context, problem, mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return SluiceError(.config, "key \(keys) appears twice in one map", file: file, line: context.mark.line)
        case .reader(let problem, let offset, _, _):
            return SluiceError(.config, "not valid YAML: \(problem)", file: file, offset: offset)
        default:
            let message = "\(e)".split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            return SluiceError(.config, "not valid YAML: \(message)", file: file)
        }
    }

    /// What is left of the expansion allowance while a node tree is converted.
    struct ExpansionBudget {
        var values: Int
        var bytes: Int
    }

    init(node: Node, file: String?, budget: inout ExpansionBudget) throws {
        let line = (node.mark?.line ?? 0)
        budget.values -= 1
        if case .scalar(let s) = node { budget.bytes -= s.string.utf8.count }
        if budget.values < 0 || budget.bytes < 0 {
            throw SluiceError(
                .config,
                "YAML aliases expand to more than \(ConfigValue.maxExpandedValues) values or \(ConfigValue.maxExpandedBytes >> 20) MB; a configuration needs far less (nested aliases?)",
                file: file, line: line == 0 ? nil : line)
        }
        switch node {
        case .scalar(let s): self = .scalar(s.string, line: line)
        case .sequence(let s):
            self = .list(try s.map { try ConfigValue(node: $0, file: file, budget: &budget) }, line: line)
        case .mapping(let m):
            var pairs: [(key: String, value: ConfigValue)] = []
            for (k, v) in m {
                guard case .scalar(let ks) = k else {
                    throw SluiceError(.config, "mapping keys must be plain words", file: file, line: k.mark?.line)
                }
                if pairs.contains(where: { $0.key == ks.string }) {
                    throw SluiceError(.config, "key '\(ks.string)' appears twice", file: file, line: k.mark?.line)
                }
                pairs.append((ks.string, try ConfigValue(node: v, file: file, budget: &budget)))
            }
            self = .map(pairs, line: line)
        case .alias:
            throw SluiceError(.config, "YAML aliases are not supported", file: file, line: line)
        }
    }

    /// The same value with every line set to 0 (a value from the command line).
    var withoutLines: ConfigValue {
        switch self {
        case .scalar(let s, _): .scalar(s, line: 0)
        case .list(let l, _): .list(l.map(\.withoutLines), line: 0)
        case .map(let m, _): .map(m.map { ($0.key, $0.value.withoutLines) }, line: 0)
        }
    }

    public var scalar: String? { if case .scalar(let s, _) = self { s } else { nil } }
    public var listValue: [ConfigValue]? { if case .list(let l, _) = self { l } else { nil } }
    public var mapValue: [(key: String, value: ConfigValue)]? { if case .map(let m, _) = self { m } else { nil } }
    /// The value under `key` of a map.
    public subscript(key: String) -> ConfigValue? { mapValue?.first { $0.key == key }?.value }
}

/// How one option is described in `sluice stages`.
public struct OptionSpec: Sendable, Equatable {
    public var key: String
    public var type: String
    /// The default printed as YAML, or nil when the option is required.
    public var defaultValue: String?
    public var help: String
}

/// The options given to one stage, read through typed accessors.
public struct StageOptions {
    public let stageName: String
    /// The pipeline file, for error messages (nil on the command line).
    public let file: String?
    /// True when building a stage only to list its options: accessors return defaults.
    public let describing: Bool
    private var values: [(key: String, value: ConfigValue)]
    private var used: Set<String> = []
    public private(set) var specs: [OptionSpec] = []
    private let line: Int

    /// Options from a pipeline file's stage entry (a map; line of the entry for messages).
    public init(stageName: String, values: [(key: String, value: ConfigValue)], file: String?, line: Int = 0) {
        self.stageName = stageName
        self.values = values
        self.file = file
        self.line = line
        self.describing = false
    }

    /// Empty options in describing mode.
    public static func describing(_ stageName: String) -> StageOptions {
        StageOptions(stageName: stageName, describing: true)
    }

    private init(stageName: String, describing: Bool) {
        self.stageName = stageName
        self.values = []
        self.file = nil
        self.line = 0
        self.describing = describing
    }

    /// Applies `key=value` overrides (`--set`); the value is YAML (`0.5`, `[a, b]`, `{x: 1}`).
    /// Errors about the key then name the flag, not the pipeline file.
    public mutating func override(_ key: String, yaml: String) throws {
        let flag = "--set \(stageName).\(key)=\(yaml)"
        let v: ConfigValue
        do { v = try ConfigValue.parseYAML(yaml, file: flag).withoutLines } catch var e as SluiceError {
            e.line = nil
            e.message = "\(stageName).\(key): " + e.message
            throw e
        }
        let value: ConfigValue = if case .map(let m, _) = v, m.isEmpty { .scalar(yaml, line: 0) } else { v }
        if let i = values.firstIndex(where: { $0.key == key }) {
            values[i].value = value
        } else {
            values.append((key, value))
        }
        overrideFlags[key] = flag
    }

    /// The `--set` flag that gave each overridden key, for messages.
    private var overrideFlags: [String: String] = [:]

    /// Whether the user gave `key` at all.
    public func has(_ key: String) -> Bool { values.contains { $0.key == key } }

    // MARK: - Errors

    /// A configuration error naming the stage, key, file and line.
    public func error(_ key: String, _ message: String) -> SluiceError {
        if let flag = overrideFlags[key] { return SluiceError(.config, "\(stageName).\(key): \(message)", file: flag) }
        let l = values.first { $0.key == key }?.value.line ?? line
        return SluiceError(.config, "\(stageName).\(key): \(message)", file: file ?? "--set", line: l == 0 ? nil : l)
    }

    /// Throws for keys that no accessor read: typos fail loudly instead of doing nothing.
    public func finish() throws {
        for (k, _) in values where !used.contains(k) {
            let known = specs.map(\.key).joined(separator: ", ")
            throw error(k, "unknown option (known: \(known.isEmpty ? "none" : known))")
        }
    }

    // MARK: - Accessors

    private mutating func take(_ key: String, _ type: String, _ def: String?, _ help: String) -> ConfigValue? {
        used.insert(key)
        if !specs.contains(where: { $0.key == key }) {
            specs.append(OptionSpec(key: key, type: type, defaultValue: def, help: help))
        }
        return describing ? nil : values.first { $0.key == key }?.value
    }

    private func scalar(_ key: String, _ v: ConfigValue, _ type: String) throws -> String {
        guard let s = v.scalar else { throw error(key, "expected a \(type)") }
        return s
    }

    /// A required string (describing mode returns "").
    public mutating func string(_ key: String, _ help: String) throws -> String {
        guard let v = take(key, "string", nil, help) else {
            if describing { return "" }
            throw error(key, "required option is missing")
        }
        return try scalar(key, v, "string")
    }

    public mutating func string(_ key: String, default def: String, _ help: String) throws -> String {
        guard let v = take(key, "string", def, help) else { return def }
        return try scalar(key, v, "string")
    }

    public mutating func optionalString(_ key: String, _ help: String) throws -> String? {
        guard let v = take(key, "string", "null", help) else { return nil }
        let s = try scalar(key, v, "string")
        return s == "null" || s == "~" ? nil : s
    }

    /// A string that must be one of `choices`.
    public mutating func choice(_ key: String, default def: String, _ choices: [String], _ help: String) throws
        -> String
    {
        guard let v = take(key, choices.joined(separator: "|"), def, help) else { return def }
        let s = try scalar(key, v, "string")
        guard choices.contains(s) else { throw error(key, "'\(s)' is not one of \(choices.joined(separator: ", "))") }
        return s
    }

    public mutating func bool(_ key: String, default def: Bool, _ help: String) throws -> Bool {
        guard let v = take(key, "bool", String(def), help) else { return def }
        switch try scalar(key, v, "bool").lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        case let s: throw error(key, "'\(s)' is not true or false")
        }
    }

    public mutating func int(_ key: String, default def: Int, range: ClosedRange<Int>? = nil, _ help: String) throws
        -> Int
    {
        guard let v = take(key, "int", String(def), help) else { return def }
        let s = try scalar(key, v, "integer").replacingOccurrences(of: "_", with: "")
        guard let i = Int(s) else { throw error(key, "'\(s)' is not an integer") }
        if let range, !range.contains(i) {
            throw error(key, "\(i) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return i
    }

    public mutating func optionalInt(_ key: String, range: ClosedRange<Int>? = nil, _ help: String) throws -> Int? {
        guard let v = take(key, "int", "null", help) else { return nil }
        let s = try scalar(key, v, "integer")
        if s == "null" || s == "~" { return nil }
        guard let i = Int(s) else { throw error(key, "'\(s)' is not an integer") }
        if let range, !range.contains(i) {
            throw error(key, "\(i) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return i
    }

    public mutating func double(
        _ key: String, default def: Double, range: ClosedRange<Double>? = nil, _ help: String
    ) throws -> Double {
        guard let v = take(key, "number", String(def), help) else { return def }
        let s = try scalar(key, v, "number")
        guard let d = Double(s), d.isFinite else { throw error(key, "'\(s)' is not a number") }
        if let range, !range.contains(d) {
            throw error(key, "\(d) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return d
    }

    /// A byte size: `1048576`, `64KB`, `256MB`, `2GB` (powers of 1000; `KiB`, `MiB`, `GiB` for 1024).
    public mutating func bytes(_ key: String, default def: Int, _ help: String) throws -> Int {
        guard let v = take(key, "size", String(def), help) else { return def }
        let s = try scalar(key, v, "size")
        guard let n = StageOptions.parseSize(s) else { throw error(key, "'\(s)' is not a size such as 256MB") }
        return n
    }

    /// Parses `256MB`-style sizes.
    public static func parseSize(_ s: String) -> Int? {
        let t = s.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Int)] = [
            ("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("KB", 1000), ("MB", 1_000_000),
            ("GB", 1_000_000_000), ("K", 1000), ("M", 1_000_000), ("G", 1_000_000_000), ("B", 1),
        ]
        for (u, m) in units where t.hasSuffix(u) {
            guard let d = Double(t.dropLast(u.count).trimmingCharacters(in: .whitespaces)), d >= 0 else { return nil }
            return Int(d * Double(m))
        }
        return Int(t)
    }

    public mutating func stringList(_ key: String, default def: [String], _ help: String) throws -> [String] {
        guard let v = take(key, "list", "[" + def.joined(separator: ", ") + "]", help) else { return def }
        if let s = v.scalar { return [s] }
        guard let l = v.listValue else { throw error(key, "expected a list") }
        return try l.map { try scalar(key, $0, "string") }
    }

    public mutating func intList(_ key: String, default def: [Int], _ help: String) throws -> [Int] {
        let l = try stringList(key, default: def.map(String.init), help)
        return try l.map { s in
            guard let i = Int(s) else { throw error(key, "'\(s)' is not an integer") }
            return i
        }
    }

    /// A raw value for stage-specific shapes (nested maps); nil when absent.
    public mutating func raw(_ key: String, type: String, default def: String?, _ help: String) -> ConfigValue? {
        take(key, type, def, help)
    }
}
