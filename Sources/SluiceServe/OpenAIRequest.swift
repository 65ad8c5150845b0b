// The bodies of POST /v1/completions and /v1/chat/completions, read strictly as OpenAI does:
// every field has its type and range checked, fields OpenAI does not know are refused ("Unrecognized
// request argument supplied"), and features Sluice does not implement (n > 1, logprobs, tools, …)
// are refused by name rather than ignored. Errors carry OpenAI's error JSON.
import Foundation
import SluiceCore

/// An error answered in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
public struct APIError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public init(
        _ status: Int, _ message: String, type: String = "invalid_request_error", param: String? = nil,
        code: String? = nil
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    /// The JSON body.
    public var json: String {
        let e: JSONValue = [
            "message": .string(message), "type": .string(type), "param": param.map { .string($0) } ?? .null,
            "code": code.map { .string($0) } ?? .null,
        ]
        return JSONSerializer.string(["error": e])
    }

    static func invalid(_ param: String, _ message: String, code: String? = nil) -> APIError {
        APIError(400, message, param: param, code: code)
    }
}

/// A validated completion or chat request.
public struct CompletionParameters: Sendable {
    public enum Kind: Sendable { case completion, chat }
    public var kind: Kind
    public var model: String
    /// The prompt text (completions) or the messages (chat).
    public var prompt: String = ""
    public var messages: [JinjaChatTemplate.Message] = []
    public var maxTokens: Int?
    public var temperature = 1.0
    public var topP = 1.0
    public var topK = 0
    public var stop: [String] = []
    public var seed: UInt64?
    public var stream = false
    public var includeUsageInStream = false
    public var user: String?
}

extension CompletionParameters {
    static let completionFields: Set<String> = [
        "model", "prompt", "max_tokens", "temperature", "top_p", "n", "stream", "stream_options", "stop", "seed",
        "user", "presence_penalty", "frequency_penalty", "logprobs", "echo", "suffix", "best_of", "logit_bias", "top_k",
    ]
    static let chatFields: Set<String> = [
        "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "n", "stream",
        "stream_options",
        "stop", "seed", "user", "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs", "logit_bias",
        "response_format", "tools", "tool_choice", "parallel_tool_calls", "store", "metadata", "top_k",
        "functions", "function_call", "service_tier", "modalities",
    ]

    /// Parses and checks a request body.
    /// - Throws: `APIError` (400) naming the offending parameter.
    public static func parse(_ body: [UInt8], kind: Kind) throws(APIError) -> CompletionParameters {
        var parser = JSONParser()
        let value: JSONValue
        do {
            value = try body.withUnsafeBytes { try parser.parse($0) }
        } catch {
            throw APIError(
                400,
                "We could not parse the JSON body of your request: \(error). (The body must be one JSON object; "
                    + "see https://platform.openai.com/docs/api-reference.)")
        }
        guard case .object(let o) = value else {
            throw APIError(400, "The request body must be a JSON object.")
        }
        let known = kind == .chat ? chatFields : completionFields
        for key in o.keys where !known.contains(key) {
            throw APIError.invalid(key, "Unrecognized request argument supplied: \(key)")
        }
        var p = CompletionParameters(kind: kind, model: "")
        guard let model = o["model"], model != .null else {
            throw APIError.invalid("model", "you must provide a model parameter")
        }
        p.model = try string(model, "model")

        switch kind {
        case .completion:
            guard let prompt = o["prompt"], prompt != .null else {
                throw APIError.invalid("prompt", "you must provide a prompt parameter")
            }
            switch prompt {
            case .string(let s): p.prompt = s
            case .array(let items) where items.count == 1:
                guard let s = items[0].stringValue else {
                    throw APIError.invalid(
                        "prompt",
                        "prompt must be a string or an array of one string (token-id prompts are not supported)")
                }
                p.prompt = s
            case .array:
                throw APIError.invalid(
                    "prompt", "sluice serve takes one prompt per request (batch prompts are not supported)")
            default: throw typeError(prompt, "string", "prompt")
            }
        case .chat:
            guard let messages = o["messages"], messages != .null else {
                throw APIError.invalid("messages", "you must provide a messages parameter")
            }
            guard case .array(let list) = messages else { throw typeError(messages, "array", "messages") }
            guard !list.isEmpty else {
                throw APIError.invalid("messages", "'messages' must contain at least one message")
            }
            for (i, m) in list.enumerated() {
                guard case .object(let mo) = m else { throw typeError(m, "object", "messages.[\(i)]") }
                for key in mo.keys where !["role", "content", "name"].contains(key) {
                    throw APIError.invalid(
                        "messages.[\(i)].\(key)",
                        "Unrecognized message field: '\(key)' (sluice serve takes role, content and name)")
                }
                guard let role = mo["role"]?.stringValue else {
                    throw APIError.invalid("messages.[\(i)].role", "each message needs a string 'role'")
                }
                guard ["system", "user", "assistant", "developer"].contains(role) else {
                    throw APIError.invalid(
                        "messages.[\(i)].role",
                        "'\(role)' is not one of ['system', 'assistant', 'user', 'developer'] - 'messages.[\(i)].role'")
                }
                let content: String
                switch mo["content"] ?? .null {
                case .string(let s): content = s
                case .array(let parts):
                    var text = ""
                    for (k, part) in parts.enumerated() {
                        guard let po = part.objectValue, po["type"]?.stringValue == "text",
                            let t = po["text"]?.stringValue
                        else {
                            throw APIError.invalid(
                                "messages.[\(i)].content.[\(k)]", "only text content parts are supported")
                        }
                        text += t
                    }
                    content = text
                case .null: throw APIError.invalid("messages.[\(i)].content", "each message needs a 'content'")
                case let other: throw typeError(other, "string", "messages.[\(i)].content")
                }
                p.messages.append(.init(role: role, content: content))
            }
        }

        if let v = o["max_tokens"], v != .null { p.maxTokens = try int(v, "max_tokens", min: 1) }
        if let v = o["max_completion_tokens"], v != .null { p.maxTokens = try int(v, "max_completion_tokens", min: 1) }
        if let v = o["temperature"], v != .null { p.temperature = try number(v, "temperature", 0...2) }
        if let v = o["top_p"], v != .null { p.topP = try number(v, "top_p", 0...1) }
        if let v = o["top_k"], v != .null { p.topK = try int(v, "top_k", min: 0) }
        if let v = o["n"], v != .null, try int(v, "n", min: 1) != 1 {
            throw APIError.invalid("n", "sluice serve generates one choice per request: n must be 1")
        }
        if let v = o["best_of"], v != .null, try int(v, "best_of", min: 1) != 1 {
            throw APIError.invalid("best_of", "best_of must be 1 (sluice serve generates one choice per request)")
        }
        if let v = o["stream"], v != .null { p.stream = try bool(v, "stream") }
        if let v = o["stream_options"], v != .null {
            guard case .object(let so) = v else { throw typeError(v, "object", "stream_options") }
            guard p.stream else {
                throw APIError.invalid("stream_options", "stream_options is only allowed when stream is true")
            }
            for key in so.keys where key != "include_usage" {
                throw APIError.invalid(
                    "stream_options.\(key)", "Unrecognized request argument supplied: stream_options.\(key)")
            }
            if let iu = so["include_usage"], iu != .null {
                p.includeUsageInStream = try bool(iu, "stream_options.include_usage")
            }
        }
        if let v = o["stop"], v != .null {
            switch v {
            case .string(let s): p.stop = [s]
            case .array(let items):
                guard items.count <= 4 else { throw APIError.invalid("stop", "stop takes at most 4 sequences") }
                p.stop = []
                for item in items { p.stop.append(try string(item, "stop")) }
            default: throw typeError(v, "string", "stop")
            }
            if p.stop.contains(where: \.isEmpty) { throw APIError.invalid("stop", "stop sequences must not be empty") }
        }
        if let v = o["seed"], v != .null {
            guard case .int(let s) = v else { throw typeError(v, "integer", "seed") }
            p.seed = UInt64(bitPattern: s)
        }
        if let v = o["user"], v != .null { p.user = try string(v, "user") }
        for key in ["presence_penalty", "frequency_penalty"] {
            if let v = o[key], v != .null, try number(v, key, -2...2) != 0 {
                throw APIError.invalid(key, "\(key) is not supported by sluice serve (leave it out or 0)")
            }
        }
        if let v = o["logprobs"], v != .null {
            let on: Bool
            switch v {
            case .bool(let b): on = b
            case .int(let n): on = n > 0
            default: throw typeError(v, kind == .chat ? "boolean" : "integer", "logprobs")
            }
            if on { throw APIError.invalid("logprobs", "logprobs are not supported by sluice serve") }
        }
        if let v = o["top_logprobs"], v != .null { _ = try int(v, "top_logprobs", min: 0) }
        if let v = o["echo"], v != .null, try bool(v, "echo") {
            throw APIError.invalid("echo", "echo is not supported by sluice serve")
        }
        if let v = o["suffix"], v != .null, try string(v, "suffix") != "" {
            throw APIError.invalid("suffix", "suffix (insertion) is not supported by sluice serve")
        }
        if let v = o["logit_bias"], v != .null {
            guard case .object(let lb) = v else { throw typeError(v, "object", "logit_bias") }
            if !lb.keys.isEmpty { throw APIError.invalid("logit_bias", "logit_bias is not supported by sluice serve") }
        }
        for key in ["tools", "tool_choice", "parallel_tool_calls", "functions", "function_call"]
        where o[key] != nil && o[key] != .null {
            throw APIError.invalid(key, "\(key): tool calling is not supported by sluice serve")
        }
        if let v = o["response_format"], v != .null {
            guard case .object(let rf) = v else { throw typeError(v, "object", "response_format") }
            if rf["type"]?.stringValue != "text" {
                throw APIError.invalid(
                    "response_format", "only response_format {\"type\": \"text\"} is supported by sluice serve")
            }
        }
        if let v = o["store"], v != .null { _ = try bool(v, "store") }
        if let v = o["service_tier"], v != .null { _ = try string(v, "service_tier") }
        if let v = o["modalities"], v != .null, v != ["text"] {
            throw APIError.invalid("modalities", "sluice serve answers with text only: modalities must be [\"text\"]")
        }
        if let v = o["metadata"], v != .null, v.objectValue == nil { throw typeError(v, "object", "metadata") }
        return p
    }

    static func typeName(_ v: JSONValue) -> String {
        switch v {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    static func shown(_ v: JSONValue) -> String {
        let s = JSONSerializer.string(v)
        return s.utf8.count > 60 ? String(decoding: Array(s.utf8.prefix(57)), as: UTF8.self) + "..." : s
    }

    /// OpenAI's wording: "'abc' is not of type 'number' - 'temperature'".
    static func typeError(_ v: JSONValue, _ want: String, _ param: String) -> APIError {
        APIError.invalid(param, "\(shown(v)) is not of type '\(want)' - '\(param)'")
    }

    static func string(_ v: JSONValue, _ param: String) throws(APIError) -> String {
        guard case .string(let s) = v else { throw typeError(v, "string", param) }
        return s
    }

    static func bool(_ v: JSONValue, _ param: String) throws(APIError) -> Bool {
        guard case .bool(let b) = v else { throw typeError(v, "boolean", param) }
        return b
    }

    static func int(_ v: JSONValue, _ param: String, min: Int) throws(APIError) -> Int {
        guard case .int(let i) = v, i <= Int64(Int32.max) else { throw typeError(v, "integer", param) }
        guard i >= min else { throw APIError.invalid(param, "\(i) is less than the minimum of \(min) - '\(param)'") }
        return Int(i)
    }

    static func number(_ v: JSONValue, _ param: String, _ range: ClosedRange<Double>) throws(APIError) -> Double {
        let d: Double
        switch v {
        case .int(let i): d = Double(i)
        case .double(let x): d = x
        default: throw typeError(v, "number", param)
        }
        guard d.isFinite else { throw typeError(v, "number", param) }
        if d < range.lowerBound {
            throw APIError.invalid(param, "\(shown(v)) is less than the minimum of \(range.lowerBound) - '\(param)'")
        }
        if d > range.upperBound {
            throw APIError.invalid(param, "\(shown(v)) is greater than the maximum of \(range.upperBound) - '\(param)'")
        }
        return d
    }
}
