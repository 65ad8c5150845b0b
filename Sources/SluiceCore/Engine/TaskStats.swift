// Per-task statistics: what each stage took in and let out, why it dropped, what broke, how long
// it took. Written as JSON beside the outputs; `sluice stats` merges them.

/// The figures of one stage within one task (or merged over tasks).
public struct StageStats: Sendable, Equatable {
    public var name: String
    public var documentsIn = 0
    public var documentsOut = 0
    public var bytesIn = 0
    public var bytesOut = 0
    /// Drops by reason (`gopher_quality:word_count`).
    public var drops: [String: Int] = [:]
    /// Broken records by kind (`warc:truncated_record`).
    public var errors: [String: Int] = [:]
    /// Stage-specific counters.
    public var counters: [String: Int] = [:]
    public var seconds = 0.0

    public init(name: String) { self.name = name }

    public mutating func merge(_ o: StageStats) {
        documentsIn += o.documentsIn
        documentsOut += o.documentsOut
        bytesIn += o.bytesIn
        bytesOut += o.bytesOut
        drops.merge(o.drops, uniquingKeysWith: +)
        errors.merge(o.errors, uniquingKeysWith: +)
        counters.merge(o.counters, uniquingKeysWith: +)
        seconds += o.seconds
    }
}

/// The stats of one task: one entry per stage, in pipeline order.
public struct TaskStats: Sendable, Equatable {
    public var stages: [StageStats]
    public init(stageNames: [String]) { stages = stageNames.map { StageStats(name: $0) } }
}

// MARK: - JSON form

extension StageStats: Codable {
    enum CodingKeys: String, CodingKey {
        case name, drops, errors, counters, seconds
        case documentsIn = "documents_in"
        case documentsOut = "documents_out"
        case bytesIn = "bytes_in"
        case bytesOut = "bytes_out"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        documentsIn = try c.decodeIfPresent(Int.self, forKey: .documentsIn) ?? 0
        documentsOut = try c.decodeIfPresent(Int.self, forKey: .documentsOut) ?? 0
        bytesIn = try c.decodeIfPresent(Int.self, forKey: .bytesIn) ?? 0
        bytesOut = try c.decodeIfPresent(Int.self, forKey: .bytesOut) ?? 0
        drops = try c.decodeIfPresent([String: Int].self, forKey: .drops) ?? [:]
        errors = try c.decodeIfPresent([String: Int].self, forKey: .errors) ?? [:]
        counters = try c.decodeIfPresent([String: Int].self, forKey: .counters) ?? [:]
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds) ?? 0
    }
}

extension TaskStats: Codable {}
