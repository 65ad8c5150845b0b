// JinjaChatTemplate: chat templates rendered as Hugging Face's Jinja environment renders them
// (expected strings produced by jinja2 with trim_blocks and lstrip_blocks, as `apply_chat_template`);
// unsupported syntax refused by name; templates loaded from tokenizer_config.json.
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
