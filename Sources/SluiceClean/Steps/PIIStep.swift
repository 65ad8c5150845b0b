// `pii`: finds e-mail addresses, public IP addresses, phone numbers, credit-card numbers and IBANs
// (PIIScanner) and redacts them with typed placeholders, tags their spans, or drops documents with
// too many. Counts per kind go to the stage's stats. It does not find names or street addresses.
import SluiceCore

/// Redacts, tags or drops personal data (datatrove `PIIFormatter`, Presidio's pattern recognizers).
///
/// `mode: redact` (default) replaces each match with its kind's placeholder (`<EMAIL_ADDRESS>`,
/// `<IP_ADDRESS>`, `<PHONE_NUMBER>`, `<CREDIT_CARD>`, `<IBAN_CODE>`, Presidio's entity names);
/// `mode: tag` leaves the text and writes `[start, end, "EMAIL_ADDRESS"]` spans (code point
/// offsets, as Python slices the text) under `metadata[tag_key]`; `mode: drop` drops a document
/// with more than `max_matches` matches (`pii:too_many_matches`) and keeps the rest unchanged.
public struct PIIStep: Step {
    public static let name = "pii"
    public static let summary = "redact, tag or drop e-mails, public IPs, phones, Luhn-valid cards and valid IBANs"
    public static let tooManyMatches = DropReason("pii:too_many_matches")

    public enum Mode: String, Sendable { case redact, tag, drop }

    public var mode: Mode
    public var scanner: PIIScanner
    /// Placeholder per kind, indexed by `PIIKind.rawValue`.
    public var replacements: [String]
    public var maxMatches: Int
    public var tagKey: String
    private var matches: [PIIMatch] = []
    private var output: [UInt8] = []
    private var replacementBytes: [[UInt8]] = []

    public init(options: inout StageOptions) throws {
        mode = Mode(
            rawValue: try options.choice(
                "mode", default: "redact", ["redact", "tag", "drop"],
                "redact: replace with placeholders; tag: record spans in metadata; drop: drop above max_matches"))!
        let all = PIIKind.allCases.map(\.key)
        let kinds = try options.stringList("kinds", default: all, "kinds to find: " + all.joined(separator: ", "))
        var chosen = Set<PIIKind>()
        for k in kinds {
            guard let kind = PIIKind.allCases.first(where: { $0.key == k }) else {
                throw options.error("kinds", "'\(k)' is not one of \(all.joined(separator: ", "))")
            }
            chosen.insert(kind)
        }
        let publicOnly = try options.bool(
            "public_ips_only", default: true, "only IP addresses routable on the internet (datatrove's default)")
        scanner = PIIScanner(kinds: chosen, publicIPsOnly: publicOnly)
        replacements = []
        for kind in PIIKind.allCases {
            replacements.append(
                try options.string(
                    kind.key + "_replacement", default: "<\(kind.entity)>", "placeholder for \(kind.key) in redact mode"
                ))
        }
        maxMatches = try options.int(
            "max_matches", default: 0, range: 0...Int.max, "drop mode: drop documents with more matches than this")
        tagKey = try options.string("tag_key", default: "pii", "tag mode: metadata key of the span list")
        guard !tagKey.isEmpty else { throw options.error("tag_key", "must not be empty") }
        replacementBytes = replacements.map { Array($0.utf8) }
    }

    public mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
        let found = withUTF8Bytes(document.text) { b -> Bool in
            scanner.scan(b, into: &matches)
            guard !matches.isEmpty else { return false }
            if mode == .redact { redact(b) }
            if mode == .tag { document.metadata[tagKey] = .array(spans(b)) }
            return true
        }
        guard found else { return .keep }
        count(context)
        switch mode {
        case .redact: document.text = String(decoding: output, as: UTF8.self)
        case .tag: break
        case .drop: if matches.count > maxMatches { return .drop(Self.tooManyMatches) }
        }
        return .keep
    }

    /// Counts matches per kind (`email`, `ip_address`, …) and the documents that had any.
    @inline(never)
    private func count(_ context: TaskContext) {
        var perKind = [Int](repeating: 0, count: PIIKind.allCases.count)
        for m in matches { perKind[m.kind.rawValue] += 1 }
        for kind in PIIKind.allCases where perKind[kind.rawValue] > 0 {
            context.count(kind.key, by: perKind[kind.rawValue])
        }
        context.count("documents_with_pii")
    }

    /// Fills `output` with `b`, each match replaced by its placeholder.
    private mutating func redact(_ b: UnsafeBufferPointer<UInt8>) {
        output.removeAll(keepingCapacity: true)
        var at = 0
        for m in matches {
            output.append(contentsOf: UnsafeBufferPointer(rebasing: b[at..<m.start]))
            output.append(contentsOf: replacementBytes[m.kind.rawValue])
            at = m.end
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: b[at...]))
    }

    /// The matches as `[start, end, ENTITY]` in code point offsets.
    private func spans(_ b: UnsafeBufferPointer<UInt8>) -> [JSONValue] {
        var out: [JSONValue] = []
        var at = 0
        var points = 0
        for m in matches {
            points += codePointCount(b, at..<m.start)
            let start = points
            points += codePointCount(b, m.start..<m.end)
            at = m.end
            out.append(.array([.int(Int64(start)), .int(Int64(points)), .string(m.kind.entity)]))
        }
        return out
    }
}
