// The chat template of instruction tuning: each message is its role's marker, the content, and
// the end-of-turn marker (`<|user|>Hi<|end|><|assistant|>Hello<|end|>`), markers being special
// added tokens of the tokenizer. The same template is written as Jinja into tokenizer_config.json
// (`chat_template`), so `transformers`' `apply_chat_template` renders exactly what Sluice trains on.
import Foundation
import SluiceCore
import SluiceTokenize

/// A message of a conversation.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// Role markers and the end-of-turn marker; the loss is taken on the `assistant` role's turns.
public struct ChatTemplate: Sendable, Equatable {
    /// Role → marker, in the order they are listed (and added to the tokenizer).
    public var roles: [(role: String, marker: String)]
    /// Closes every turn; generation stops at it.
    public var endOfTurn: String
    /// The role whose turns are trained on and generated.
    public var assistantRole = "assistant"

    public static func == (a: ChatTemplate, b: ChatTemplate) -> Bool {
        a.endOfTurn == b.endOfTurn && a.assistantRole == b.assistantRole
            && a.roles.map(\.role) == b.roles.map(\.role) && a.roles.map(\.marker) == b.roles.map(\.marker)
    }

    /// `system`, `user`, `assistant` as `<|system|>`, `<|user|>`, `<|assistant|>`; turns end with `<|end|>`.
    public static let standard = ChatTemplate(
        roles: [("system", "<|system|>"), ("user", "<|user|>"), ("assistant", "<|assistant|>")], endOfTurn: "<|end|>")

    public init(roles: [(role: String, marker: String)], endOfTurn: String) {
        self.roles = roles
        self.endOfTurn = endOfTurn
    }

    /// The marker of `role`, or nil for a role the template does not know.
    public func marker(of role: String) -> String? { roles.first { $0.role == role }?.marker }

    /// Every marker, roles first then end-of-turn, without repeats.
    public var markers: [String] {
        var seen = Set<String>(), out: [String] = []
        for m in roles.map(\.marker) + [endOfTurn] where seen.insert(m).inserted { out.append(m) }
        return out
    }

    /// Checks that markers are non-empty, that no marker contains another, and that the assistant role exists.
    public func validate() throws {
        guard marker(of: assistantRole) != nil else {
            throw SluiceError(.config, "the chat template has no '\(assistantRole)' role")
        }
        for m in markers where m.isEmpty { throw SluiceError(.config, "a chat marker cannot be empty") }
        let ms = markers
        for a in ms {
            for b in ms where a != b && a.contains(b) {
                throw SluiceError(.config, "chat marker \(a) contains marker \(b)")
            }
        }
    }

    /// The rendered conversation (what the Jinja template gives), with the assistant marker
    /// appended when `addGenerationPrompt`.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = false) -> String {
        var s = ""
        for m in messages { s += (marker(of: m.role) ?? "") + m.content + endOfTurn }
        if addGenerationPrompt { s += marker(of: assistantRole) ?? "" }
        return s
    }

    /// The Jinja source for tokenizer_config.json's `chat_template` (`messages`, `add_generation_prompt`).
    public var jinja: String {
        var s = "{% for message in messages %}"
        for (k, r) in roles.enumerated() {
            s +=
                (k == 0 ? "{% if" : "{% elif")
                + " message['role'] == \(jinjaString(r.role)) %}{{ \(jinjaString(r.marker)) }}"
        }
        s += "{% else %}{{ raise_exception('unknown role: ' + message['role']) }}{% endif %}"
        s += "{{ message['content'] + \(jinjaString(endOfTurn)) }}{% endfor %}"
        s += "{% if add_generation_prompt %}{{ \(jinjaString(marker(of: assistantRole) ?? "")) }}{% endif %}"
        return s
    }

    private func jinjaString(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    // MARK: - Tokenizer

    /// `tokenizer` with every marker it lacks added as a special token (new ids after the last);
    /// the second value lists the markers added.
    public func extend(_ tokenizer: Tokenizer) throws -> (Tokenizer, added: [String]) {
        let special = tokenizer.specialTokens
        let missing = markers.filter { special[$0] == nil }
        guard !missing.isEmpty else { return (tokenizer, []) }
        var vocab = tokenizer.vocab, added = tokenizer.addedTokens
        for m in missing {
            if let id = tokenizer.vocab.firstIndex(of: m) {
                throw SluiceError(
                    .config,
                    "chat marker \(m) is already the ordinary token \(id) of the tokenizer; choose another marker")
            }
            added.append(.init(id: UInt32(vocab.count), content: m, special: true))
            vocab.append(m)
        }
        let t = try Tokenizer(
            kind: tokenizer.kind, vocab: vocab, merges: tokenizer.merges, scores: tokenizer.scores,
            unkID: tokenizer.unkID,
            byteFallback: tokenizer.byteFallback, ignoreMerges: tokenizer.ignoreMerges,
            preTokenizer: tokenizer.preTokenizer,
            normalizer: tokenizer.normalizer, addedTokens: added, templatePrefix: tokenizer.templatePrefix,
            templateSuffix: tokenizer.templateSuffix)
        return (t, missing)
    }

    /// The ids of the markers in `tokenizer` (which must have them, see `extend`).
    public func ids(in tokenizer: Tokenizer) throws -> ChatTemplateIDs {
        let special = tokenizer.specialTokens
        var roleIDs: [String: Int32] = [:]
        for r in roles {
            guard let id = special[r.marker] else {
                throw SluiceError(.config, "the tokenizer has no special token \(r.marker)")
            }
            roleIDs[r.role] = Int32(bitPattern: id)
        }
        guard let end = special[endOfTurn] else {
            throw SluiceError(.config, "the tokenizer has no special token \(endOfTurn)")
        }
        return ChatTemplateIDs(roles: roleIDs, endOfTurn: Int32(bitPattern: end), assistant: roleIDs[assistantRole]!)
    }

    // MARK: - tokenizer_config.json

    /// tokenizer_config.json as `transformers` reads it (PreTrainedTokenizerFast), with the chat
    /// template, the end-of-turn token as `eos_token`, and the markers under `sluice_chat_roles`,
    /// `sluice_end_of_turn` and `sluice_assistant_role` (what `load(checkpoint:)` reads back).
    public func tokenizerConfig(tokenizer: Tokenizer, modelMaxLength: Int) -> Data {
        var decoder: [String: Any] = [:]
        for a in tokenizer.addedTokens {
            decoder[String(a.id)] = [
                "content": a.content, "lstrip": false, "normalized": !a.special, "rstrip": false, "single_word": false,
                "special": a.special,
            ]
        }
        let obj: [String: Any] = [
            "tokenizer_class": "PreTrainedTokenizerFast",
            "chat_template": jinja,
            "eos_token": endOfTurn,
            "model_max_length": modelMaxLength,
            "clean_up_tokenization_spaces": false,
            "added_tokens_decoder": decoder,
            "additional_special_tokens": markers.filter { $0 != endOfTurn },
            "sluice_chat_roles": roles.map { [$0.role, $0.marker] },
            "sluice_end_of_turn": endOfTurn,
            "sluice_assistant_role": assistantRole,
        ]
        return (try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }

    /// The template recorded in a checkpoint's tokenizer_config.json, or nil when it has none.
    /// - Throws: a corrupt-input error when the file exists but its chat keys are malformed.
    public static func load(checkpoint dir: String) throws -> ChatTemplate? {
        let path = dir + "/tokenizer_config.json"
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        guard let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else {
            throw SluiceError(.corruptInput, "not a JSON object", file: path)
        }
        guard let rs = o["sluice_chat_roles"] else { return nil }
        guard let list = rs as? [[String]], list.allSatisfy({ $0.count == 2 }),
            let end = o["sluice_end_of_turn"] as? String
        else {
            throw SluiceError(
                .corruptInput, "sluice_chat_roles must be [[role, marker], …] beside sluice_end_of_turn", file: path)
        }
        var t = ChatTemplate(roles: list.map { (role: $0[0], marker: $0[1]) }, endOfTurn: end)
        if let a = o["sluice_assistant_role"] as? String { t.assistantRole = a }
        return t
    }
}

/// The token ids of a template's markers in one tokenizer.
public struct ChatTemplateIDs: Sendable {
    public var roles: [String: Int32]
    public var endOfTurn: Int32
    public var assistant: Int32
}
