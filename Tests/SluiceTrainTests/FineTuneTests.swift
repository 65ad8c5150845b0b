// Instruction tuning as a library (SluiceTrain/FineTune): the chat template and the tokenizer it
// grows, bad records (each a named count or an error with file and line), truncation from the
// prompt side, packing, the grown embedding, a short fine-tuning run on the shipped Tatoeba set,
// and Hugging Face `tokenizers` + Jinja reading what fine-tuning writes.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import SluiceTrain
import Testing

@Suite struct FineTuneTests {
    static func fixtureTokenizer() throws -> Tokenizer {
        try Tokenizer.load(path: TestSupport.fixture("tokenize/bpe-udhr-1000.json"))
    }

    static func write(_ lines: [String], _ dir: String, _ name: String) throws -> String {
        let path = dir + "/" + name
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func templateGrowsTheTokenizerAndMasksAllButTheAssistant() throws {
        let base = try Self.fixtureTokenizer()
        let template = ChatTemplate.standard
        let (tok, added) = try template.extend(base)
        #expect(added == ["<|system|>", "<|user|>", "<|assistant|>", "<|end|>"])
        #expect(tok.vocabSize == base.vocabSize + 4)
        for (k, m) in added.enumerated() { #expect(tok.specialTokens[m] == UInt32(base.vocabSize + k)) }
        // Extending again adds nothing.
        #expect(try template.extend(tok).added.isEmpty)
        let messages = [
            ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hello there"),
            ChatMessage(role: "assistant", content: "Hi."),
        ]
        let rendered = template.render(messages)
        #expect(rendered == "<|system|>Be brief.<|end|><|user|>Hello there<|end|><|assistant|>Hi.<|end|>")
        let enc = try SFTEncoder(template: template, tokenizer: tok, contextLength: 64)
        let (seq, last) = enc.encodeWhole(messages)
        // The concatenation of turns is what the tokenizer makes of the rendered text.
        #expect(seq.ids == tok.encode(rendered).map { Int32(bitPattern: $0) })
        let hi = tok.encode("Hi.").count
        #expect(seq.labels.filter { $0 }.count == hi + 1, "the reply and its end-of-turn")
        #expect(seq.ids[last] == Int32(tok.specialTokens["<|assistant|>"]!))
        #expect(!seq.labels[last] && seq.labels[last + 1] && seq.labels.last!)
        #expect(template.jinja.contains("add_generation_prompt"))
    }

    @Test func badRecordsAreCountedWithTheirReasonsOrStopWithFileAndLine() throws {
        let dir = try TestSupport.temporaryDirectory("sft-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.write(
            [
                #"{"prompt": "2+2?", "response": "4"}"#,
                #"{"prompt": "no answer here"}"#,
                #"{"prompt": "empty answer", "response": ""}"#,
                #"{"messages": []}"#,
                #"{"messages": [{"role": "user", "content": "only a question"}]}"#,
                #"{"messages": [{"role": "user", "content": 3}]}"#,
                #"not json"#,
                "",
                #"{"text": "a pre-training document"}"#,
                #"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}"#,
                #"{"prompt": "p", "completion": "TRL's name for the response"}"#,
            ], dir, "data.jsonl")
        var counts = SFTCounts()
        var logged: [String] = []
        let ex = try SFTReader.read(paths: [path], template: .standard, counts: &counts) { logged.append($0) }
        #expect(ex.map(\.line) == [1, 10, 11])
        #expect(counts.lines == 10)
        #expect(counts[SFTCounts.noResponse] == 3)
        #expect(counts[SFTCounts.emptyConversation] == 1)
        #expect(counts[SFTCounts.badRecord] == 2)
        #expect(counts[SFTCounts.badJSON] == 1)
        #expect(logged.contains { $0.hasPrefix("sft:no_response") && $0.hasSuffix("data.jsonl:2)") }, "\(logged)")
        #expect(
            ex[0].messages == [
                ChatMessage(role: "user", content: "2+2?"), ChatMessage(role: "assistant", content: "4"),
            ])

        let roles = try Self.write(
            [
                #"{"prompt": "fine", "response": "yes"}"#,
                #"{"messages": [{"role": "prompter", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}"#,
            ], dir, "roles.jsonl")
        var c2 = SFTCounts()
        do {
            _ = try SFTReader.read(paths: [roles], template: .standard, counts: &c2)
            Issue.record("an unknown role must stop the run")
        } catch let e as SluiceError {
            #expect(e.file == roles && e.line == 2, "\(e)")
            #expect(e.message.contains("'prompter'"), "\(e)")
        }
        // The template can learn the role.
        var t = ChatTemplate.standard
        t.roles.append(("prompter", "<|user|>"))
        var c3 = SFTCounts()
        let learned = try SFTReader.read(paths: [roles], template: t, counts: &c3)
        #expect(learned.count == 2)
    }

    @Test func compressedFilesAreRead() throws {
        let dir = try TestSupport.temporaryDirectory("sft-compressed")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lines = [#"{"prompt": "a", "response": "b"}"#, #"{"prompt": "c", "response": "d"}"#]
        let a = try Self.write(lines, dir, "a.jsonl"), b = try Self.write(lines, dir, "b.jsonl")
        #expect(try TestSupport.run("/usr/bin/gzip", [a]).status == 0)
        #expect(try TestSupport.run("/usr/bin/zstd", ["-q", "--rm", b]).status == 0)
        var counts = SFTCounts()
        let ex = try SFTReader.read(paths: [a + ".gz", b + ".zst"], template: .standard, counts: &counts)
        #expect(ex.count == 4)
        #expect(ex[3].messages.last?.content == "d")
    }

    @Test func longConversationsAreCutFromThePromptSideAndCounted() throws {
        let (tok, _) = try ChatTemplate.standard.extend(try Self.fixtureTokenizer())
        let enc = try SFTEncoder(template: .standard, tokenizer: tok, contextLength: 24)
        let long = String(repeating: "human rights and freedoms ", count: 10)
        let messages = [ChatMessage(role: "user", content: long), ChatMessage(role: "assistant", content: "Yes.")]
        var counts = SFTCounts()
        let whole = enc.encodeWhole(messages).0
        let s = enc.encode(messages, counts: &counts)
        #expect(whole.ids.count > 24)
        #expect(s.ids.count == 24)
        #expect(counts[SFTCounts.truncated] == 1 && counts[SFTCounts.truncatedResponse] == 0)
        // The response survives whole, at the end.
        #expect(Array(s.ids.suffix(8)) == Array(whole.ids.suffix(8)))
        #expect(s.labels.filter { $0 }.count == whole.labels.filter { $0 }.count)
        // A response longer than the context keeps its beginning (after the assistant marker).
        let reply = [ChatMessage(role: "user", content: "Say it."), ChatMessage(role: "assistant", content: long)]
        let r = enc.encode(reply, counts: &counts)
        #expect(r.ids.count == 24 && r.ids[0] == Int32(tok.specialTokens["<|assistant|>"]!))
        #expect(counts[SFTCounts.truncated] == 2 && counts[SFTCounts.truncatedResponse] == 1)
    }

    @Test func packingKeepsConversationsWholeAndTargetsOnlyTheAssistant() throws {
        let a = SFTSequence(ids: [10, 1, 2, 11, 3, 4, 12], labels: [false, false, false, false, true, true, true])
        let b = SFTSequence(ids: [10, 5, 11, 6, 12], labels: [false, false, false, true, true])
        let w = PackedWindows([a, b, a], T: 12, pad: 12)
        #expect(w.count == 2)
        #expect(w.examples == 3)
        let (x0, y0, s0) = w.window(0)
        #expect(Array(x0) == [10, 1, 2, 11, 3, 4, 12, 10, 5, 11, 6, 12])
        #expect(Array(y0) == [-1, -1, -1, 3, 4, 12, -1, -1, -1, 6, 12, -1])
        #expect(Array(s0) == [0, 0, 0, 0, 0, 0, 0, 7, 7, 7, 7, 7])
        let (x1, y1, s1) = w.window(1)
        #expect(Array(x1.prefix(7)) == a.ids && Array(y1.suffix(5)) == [-1, -1, -1, -1, -1])
        #expect(Array(s1) == [0, 0, 0, 0, 0, 0, 0, 7, 8, 9, 10, 11])
        #expect(w.targetCount == 3 + 2 + 3)
        let one = PackedWindows([a, b], T: 12, pad: 12, onePerWindow: true)
        #expect(one.count == 2 && one.targetCount == 5)
    }

    @Test func grownVocabularyStartsAtTheMeanAndLeavesOldLogitsAlone() throws {
        let m = try GPT(config: GPTConfig(vocabSize: 20, contextLength: 8, layers: 1, heads: 2, width: 8))
        m.initialize(seed: 5)
        let ids: [Int32] = [3, 1, 4, 1, 5]
        m.forward(tokens: ids, targets: nil, B: 1, T: 5)
        let before = (0..<5).map { Array(m.lastRow($0)) }
        let g = try m.withVocabulary(23, newRows: 20..<23)
        #expect(g.config.vocabSize == 23)
        let wte = g.layout["wte.weight"]!.offset
        for c in 0..<8 {
            var mean = 0.0
            for r in 0..<20 { mean += Double(m.params[r * 8 + c]) }
            #expect(abs(Double(g.params[wte + 21 * 8 + c]) - mean / 20) < 1e-6)
        }
        g.forward(tokens: ids, targets: nil, B: 1, T: 5)
        for t in 0..<5 {
            let row = Array(g.lastRow(t).prefix(20))
            #expect(zip(row, before[t]).allSatisfy { abs($0 - $1) < 1e-5 })
        }
    }

    /// A tiny model (random init, the UDHR tokenizer) fine-tuned for a few dozen steps on the
    /// shipped Tatoeba set: the held-out assistant loss falls, checkpoints carry the template, and
    /// `SFTEvaluator` on the checkpoint gives the run's last validation loss.
    @Test func shortFineTuningLowersTheHeldOutLoss() throws {
        let dir = try TestSupport.temporaryDirectory("sft-run")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = try GPT(config: GPTConfig(vocabSize: 1000, contextLength: 160, layers: 2, heads: 2, width: 32))
        base.initialize(seed: 1)
        try Checkpoint.save(
            model: base, to: dir + "/base", tokenizerPath: TestSupport.fixture("tokenize/bpe-udhr-1000.json"))
        // A third of the held-out file keeps the three validation passes short.
        let heldOut = try String(
            contentsOfFile: TestSupport.fixture("sft/tatoeba-langid-heldout.jsonl"), encoding: .utf8
        )
        .split(separator: "\n").prefix(48).map(String.init)
        let val = try Self.write(heldOut, dir, "val.jsonl")
        let cfg = """
            init_from: \(dir)/base
            model: {context_length: 160}
            sft:
              train: [\(TestSupport.fixture("sft/tatoeba-langid-train.jsonl"))]
              val: [\(val)]
            train: {batch_size: 4, steps: 30, lr: 3.0e-3, warmup: 3, eval_every: 0, checkpoint_every: 0, weight_decay: 0}
            out: \(dir)/run
            """
        let o = try FineTuneOptions.load(yaml: cfg, file: "sft.yaml")
        let tuner = try FineTuner(o)
        #expect(tuner.trainCounts.kept == 803 && tuner.valCounts.kept == 48)
        #expect(tuner.model.config.vocabSize == 1004)
        try tuner.run()
        let first = try #require(tuner.validation.first), last = try #require(tuner.validation.last)
        #expect(first.step == 0 && last.step == 30)
        #expect(last.loss < first.loss - 1, "held-out loss \(first.loss) → \(last.loss)")
        let ckpt = dir + "/run/latest"
        let cfgJSON = try #require(FileManager.default.contents(atPath: ckpt + "/tokenizer_config.json"))
        let tc = try #require(try JSONSerialization.jsonObject(with: cfgJSON) as? [String: Any])
        #expect((tc["chat_template"] as? String) == ChatTemplate.standard.jinja)
        #expect(try ChatTemplate.load(checkpoint: ckpt) == .standard)
        let r = try SFTEvaluator.evaluate(checkpoint: ckpt, paths: [val], batchSize: 4, exactMatchLimit: 5)
        #expect(abs(r.loss - last.loss) < 1e-4, "\(r.loss) vs \(last.loss)")
        #expect(r.conversations == 48 && r.generated == 5)
    }

    /// `init_from` a folder in the layout transformers' `save_pretrained` writes (`transformer.`
    /// prefixes, mask buffers, a tied lm_head copy) with its tokenizer.json: it loads and fine-tunes.
    @Test func fineTunesAHuggingFaceGPT2Folder() throws {
        let dir = try TestSupport.temporaryDirectory("sft-hf-init")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = try GPT(
            config: GPTConfig(vocabSize: 1000, contextLength: 128, layers: 1, heads: 2, width: 16, eosTokenID: 0))
        base.initialize(seed: 2)
        try Checkpoint.save(model: base, to: dir + "/ours")
        try FileManager.default.createDirectory(atPath: dir + "/hf", withIntermediateDirectories: true)
        let script = TestSupport.packageRoot + "/Benchmarks/train/gpt2_reference.py"
        let r = try TestSupport.run(try TestSupport.python(), [script, "write-hf", dir + "/ours", dir + "/hf"])
        #expect(r.status == 0, "\(r.stderr)")
        try FileManager.default.copyItem(
            atPath: TestSupport.fixture("tokenize/bpe-udhr-1000.json"), toPath: dir + "/hf/tokenizer.json")
        let cfg = """
            init_from: \(dir)/hf
            model: {context_length: 128}
            sft: {train: [\(TestSupport.fixture("sft/tatoeba-langid-heldout.jsonl"))], pack: false}
            train: {batch_size: 2, steps: 2, warmup: 0, eval_every: 0, checkpoint_every: 0}
            out: \(dir)/run
            """
        let tuner = try FineTuner(try FineTuneOptions.load(yaml: cfg, file: "hf.yaml"))
        #expect(tuner.trainWindows.count == 144, "one conversation per window without packing")
        let records = try tuner.run()
        #expect(records.count == 2 && records.allSatisfy { $0.loss.isFinite })
        let back = try Checkpoint.load(dir + "/run/latest")
        #expect(back.config.vocabSize == 1004)
        // The trained rows of the embedding are a prefix of the grown one's, moved by two steps only.
        var moved = 0.0
        let a = back.layout["wte.weight"]!.offset, b = base.layout["wte.weight"]!.offset
        for i in 0..<(1000 * 16) { moved = max(moved, Double(abs(back.params[a + i] - base.params[b + i]))) }
        #expect(moved < 0.05, "\(moved)")
    }

    /// Hugging Face `tokenizers` loads the grown tokenizer.json with the markers as special added
    /// tokens and encodes a rendered conversation to our ids; Jinja renders tokenizer_config.json's
    /// chat_template to our text.
    @Test func huggingFaceReadsTheTokenizerAndTheChatTemplate() throws {
        let dir = try TestSupport.temporaryDirectory("sft-hf")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (tok, _) = try ChatTemplate.standard.extend(try Self.fixtureTokenizer())
        try tok.save(path: dir + "/tokenizer.json")
        try ChatTemplate.standard.tokenizerConfig(tokenizer: tok, modelMaxLength: 64)
            .write(to: URL(fileURLWithPath: dir + "/tokenizer_config.json"))
        let messages = [
            ChatMessage(role: "system", content: "Réponds en une ligne."),
            ChatMessage(role: "user", content: "Which language is this sentence in?\nЯ люблю тебя."),
            ChatMessage(role: "assistant", content: "Russian"), ChatMessage(role: "user", content: "¿Y esta?"),
        ]
        let conv = messages.map { ["role": $0.role, "content": $0.content] }
        let convPath = dir + "/conv.json"
        try JSONSerialization.data(withJSONObject: conv).write(to: URL(fileURLWithPath: convPath))
        let script = TestSupport.packageRoot + "/Tests/python/sft_interop.py"
        let r = try TestSupport.run(try TestSupport.python(), [script, dir, convPath])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let want = ChatTemplate.standard.render(messages, addGenerationPrompt: true)
        #expect(out["rendered"] as? String == want)
        #expect((out["ids"] as? [Int]) == tok.encode(want).map { Int($0) })
        let special = try #require(out["special"] as? [String: Int])
        for m in ChatTemplate.standard.markers { #expect(special[m] == Int(tok.specialTokens[m]!), "\(m)") }
        #expect(out["decoded_skip_special"] as? String == tok.decode(tok.encode(want), skipSpecialTokens: true))
    }
}
