// Instruction-tuning data: JSONL (optionally .gz / .zst) of `{"prompt", "response"}` (also
// `"completion"`, TRL's prompt–completion name, and an optional `"system"`) or of
// `{"messages": [{"role", "content"}, …]}` (the chat format of OpenAssistant and TRL). Bad
// records are counted under a named reason and logged with file and line; a role the template
// does not know stops the run (the template must be fixed, not the data skipped). Conversations
// longer than the context are cut from the prompt side and counted, never dropped.
import Foundation
import SluiceCore
import SluiceTokenize

/// A conversation read from a file, with where it came from.
public struct SFTExample: Sendable, Equatable {
    public var messages: [ChatMessage]
    public var file: String
    public var line: Int
    public init(messages: [ChatMessage], file: String, line: Int) {
        self.messages = messages
        self.file = file
        self.line = line
    }
}

/// Counts of what reading, encoding and packing did, by `sft:reason`.
public struct SFTCounts: Sendable, Equatable {
    /// A line that is not a JSON object.
    public static let badJSON = "sft:bad_json"
    /// A record with neither `messages` nor `prompt`, or a message that is not {role, content} strings.
    public static let badRecord = "sft:bad_record"
    /// A prompt without a response (missing, null or empty), or a conversation without an assistant turn.
    public static let noResponse = "sft:no_response"
    /// `"messages": []`.
    public static let emptyConversation = "sft:empty_conversation"
    /// Kept, but longer than the context: tokens cut from the prompt side.
    public static let truncated = "sft:truncated"
    /// Kept, but the last assistant turn alone is longer than the context: its end is cut too.
    public static let truncatedResponse = "sft:truncated_response"

    /// Examples read (every non-blank line).
    public var lines = 0
    /// Examples kept.
    public var kept = 0
    /// Dropped or altered examples by reason.
    public var reasons: [String: Int] = [:]

    public init() {}

    mutating func add(_ reason: String) { reasons[reason, default: 0] += 1 }
    public subscript(reason: String) -> Int { reasons[reason] ?? 0 }

    /// `{"lines", "kept", "sft:…": n}` with reasons sorted.
    public var json: JSONObject {
        var o: JSONObject = ["lines": .int(Int64(lines)), "kept": .int(Int64(kept))]
        for k in reasons.keys.sorted() { o[k] = .int(Int64(reasons[k]!)) }
        return o
    }
}

/// Reads instruction-tuning files.
public enum SFTReader {
    /// Reads every example of `paths` in order, checking roles against `template`.
    /// - Parameter log: receives one line per dropped record (the first 5 of each reason).
    /// - Throws: an I/O error for an unreadable file; a config error naming file and line for a role
    ///   the template does not know.
    public static func read(
        paths: [String], template: ChatTemplate, counts: inout SFTCounts, log: (String) -> Void = { _ in }
    ) throws -> [SFTExample] {
        var out: [SFTExample] = []
        var parser = JSONParser()
        var logged: [String: Int] = [:]
        for path in paths {
            let reader = try LineReader(path: path)
            while let raw = try reader.next() {
                let lineNo = reader.lineNumber
                var blank = true
                for b in raw where b != 0x20 && b != 0x09 && b != 0x0D {
                    blank = false
                    break
                }
                if blank { continue }
                counts.lines += 1
                switch try parse(raw, parser: &parser, template: template, file: path, line: lineNo) {
                case .success(let ex):
                    out.append(ex)
                case .failure(let drop):
                    counts.add(drop.reason)
                    logged[drop.reason, default: 0] += 1
                    if logged[drop.reason]! <= 5 { log("\(drop.reason): \(drop.detail) (\(path):\(lineNo))") }
                }
            }
        }
        return out
    }

    /// A record that was not kept, with its reason.
    public struct Drop: Error, Equatable {
        public var reason: String
        public var detail: String
    }

    /// Parses one JSONL line into a conversation, or the reason it cannot be one.
    public static func parse(
        _ raw: UnsafeRawBufferPointer, parser: inout JSONParser, template: ChatTemplate, file: String, line: Int
    ) throws -> Result<SFTExample, Drop> {
        guard let v = try? parser.parse(raw), let o = v.objectValue else {
            return .failure(Drop(reason: SFTCounts.badJSON, detail: "not a JSON object"))
        }
        var messages: [ChatMessage] = []
        if let m = o["messages"] {
            guard let list = m.arrayValue else {
                return .failure(Drop(reason: SFTCounts.badRecord, detail: "messages is not a list"))
            }
            if list.isEmpty { return .failure(Drop(reason: SFTCounts.emptyConversation, detail: "messages is empty")) }
            for (k, item) in list.enumerated() {
                guard let mo = item.objectValue, let role = mo["role"]?.stringValue,
                    let content = mo["content"]?.stringValue
                else {
                    return .failure(
                        Drop(
                            reason: SFTCounts.badRecord, detail: "messages[\(k)] is not {\"role\", \"content\"} strings"
                        ))
                }
                messages.append(ChatMessage(role: role, content: content))
            }
        } else if let p = o["prompt"] {
            guard let prompt = p.stringValue else {
                return .failure(Drop(reason: SFTCounts.badRecord, detail: "prompt is not a string"))
            }
            let r = o["response"] ?? o["completion"]
            guard let r, r != .null else { return .failure(Drop(reason: SFTCounts.noResponse, detail: "no response")) }
            guard let response = r.stringValue else {
                return .failure(Drop(reason: SFTCounts.badRecord, detail: "response is not a string"))
            }
            if let s = o["system"], let system = s.stringValue {
                messages.append(ChatMessage(role: "system", content: system))
            }
            messages.append(ChatMessage(role: "user", content: prompt))
            messages.append(ChatMessage(role: template.assistantRole, content: response))
        } else {
            return .failure(Drop(reason: SFTCounts.badRecord, detail: "neither \"messages\" nor \"prompt\""))
        }
        for (k, m) in messages.enumerated() where template.marker(of: m.role) == nil {
            throw SluiceError(
                .config,
                "message \(k) has role '\(m.role)', which the chat template does not know (roles: "
                    + template.roles.map(\.role).joined(separator: ", ") + "; add it under sft.roles)", file: file,
                line: line)
        }
        guard messages.contains(where: { $0.role == template.assistantRole && !$0.content.isEmpty }) else {
            return .failure(Drop(reason: SFTCounts.noResponse, detail: "no non-empty \(template.assistantRole) turn"))
        }
        return .success(SFTExample(messages: messages, file: file, line: line))
    }
}

/// One conversation as token ids with the positions the loss is taken on.
public struct SFTSequence: Sendable, Equatable {
    /// Marker and content ids, turn after turn.
    public var ids: [Int32]
    /// `labels[i]`: id i is an assistant token (content or its end-of-turn), predicted by the loss.
    public var labels: [Bool]
    public init(ids: [Int32], labels: [Bool]) {
        precondition(ids.count == labels.count)
        self.ids = ids
        self.labels = labels
    }
}

/// Turns conversations into token sequences of at most `contextLength` ids.
public struct SFTEncoder {
    public let template: ChatTemplate
    public let markerIDs: ChatTemplateIDs
    public let codec: TokenizerCodec
    public let contextLength: Int

    /// - Throws: when the tokenizer lacks a marker (extend it with `ChatTemplate.extend` first).
    public init(template: ChatTemplate, tokenizer: Tokenizer, contextLength: Int) throws {
        self.template = template
        markerIDs = try template.ids(in: tokenizer)
        codec = TokenizerCodec(tokenizer)
        self.contextLength = contextLength
    }

    /// The ids and labels of `messages`, uncut; and where the last assistant turn's marker is (−1: none).
    public func encodeWhole(_ messages: [ChatMessage]) -> (SFTSequence, lastAssistant: Int) {
        var ids: [Int32] = [], labels: [Bool] = []
        var last = -1
        for m in messages {
            let isAssistant = m.role == template.assistantRole
            if isAssistant { last = ids.count }
            ids.append(markerIDs.roles[m.role]!)
            labels.append(false)
            let c = codec.encode(m.content)
            ids += c
            labels += repeatElement(isAssistant, count: c.count)
            ids.append(markerIDs.endOfTurn)
            labels.append(isAssistant)
        }
        return (SFTSequence(ids: ids, labels: labels), last)
    }

    /// `encodeWhole`, cut to the context: tokens go from the front (the prompt side) up to the last
    /// assistant turn's marker; if that turn alone is too long, its end goes too. Counted in `counts`.
    public func encode(_ messages: [ChatMessage], counts: inout SFTCounts) -> SFTSequence {
        var (s, last) = encodeWhole(messages)
        let T = contextLength, n = s.ids.count
        guard n > T else { return s }
        counts.add(SFTCounts.truncated)
        let drop = n - T
        if drop <= last {
            s.ids.removeFirst(drop)
            s.labels.removeFirst(drop)
        } else {
            counts.add(SFTCounts.truncatedResponse)
            s.ids = Array(s.ids[last..<(last + T)])
            s.labels = Array(s.labels[last..<(last + T)])
        }
        return s
    }

    /// The generation prompt for the last assistant turn of `messages` (everything before it and the
    /// assistant marker), cut from the front to leave `room` positions, and that turn's reference text.
    public func promptAndReference(_ messages: [ChatMessage], room: Int) -> (prompt: [Int32], reference: String)? {
        guard let k = messages.lastIndex(where: { $0.role == template.assistantRole }) else { return nil }
        var ids = encodeWhole(Array(messages[..<k])).0.ids
        ids.append(markerIDs.assistant)
        let keep = max(1, contextLength - room)
        if ids.count > keep { ids.removeFirst(ids.count - keep) }
        return (ids, messages[k].content)
    }
}

/// Sequences packed into windows of T positions (inputs), targets −1 where no loss is taken,
/// and per-position segment starts so that no position attends across examples.
public struct PackedWindows: Sendable {
    public let T: Int
    public private(set) var tokens: [Int32] = []
    public private(set) var targets: [Int32] = []
    public private(set) var segments: [Int32] = []
    /// Windows packed.
    public var count: Int { tokens.count / T }
    /// Target positions (assistant tokens) in all windows.
    public private(set) var targetCount = 0
    /// Examples packed.
    public private(set) var examples = 0

    /// Packs `sequences` in order, first fit into the current window (a sequence that does not fit
    /// the rest of it starts the next); unused positions are padding with id `pad` and no target.
    /// With `onePerWindow` every sequence starts a window of its own.
    public init(_ sequences: [SFTSequence], T: Int, pad: Int32, onePerWindow: Bool = false) {
        self.T = T
        var tokens: [Int32] = [], targets: [Int32] = [], segments: [Int32] = []
        var targetCount = 0, examples = 0
        var used = T  // positions used in the current window; T forces a new one
        func padWindow() {
            while used < T {
                tokens.append(pad)
                targets.append(-1)
                segments.append(Int32(used))
                used += 1
            }
        }
        for s in sequences {
            let n = s.ids.count
            precondition(n <= T, "a sequence longer than the window (encode cuts them)")
            guard n > 0 else { continue }
            if used + n > T || (onePerWindow && used > 0) {
                padWindow()
                used = 0
            }
            let start = Int32(used)
            for i in 0..<n {
                tokens.append(s.ids[i])
                let trained = i + 1 < n && s.labels[i + 1]
                targets.append(trained ? s.ids[i + 1] : -1)
                if trained { targetCount += 1 }
                segments.append(start)
            }
            used += n
            examples += 1
        }
        padWindow()
        self.tokens = tokens
        self.targets = targets
        self.segments = segments
        self.targetCount = targetCount
        self.examples = examples
    }

    /// Window `w`'s tokens, targets and segment starts.
    public func window(_ w: Int) -> (ArraySlice<Int32>, ArraySlice<Int32>, ArraySlice<Int32>) {
        let r = (w * T)..<((w + 1) * T)
        return (tokens[r], targets[r], segments[r])
    }
}
