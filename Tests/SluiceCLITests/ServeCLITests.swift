// `sluice serve` end to end: the built binary listens on a free loopback port and the official
// `openai` Python package (Tests/python/serve_client.py) talks to it — completions, chat and
// streaming; raw HTTP for every bad input; 32 concurrent streams; the same seed as `sluice
// generate`; the queue limit, a client that leaves, SIGTERM, the API key and the safety filter.
// The checkpoint is a small random-initialised model over a BPE trained on the Shakespeare fixture.
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import SluiceTrain
import Testing

/// A running `sluice serve`.
final class ServeProcess {
    let process: Process
    let port: Int
    let stderrPipe: Pipe
    /// stderr up to and including the "listening on" line.
    let startup: String
    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts the server on port 0 and waits for its "listening on" line.
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: try TestSupport.sluiceBinary())
        process.arguments = ["serve", "--port", "0"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        stderrPipe = Pipe()
        process.standardError = stderrPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        var found: Int?
        let handle = stderrPipe.fileHandleForReading
        let deadline = Date().addingTimeInterval(120)
        while found == nil && Date() < deadline && process.isRunning {
            let data = handle.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
            if let r = seen.range(of: "listening on http://127.0.0.1:") {
                let digits = seen[r.upperBound...].prefix { $0.isNumber }
                // The whole line, so `startup` holds what it says about the model.
                if !digits.isEmpty, seen[r.upperBound...].contains("\n") { found = Int(digits) }
            }
        }
        guard let found else {
            process.terminate()
            throw TestSupportError("sluice serve did not start: \(seen)")
        }
        port = found
        startup = seen
        // Keep draining stderr so the server never blocks on a full pipe.
        handle.readabilityHandler = { h in _ = h.availableData }
    }

    /// SIGTERM, then the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        stderrPipe.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

@Suite(.serialized) struct ServeCLITests {
    static let model = "tiny"

    /// Checkpoints: `chat` (with a ChatML template), `plain` (no tokenizer_config.json) and
    /// `constant` (always emits one token, for the output filter), in one temporary folder.
    static let fixture: Result<String, any Error> = Result {
        let dir = try TestSupport.temporaryDirectory("serve")
        let yaml = """
            input:
              paths: [\(TestSupport.fixture("train/tinyshakespeare-16k.txt"))]
              options:
                text: {split: paragraph}
            output: \(dir)/tok
            stages:
              - train_tokenizer: {vocab_size: 400, special_tokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]}
              - tokenize: {}
            """
        try yaml.write(toFile: dir + "/tok.yaml", atomically: true, encoding: .utf8)
        let r = try TestSupport.run(try TestSupport.sluiceBinary(), ["run", dir + "/tok.yaml"])
        guard r.status == 0 else { throw TestSupportError("tokenizer training failed: \(r.stderr)") }
        let tokPath = dir + "/tok/tokenizer.json"
        let tokenizer = try Tokenizer.load(path: tokPath)
        let config = GPTConfig(vocabSize: tokenizer.vocabSize, contextLength: 1024, layers: 2, heads: 2, width: 32)
        let m = try GPT(config: config, threads: 1)
        m.initialize(seed: 11)
        try Checkpoint.save(model: m, to: dir + "/plain", tokenizerPath: tokPath)
        try Checkpoint.save(model: m, to: dir + "/chat", tokenizerPath: tokPath)
        let template =
            "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
        let cfg: JSONValue = [
            "chat_template": .string(template), "eos_token": "<|im_end|>", "bos_token": "<|endoftext|>",
        ]
        try JSONSerializer.string(cfg).write(
            toFile: dir + "/chat/tokenizer_config.json", atomically: true, encoding: .utf8)
        return dir
    }

    static func python(_ args: [String]) throws -> [String: Any] {
        let r = try TestSupport.run(
            try TestSupport.python(), [TestSupport.packageRoot + "/Tests/python/serve_client.py"] + args)
        guard r.status == 0, let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        else {
            throw TestSupportError("serve_client.py \(args.first ?? "") failed: \(r.stderr.suffix(2000))")
        }
        return obj
    }

    static func errorCode(_ response: Any?) -> String? {
        ((response as? [String: Any])?["json"] as? [String: Any]).flatMap {
            ($0["error"] as? [String: Any])?["code"] as? String
        }
    }

    static func status(_ response: Any?) -> Int { (response as? [String: Any])?["status"] as? Int ?? -1 }

    @Test func openAIClientCompletionsChatAndStreaming() throws {
        let dir = try Self.fixture.get()
        let server = try ServeProcess(["--checkpoint", dir + "/chat", "--model-name", Self.model])
        defer { server.stop() }
        let out = try Self.python(["openai", server.url, Self.model])
        #expect(out["models"] as? [String] == [Self.model])
        let c = try #require(out["completion"] as? [String: Any])
        #expect(c["object"] as? String == "text_completion")
        #expect(["length", "stop"].contains(c["finish_reason"] as? String ?? ""))
        #expect((c["completion_tokens"] as? Int ?? 0) >= 1 && (c["completion_tokens"] as? Int ?? 99) <= 12)
        #expect(c["total_tokens"] as? Int == (c["prompt_tokens"] as? Int ?? 0) + (c["completion_tokens"] as? Int ?? 0))
        // The stream with the same seed carries the same text.
        let s = try #require(out["streamed_completion"] as? [String: Any])
        #expect(s["text"] as? String == c["text"] as? String)
        #expect(s["finish_reason"] as? String == c["finish_reason"] as? String)
        let stopped = try #require(out["stopped"] as? [String: Any])
        #expect(!(stopped["text"] as? String ?? "e").contains("e"))
        let chat = try #require(out["chat"] as? [String: Any])
        #expect(chat["role"] as? String == "assistant" && chat["object"] as? String == "chat.completion")
        #expect((chat["prompt_tokens"] as? Int ?? 0) > 5)
        let sc = try #require(out["streamed_chat"] as? [String: Any])
        #expect(sc["content"] as? String == chat["content"] as? String)
        #expect(sc["usage_completion_tokens"] as? Int == chat["completion_tokens"] as? Int)
        let unknown = try #require(out["unknown_model"] as? [String: Any])
        #expect(unknown["status"] as? Int == 404 && unknown["code"] as? String == "model_not_found")
    }

    @Test func everyBadInputGetsAnOpenAIError() throws {
        let dir = try Self.fixture.get()
        let server = try ServeProcess(["--checkpoint", dir + "/chat", "--model-name", Self.model, "--max-body", "4096"])
        defer { server.stop() }
        let out = try Self.python(["bad", server.url, Self.model, "4096"])
        let expected: [String: (Int, String?)] = [
            "malformed_json": (400, nil), "not_object": (400, nil), "wrong_type": (400, nil),
            "wrong_type_chat": (400, nil),
            "unknown_field": (400, nil), "n_two": (400, nil), "too_large": (413, "request_too_large"),
            "max_tokens_beyond_context": (400, "context_length_exceeded"), "unknown_model": (404, "model_not_found"),
            "unknown_url": (404, "unknown_url"), "empty_body": (400, nil), "invalid_utf8": (200, nil),
            "deep_nesting": (400, nil),
        ]
        for (name, (status, code)) in expected {
            let r = out[name] as? [String: Any]
            #expect(Self.status(r) == status, "\(name): \(r ?? [:])")
            if status != 200 {
                let err = (r?["json"] as? [String: Any])?["error"] as? [String: Any]
                #expect(
                    err?["message"] is String && err?["type"] is String,
                    "\(name) is not OpenAI's error shape: \(r ?? [:])")
                #expect(err?.keys.contains("param") == true && err?.keys.contains("code") == true, "\(name)")
                if let code { #expect(Self.errorCode(r) == code, "\(name)") }
            }
        }
        let wrongType = ((out["wrong_type"] as? [String: Any])?["json"] as? [String: Any])?["error"] as? [String: Any]
        #expect(wrongType?["param"] as? String == "temperature")
        #expect(Self.status(out["good_after"]) == 200 && Self.status(out["health"]) == 200)
        #expect(server.process.isRunning)
    }

    @Test func chatWithoutTemplateIsA400AndAPIKeyIsChecked() throws {
        let dir = try Self.fixture.get()
        let server = try ServeProcess(
            ["--checkpoint", dir + "/plain", "--model-name", Self.model], environment: ["SLUICE_API_KEY": "k123"])
        defer { server.stop() }
        let auth = try Self.python(["auth", server.url, Self.model, "k123"])
        #expect(Self.status(auth["missing"]) == 401 && Self.errorCode(auth["missing"]) == "invalid_api_key")
        #expect(Self.status(auth["wrong"]) == 401)
        #expect(Self.status(auth["right"]) == 200)
        #expect(Self.status(auth["health_open"]) == 200)
        let server2 = try ServeProcess(["--checkpoint", dir + "/plain", "--model-name", Self.model])
        defer { server2.stop() }
        let chat = try Self.python(["chat_missing", server2.url, Self.model])
        #expect(chat["status"] as? Int == 400)
        #expect((chat["text"] as? String ?? "").contains("chat_template"), "\(chat)")
    }

    @Test func thirtyTwoConcurrentStreamsAllComplete() throws {
        let dir = try Self.fixture.get()
        let server = try ServeProcess(["--checkpoint", dir + "/chat", "--model-name", Self.model, "--max-batch", "8"])
        defer { server.stop() }
        let out = try Self.python(["concurrent", server.url, Self.model, "32", "24"])
        let results = try #require(out["results"] as? [[String: Any]])
        #expect(results.count == 32)
        for (i, r) in results.enumerated() {
            #expect(r["status"] as? Int == 200, "client \(i): \(r)")
            #expect((r["problems"] as? [String])?.isEmpty == true, "client \(i): \(r)")
            #expect(["length", "stop"].contains(r["finish"] as? String ?? ""), "client \(i): \(r)")
        }
        let metrics = out["metrics"] as? String ?? ""
        #expect(metrics.contains(#"sluice_requests_total{endpoint="/v1/completions",code="200"} 16"#), "\(metrics)")
        #expect(metrics.contains(#"sluice_requests_total{endpoint="/v1/chat/completions",code="200"} 16"#))
        #expect(metrics.contains("sluice_request_duration_seconds_count 32"))
    }

    /// For each (prompt, temperature, seed): the completion `server` gives equals what `sluice generate`
    /// prints for `checkpoint` with the same settings.
    static func expectSameTextAsGenerate(
        _ server: ServeProcess, checkpoint: String, maxTokens: Int, _ cases: [(String, String, String)]
    ) throws {
        let dir = try fixture.get()
        for (prompt, temperature, seed) in cases {
            let api = try python(["complete", server.url, model, prompt, "\(maxTokens)", temperature, seed])
            let text = (((api["json"] as? [String: Any])?["choices"] as? [[String: Any]])?.first?["text"] as? String)
            let g = try CLI.sluice(
                [
                    "generate", "--checkpoint", checkpoint, "--prompt", prompt, "--max-tokens", "\(maxTokens)",
                    "--temperature", temperature, "--seed", seed,
                ],
                in: dir)
            #expect(g.status == 0, "\(g.stderr)")
            let t = try #require(text, "\(api)")
            #expect(
                g.stdout == prompt + t + "\n",
                "\(checkpoint) seed \(seed): generate \(g.stdout.debugDescription), the API \(t.debugDescription)")
        }
    }

    @Test func sameSeedSameTextAsGenerate() throws {
        let dir = try Self.fixture.get()
        let server = try ServeProcess(["--checkpoint", dir + "/plain", "--model-name", Self.model])
        defer { server.stop() }
        try Self.expectSameTextAsGenerate(
            server, checkpoint: dir + "/plain", maxTokens: 20,
            [("ROMEO:", "0.8", "7"), ("First Citizen:\nBefore we proceed", "1.0", "123"), ("KING", "0", "1")])
    }

    /// A quantized checkpoint is served INT8 (the start-up line and /v1/models say so, with the weight
    /// bytes `sluice quantize` reported) and its text is `sluice generate`'s on the same folder; an
    /// F32 checkpoint reports neither.
    @Test func quantizedCheckpointIsServedInt8LikeGenerate() throws {
        let dir = try Self.fixture.get()
        try? FileManager.default.removeItem(atPath: dir + "/int8")
        let q = try CLI.sluice(["quantize", "--checkpoint", dir + "/plain", "--out", dir + "/int8"], in: dir)
        try #require(q.status == 0, "quantize failed: \(q.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(q.stdout.utf8)) as? [String: Any])
        let bytes = try #require(summary["int8_bytes"] as? Int)

        let server = try ServeProcess(["--checkpoint", dir + "/int8", "--model-name", Self.model])
        defer { server.stop() }
        #expect(server.startup.contains("INT8 (sluice_int8), \(bytes) bytes of weights"), "\(server.startup)")
        let models = try Self.python(["get", server.url, "/v1/models"])
        let entry = try #require(((models["json"] as? [String: Any])?["data"] as? [[String: Any]])?.first)
        #expect(entry["id"] as? String == Self.model && entry["max_model_len"] as? Int == 1024, "\(entry)")
        #expect(entry["quantization"] as? String == "sluice_int8" && entry["weight_bytes"] as? Int == bytes)
        try Self.expectSameTextAsGenerate(
            server, checkpoint: dir + "/int8", maxTokens: 16, [("KING", "0", "1"), ("ROMEO:", "0.8", "7")])

        let f32 = try ServeProcess(["--checkpoint", dir + "/plain", "--model-name", Self.model])
        defer { f32.stop() }
        #expect(!f32.startup.contains("INT8") && f32.startup.contains("(model \(Self.model), max batch 8)"))
        let plain = try Self.python(["get", f32.url, "/v1/models"])
        let f32Entry = try #require(((plain["json"] as? [String: Any])?["data"] as? [[String: Any]])?.first)
        #expect(f32Entry["quantization"] == nil && f32Entry["weight_bytes"] == nil, "\(f32Entry)")
    }

    @Test func fullQueueGets429AndALeavingClientFreesItsSlot() throws {
        let dir = try Self.fixture.get()
        let server = try ServeProcess([
            "--checkpoint", dir + "/plain", "--model-name", Self.model, "--max-batch", "1", "--max-queue", "0",
        ])
        defer { server.stop() }
        let q = try Self.python(["queue", server.url, Self.model])
        #expect(q["first_status"] as? Int == 200)
        #expect(Self.status(q["second"]) == 429 && Self.errorCode(q["second"]) == "rate_limit_exceeded", "\(q)")
        // A fresh server: the only slot is taken by a stream whose client leaves after one event.
        let server2 = try ServeProcess([
            "--checkpoint", dir + "/plain", "--model-name", Self.model, "--max-batch", "1", "--max-queue", "0",
        ])
        defer { server2.stop() }
        let d = try Self.python(["disconnect", server2.url, Self.model])
        #expect((d["statuses"] as? [Int])?.last == 200, "\(d)")
        #expect((d["metrics"] as? String ?? "").contains("sluice_cancelled_total 1\n"), "\(d["metrics"] ?? "")")
    }

    @Test func sigtermLetsInFlightFinishAndRefusesNewOnes() throws {
        let dir = try Self.fixture.get()
        let server = try ServeProcess(["--checkpoint", dir + "/plain", "--model-name", Self.model])
        let out = try Self.python(["sigterm", server.url, Self.model, String(server.process.processIdentifier)])
        #expect(Self.status(out["late"]) == 503 && Self.errorCode(out["late"]) == "server_shutting_down", "\(out)")
        #expect((out["problems"] as? [String])?.isEmpty == true, "\(out)")
        #expect(out["finish"] as? String == "length" || out["finish"] as? String == "stop")
        #expect(server.stop() == 0)
    }

    @Test func safetyFilterRefusesPromptsAndStopsOutput() throws {
        let dir = try Self.fixture.get()
        // The toxicity classifier, trained from the Davidson fixture as `make demo` trains it.
        let cls = try CLI.sluice(
            [
                "classifier", "train", "--input", TestSupport.fixture("clean/davidson-400.csv"), "--text-field",
                "tweet", "--label-field",
                "class", "--output", dir + "/tox.slcm",
            ], in: dir)
        #expect(cls.status == 0, "\(cls.stderr)")
        let classifier = try ClassifierModels.load(path: dir + "/tox.slcm")
        let scorer = classifier.makeScorer()
        let label = "1"  // offensive language
        let li = try classifier.labelIndex(label, option: "label", path: "")

        // A model that always says the same token: blocks zeroed, final norm = a bias pointing at that token.
        let tokenizer = try Tokenizer.load(path: dir + "/plain/tokenizer.json")
        var best = (id: 0, p: Float(-1))
        for id in 0..<tokenizer.vocabSize where !tokenizer.addedTokens.contains(where: { $0.id == UInt32(id) }) {
            let p = scorer.probabilities(tokenizer.decode(Array(repeating: UInt32(id), count: 12)))[li]
            if p > best.p { best = (id, p) }
        }
        let clean = "The weather is mild and the garden is green."
        let pClean = scorer.probabilities(clean)[li]
        let constantDir = dir + "/constant"
        if !FileManager.default.fileExists(atPath: constantDir) {
            let m = try Checkpoint.load(dir + "/plain", threads: 1)
            let C = m.config.width
            for t in m.layout.tensors where t.name.hasPrefix("h.") { for i in t.range { m.params[i] = 0 } }
            let wte = m.layout.tensors.first { $0.name == "wte.weight" }!.offset
            for c in 0..<C { m.params[wte + best.id * C + c] *= 10 }
            for t in m.layout.tensors where t.name == "ln_f.weight" { for i in t.range { m.params[i] = 0 } }
            for t in m.layout.tensors where t.name == "ln_f.bias" {
                for c in 0..<C { m.params[t.offset + c] = m.params[wte + best.id * C + c] }
            }
            try Checkpoint.save(model: m, to: constantDir, tokenizerPath: dir + "/plain/tokenizer.json")
        }
        // The fixture's offensive tweet (class 1) the classifier is surest of.
        let csv = try String(contentsOfFile: TestSupport.fixture("clean/davidson-400.csv"), encoding: .utf8)
        var flagged = "", pFlagged: Float = -1
        for line in csv.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", maxSplits: 6, omittingEmptySubsequences: false)
            guard fields.count == 7, fields[5] == "1" else { continue }
            let tweet = String(fields[6])
            let p = scorer.probabilities(tweet)[li]
            if p > pFlagged { (flagged, pFlagged) = (tweet, p) }
        }
        try #require(
            best.p > pClean + 0.05 && pFlagged > pClean + 0.05,
            "no separation: clean \(pClean), output \(best.p), flagged \(pFlagged)")
        let threshold = Double(pClean + min(best.p, pFlagged)) / 2
        let server = try ServeProcess([
            "--checkpoint", constantDir, "--model-name", Self.model, "--safety-model", dir + "/tox.slcm",
            "--safety-label", label,
            "--safety-threshold", String(threshold),
        ])
        defer { server.stop() }
        let out = try Self.python(["safety", server.url, Self.model, flagged, clean, "40"])
        #expect(
            Self.status(out["refused"]) == 400 && Self.errorCode(out["refused"]) == "content_filter",
            "\(out["refused"] ?? "")")
        let stopped = ((out["stopped"] as? [String: Any])?["json"] as? [String: Any])?["choices"] as? [[String: Any]]
        #expect(stopped?.first?["finish_reason"] as? String == "content_filter", "\(out["stopped"] ?? "")")
        let streamed = out["streamed"] as? [String: Any]
        #expect(
            streamed?["finish"] as? String == "content_filter" && (streamed?["problems"] as? [String])?.isEmpty == true)
        // What was sent before the stop was itself below the threshold.
        let sent = streamed?["text"] as? String ?? ""
        #expect(sent.isEmpty || Double(scorer.probabilities(sent)[li]) < threshold)
        let metrics = out["metrics"] as? String ?? ""
        #expect(
            metrics.contains(#"sluice_filtered_total{stage="prompt"} 1"#)
                && metrics.contains(#"sluice_filtered_total{stage="output"} 2"#), "\(metrics)")
    }
}
