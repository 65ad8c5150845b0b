// The parts of `sluice serve` that need no socket: chat templates rendered as Hugging Face's Jinja
// environment renders them (expected strings produced by jinja2 with trim_blocks and lstrip_blocks,
// as `apply_chat_template`), request validation in OpenAI's error shape, stop-string hold-back.
import Foundation
import SluiceCore
import Testing

@testable import SluiceServe

@Suite struct JinjaChatTemplateTests {
    static let messages: [JinjaChatTemplate.Message] = [
        .init(role: "system", content: "Be brief."), .init(role: "user", content: "Hi"),
        .init(role: "assistant", content: "Hello!"), .init(role: "user", content: "Name a colour."),
    ]

    @Test func chatMLMatchesJinja() throws {
        let t = try JinjaChatTemplate(
            source:
                "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
        )
        #expect(
            try t.render(Self.messages)
                == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n"
        )
    }

    @Test func zephyrWithTrimAndLstripBlocksMatchesJinja() throws {
        let source = """
            {% for message in messages %}
            {% if message['role'] == 'user' %}
            {{ '<|user|>\\n' + message['content'] + eos_token }}
            {% elif message['role'] == 'system' %}
            {{ '<|system|>\\n' + message['content'] + eos_token }}
            {% elif message['role'] == 'assistant' %}
            {{ '<|assistant|>\\n'  + message['content'] + eos_token }}
            {% endif %}
            {% if loop.last and add_generation_prompt %}
            {{ '<|assistant|>' }}
            {% endif %}
            {% endfor %}
            """
        let t = try JinjaChatTemplate(source: source, bosToken: "<s>", eosToken: "</s>")
        #expect(
            try t.render(Self.messages)
                == "<|system|>\nBe brief.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n<|user|>\nName a colour.</s>\n<|assistant|>\n"
        )
    }

    @Test func raiseExceptionFiltersAndSlices() throws {
        let source =
            "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] | trim + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] | trim + eos_token }}{% endif %}{% endfor %}"
        let t = try JinjaChatTemplate(source: source, bosToken: "<s>", eosToken: "</s>")
        #expect(
            try t.render(Array(Self.messages.dropFirst()))
                == "<s>[INST] Hi [/INST] Hello!</s>[INST] Name a colour. [/INST]")
        #expect(throws: JinjaChatTemplate.TemplateError.self) { try t.render(Self.messages) }
        let sliced = try JinjaChatTemplate(
            source:
                "{% set rest = messages[1:] %}{{ messages[0].content }}|{% for m in rest %}{{ m.role }};{% endfor %}{{ rest | length }}"
        )
        #expect(try sliced.render(Self.messages) == "Be brief.|user;assistant;user;3")
    }

    /// The template `sluice finetune` writes (role markers and an end-of-turn marker as special tokens).
    @Test func finetuneTemplateMatchesJinja() throws {
        let source =
            "{% for message in messages %}{% if message['role'] == 'system' %}{{ '<|system|>' }}{% elif message['role'] == 'user' %}{{ '<|user|>' }}{% elif message['role'] == 'assistant' %}{{ '<|assistant|>' }}{% else %}{{ raise_exception('unknown role: ' + message['role']) }}{% endif %}{{ message['content'] + '<|end|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
        let t = try JinjaChatTemplate(source: source, eosToken: "<|end|>")
        #expect(
            try t.render(Self.messages)
                == "<|system|>Be brief.<|end|><|user|>Hi<|end|><|assistant|>Hello!<|end|><|user|>Name a colour.<|end|><|assistant|>"
        )
        #expect(throws: JinjaChatTemplate.TemplateError.self) { try t.render([.init(role: "tool", content: "x")]) }
    }

    @Test func unsupportedSyntaxIsRefusedByName() {
        #expect(throws: JinjaChatTemplate.TemplateError.self) {
            try JinjaChatTemplate(source: "{% macro x() %}{% endmacro %}")
        }
        #expect(throws: JinjaChatTemplate.TemplateError.self) {
            try JinjaChatTemplate(source: "{% for m in messages %}no end")
        }
        #expect(throws: JinjaChatTemplate.TemplateError.self) { try JinjaChatTemplate(source: "{{ 'unclosed }}") }
    }

    @Test func loadsFromTokenizerConfig() throws {
        let dir = NSTemporaryDirectory() + "sluice-chat-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try JinjaChatTemplate.load(checkpoint: dir) == nil)
        try #"{"eos_token": {"content": "<|im_end|>"}, "chat_template": "{{ eos_token }}{{ messages[0]['content'] }}"}"#
            .write(toFile: dir + "/tokenizer_config.json", atomically: true, encoding: .utf8)
        let t = try #require(try JinjaChatTemplate.load(checkpoint: dir))
        #expect(try t.render([.init(role: "user", content: "x")]) == "<|im_end|>x")
        try #"{"chat_template": "{% bogus %}"}"#.write(
            toFile: dir + "/tokenizer_config.json", atomically: true, encoding: .utf8)
        #expect(throws: SluiceError.self) { try JinjaChatTemplate.load(checkpoint: dir) }
    }
}

@Suite struct RequestValidationTests {
    func parse(_ json: String, _ kind: CompletionParameters.Kind = .completion) -> Result<
        CompletionParameters, APIError
    > {
        Result { () throws(APIError) in try CompletionParameters.parse(Array(json.utf8), kind: kind) }
    }

    func error(_ json: String, _ kind: CompletionParameters.Kind = .completion) -> APIError? {
        if case .failure(let e) = parse(json, kind) { return e }
        return nil
    }

    @Test func goodRequestsParse() throws {
        let p = try parse(
            #"{"model":"m","prompt":"hi","max_tokens":5,"temperature":0,"top_p":0.5,"stop":["\n"],"seed":3,"stream":true,"stream_options":{"include_usage":true}}"#
        ).get()
        #expect(
            p.prompt == "hi" && p.maxTokens == 5 && p.temperature == 0 && p.topP == 0.5 && p.stop == ["\n"]
                && p.seed == 3)
        #expect(p.stream && p.includeUsageInStream)
        let c = try parse(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],"n":1}"#,
            .chat
        ).get()
        #expect(c.messages == [.init(role: "user", content: "ab")])
    }

    @Test func badRequestsNameTheParameter() {
        let cases: [(String, CompletionParameters.Kind, String?, String)] = [
            (#"{"model":"m","prompt":"x""#, .completion, nil, "could not parse"),
            (#"[1,2]"#, .completion, nil, "JSON object"),
            (#"{"prompt":"x"}"#, .completion, "model", "model"),
            (#"{"model":"m"}"#, .completion, "prompt", "prompt"),
            (#"{"model":"m","prompt":"x","temperature":"hot"}"#, .completion, "temperature", "is not of type 'number'"),
            (#"{"model":"m","prompt":"x","temperature":3}"#, .completion, "temperature", "greater than the maximum"),
            (#"{"model":"m","prompt":"x","max_tokens":0}"#, .completion, "max_tokens", "less than the minimum of 1"),
            (#"{"model":"m","prompt":"x","max_tokens":2.5}"#, .completion, "max_tokens", "is not of type 'integer'"),
            (#"{"model":"m","prompt":"x","n":2}"#, .completion, "n", "n must be 1"),
            (#"{"model":"m","prompt":"x","stream":"yes"}"#, .completion, "stream", "boolean"),
            (
                #"{"model":"m","prompt":"x","bogus":1}"#, .completion, "bogus",
                "Unrecognized request argument supplied: bogus"
            ),
            (#"{"model":"m","prompt":"x","stop":["a","b","c","d","e"]}"#, .completion, "stop", "at most 4"),
            (#"{"model":"m","prompt":"x","seed":1.5}"#, .completion, "seed", "integer"),
            (#"{"model":"m","prompt":"x","logprobs":2}"#, .completion, "logprobs", "not supported"),
            (#"{"model":"m","messages":[]}"#, .chat, "messages", "at least one"),
            (
                #"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#, .chat, "messages.[0].role",
                "is not one of"
            ),
            (#"{"model":"m","messages":[{"role":"user"}]}"#, .chat, "messages.[0].content", "content"),
            (#"{"model":"m","messages":"hi"}"#, .chat, "messages", "is not of type 'array'"),
            (#"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[]}"#, .chat, "tools", "tool calling"),
            (
                #"{"model":"m","messages":[{"role":"user","content":"x"}],"prompt":"x"}"#, .chat, "prompt",
                "Unrecognized"
            ),
        ]
        for (body, kind, param, fragment) in cases {
            guard let e = error(body, kind) else {
                Issue.record("accepted: \(body)")
                continue
            }
            #expect(e.status == 400, "\(body)")
            #expect(e.param == param, "\(body): param \(e.param ?? "nil")")
            #expect(e.message.contains(fragment), "\(body): \(e.message)")
            #expect(e.type == "invalid_request_error")
        }
    }

    @Test func errorJSONHasOpenAIShape() throws {
        let e = APIError(404, "no such model", param: "model", code: "model_not_found")
        var parser = JSONParser()
        let v = try parser.parse(e.json)
        let inner = try #require(v.objectValue?["error"]?.objectValue)
        #expect(inner["message"] == .string("no such model") && inner["type"] == .string("invalid_request_error"))
        #expect(inner["param"] == .string("model") && inner["code"] == .string("model_not_found"))
        #expect(APIError(400, "x").json.contains(#""param":null"#))
    }
}

@Suite struct StopStringTests {
    @Test func firstStopAndHoldBack() {
        let text = Array("hello world\nbye".utf8)
        #expect(InferenceEngine.firstStop(text, ["\n", "wor"], from: 0) == 6)
        #expect(InferenceEngine.firstStop(text, ["zzz"], from: 0) == nil)
        #expect(InferenceEngine.stopPrefixLength(Array("the end".utf8)[...], ["endgame"]) == 3)
        #expect(InferenceEngine.stopPrefixLength(Array("the end".utf8)[...], ["xyz"]) == 0)
        let split = Array("ab".utf8) + [0xEF, 0xBF, 0xBD]
        #expect(InferenceEngine.holdBack(split, end: split.count) == 2)
    }
}
