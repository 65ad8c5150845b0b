// `sluice serve`: an OpenAI-compatible HTTP server on Hummingbird 2 over one checkpoint.
// POST /v1/completions and /v1/chat/completions (JSON or server-sent events), GET /v1/models,
// /health and /metrics. Requests are validated here and decoded by `InferenceEngine`; every
// failure is answered in OpenAI's error JSON, never by a crash. SIGTERM/SIGINT drain: requests
// in flight finish, new ones get 503, then the process exits.
import Dispatch
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceTokenize
import SluiceTrain

/// What `sluice serve` was asked for.
public struct ServeConfiguration: Sendable {
    public var checkpoint: String
    public var host = "127.0.0.1"
    /// 0 picks a free port (printed on stderr).
    public var port = 8080
    /// The id clients name in `model` (default: the checkpoint path as given, as vLLM does).
    public var modelName: String?
    public var maxBatch = 8
    public var maxQueue = 64
    /// Largest request body in bytes (413 above).
    public var maxBody = 1 << 20
    public var apiKey: String?
    public var threads = 2
    public var safetyModel: String?
    public var safetyLabel: String?
    public var safetyThreshold = 0.5
    public init(checkpoint: String) { self.checkpoint = checkpoint }
}

/// Requests in flight and whether the server is draining.
final class ServerState: @unchecked Sendable {
    let lock = NSLock()
    var inflight = 0
    var draining = false

    /// Counts a request in, or returns false when draining.
    func begin() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if draining { return false }
        inflight += 1
        return true
    }

    func end() {
        lock.lock()
        inflight -= 1
        lock.unlock()
    }

    var isDraining: Bool {
        lock.lock()
        defer { lock.unlock() }
        return draining
    }

    /// Starts draining; returns the requests still in flight.
    func drain() -> Int {
        lock.lock()
        defer { lock.unlock() }
        draining = true
        return inflight
    }

    var inflightCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return inflight
    }
}

/// Ends a request's in-flight count when the last holder lets go (the streamed body's closure may
/// outlive the handler, or never run if the client left).
final class InflightToken: @unchecked Sendable {
    let state: ServerState
    init(_ state: ServerState) { self.state = state }
    deinit { state.end() }
}

/// The server: model, engine, template, filter, counters.
public final class OpenAIServer: @unchecked Sendable {
    public let configuration: ServeConfiguration
    let engine: InferenceEngine
    let codec: TokenizerCodec
    let modelName: String
    /// For an INT8 checkpoint: its quantization method and the bytes of its weights (nil for F32).
    let weights: (method: String, bytes: Int)?
    let template: JinjaChatTemplate?
    let templateProblem: String?
    let safety: SafetyFilter?
    let metrics: ServeMetrics
    let state = ServerState()
    let created = Int64(Date().timeIntervalSince1970)
    let log: @Sendable (String) -> Void
    var idCounter = UInt64(0)
    let idLock = NSLock()

    /// Loads the checkpoint, its tokenizer and chat template, and the safety model.
    /// - Throws: `SluiceError` for a missing or broken checkpoint or safety model.
    public init(_ configuration: ServeConfiguration, log: @escaping @Sendable (String) -> Void) throws {
        self.configuration = configuration
        self.log = log
        // F32, or INT8 kept INT8 for a quantized checkpoint (docs/quantize.md).
        let model = try QuantizedCheckpoint.loadAny(configuration.checkpoint, threads: configuration.threads)
        try model.config.requireCausal("sluice serve", file: configuration.checkpoint)
        weights = model.isQuantized ? (QuantizedCheckpoint.method, model.weightBytes) : nil
        let codec = try TokenizerCodec.load(checkpoint: configuration.checkpoint)
        self.codec = codec
        let metrics = ServeMetrics()
        self.metrics = metrics
        modelName = configuration.modelName ?? configuration.checkpoint
        do {
            template = try JinjaChatTemplate.load(checkpoint: configuration.checkpoint)
            templateProblem = template == nil ? "the model's tokenizer_config.json has no chat_template" : nil
        } catch {
            template = nil
            templateProblem = "\(error)"
            log("sluice serve: /v1/chat/completions is off: \(error)")
        }
        var filter: SafetyFilter?
        if let path = configuration.safetyModel {
            guard let label = configuration.safetyLabel else {
                throw SluiceError(.config, "--safety-model needs --safety-label (the label to refuse)")
            }
            filter = try SafetyFilter(path: path, label: label, threshold: configuration.safetyThreshold)
        }
        safety = filter
        engine = InferenceEngine(
            model: model, codec: codec, maxBatch: configuration.maxBatch, maxQueue: configuration.maxQueue,
            safety: filter,
            metrics: metrics)
    }

    func nextID(_ prefix: String) -> String {
        idLock.lock()
        idCounter += 1
        let n = idCounter
        idLock.unlock()
        return prefix + String(created, radix: 36) + String(n, radix: 36)
    }

    // MARK: - Running

    /// Serves until SIGTERM or SIGINT, then drains and returns.
    public func run() throws {
        BLAS.setThreads(configuration.threads)
        engine.start()
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: GateMiddleware<BasicRequestContext>(server: self))
        router.get("health") { _, _ in
            self.state.isDraining
                ? Self.error(
                    APIError(503, "the server is shutting down", type: "server_error", code: "server_shutting_down"))
                : Self.json(200, #"{"status":"ok"}"#)
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: self.metrics.text())))
        }
        router.get("v1/models") { _, _ in
            Self.json(200, JSONSerializer.string(["object": "list", "data": .array([self.modelObject])]))
        }
        router.get("v1/models/:id") { request, context in
            let id = String(request.uri.path.dropFirst("/v1/models/".count)).removingPercentEncoding ?? ""
            guard id == self.modelName else { return Self.error(self.unknownModel(id)) }
            return Self.json(200, JSONSerializer.string(self.modelObject))
        }
        router.post("v1/completions") { request, _ in await self.generate(request, kind: .completion) }
        router.post("v1/chat/completions") { request, _ in await self.generate(request, kind: .chat) }

        var logger = Logger(label: "sluice-serve")
        logger.logLevel = .warning
        let host = configuration.host, maxBatch = configuration.maxBatch, log = self.log
        // An INT8 model says so, with its weight bytes; an F32 one prints what it always did.
        let name = modelName + (weights.map { ", INT8 (\($0.method)), \($0.bytes) bytes of weights" } ?? "")
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: "sluice"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? -1
                log("sluice serve: listening on http://\(host):\(port) (model \(name), max batch \(maxBatch))")
            },
            logger: logger)

        // Signals are ours (below): the group only stops when told, after the drain.
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: (any Error)?
        Task {
            do { try await group.run() } catch { failure = error }
            done.signal()
        }
        // SIGTERM / SIGINT: stop taking requests (503), let those in flight finish, then stop.
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let queue = DispatchQueue(label: "sluice-serve-signals")
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            let src = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            src.setEventHandler { [self] in
                let n = state.drain()
                log("sluice serve: shutting down: \(n) request(s) in flight finish, new ones get 503")
                queue.async { [self] in
                    while state.inflightCount > 0 { usleep(20_000) }
                    // Graceful: the server stops listening and closes its connections once their
                    // responses are written out.
                    Task { await group.triggerGracefulShutdown() }
                }
            }
            src.resume()
            sources.append(src)
        }
        done.wait()
        engine.stop()
        for s in sources { s.cancel() }
        if let failure { throw SluiceError(.io, "the server stopped: \(failure)") }
        log("sluice serve: stopped")
    }

    var modelObject: JSONValue {
        var o: JSONObject = [
            "id": .string(modelName), "object": "model", "created": .int(created), "owned_by": "sluice",
            "max_model_len": .int(Int64(engine.contextLength)),
        ]
        if let weights {
            // Not OpenAI fields: an INT8 checkpoint's method and weight bytes (clients ignore extra keys).
            o["quantization"] = .string(weights.method)
            o["weight_bytes"] = .int(Int64(weights.bytes))
        }
        return .object(o)
    }

    func unknownModel(_ name: String) -> APIError {
        APIError(
            404, "The model `\(name)` does not exist (this server serves `\(modelName)`).", param: "model",
            code: "model_not_found")
    }

    // MARK: - Responses

    static func json(_ status: Int, _ body: String, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extra)
        return Response(
            status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func error(_ e: APIError) -> Response {
        var extra: HTTPFields = [:]
        if e.status == 429 || e.status == 503 { extra[.retryAfter] = "1" }
        if e.status == 401 { extra[.wwwAuthenticate] = "Bearer" }
        return json(e.status, e.json, headers: extra)
    }

    // MARK: - Generation

    func generate(_ request: Request, kind: CompletionParameters.Kind) async -> Response {
        let started = Date()
        guard state.begin() else {
            return Self.error(
                APIError(503, "the server is shutting down", type: "server_error", code: "server_shutting_down"))
        }
        let token = InflightToken(state)
        let prepared: (CompletionParameters, GenerationRequest)
        do {
            prepared = try await prepare(request, kind: kind)
        } catch let e as APIError {
            return Self.error(e)
        } catch {
            return Self.error(APIError(500, "internal error: \(error)", type: "server_error"))
        }
        let (params, genRequest) = prepared
        let submitted: (GenerationJob, AsyncStream<GenerationEvent>)
        do {
            submitted = try engine.submit(genRequest)
        } catch {
            switch error {
            case .queueFull(let n):
                return Self.error(
                    APIError(
                        429,
                        "The server is busy: \(configuration.maxBatch) requests are being decoded and \(n) are waiting. Retry later.",
                        type: "rate_limit_error", code: "rate_limit_exceeded"))
            case .stopping:
                return Self.error(
                    APIError(503, "the server is shutting down", type: "server_error", code: "server_shutting_down"))
            }
        }
        let (job, stream) = submitted
        let id = nextID(kind == .chat ? "chatcmpl-" : "cmpl-")
        let promptTokens = genRequest.prompt.count
        let created = Int64(started.timeIntervalSince1970)
        let model = modelName
        let metrics = self.metrics

        if !params.stream {
            var text = ""
            var finish = "stop", completion = 0, ended = false
            for await e in stream {
                switch e {
                case .text(let t): text += t
                case .finished(let r, let c):
                    finish = r
                    completion = c
                    ended = true
                }
            }
            withExtendedLifetime(job) {}
            guard ended else {
                return Self.error(
                    APIError(503, "the server stopped before the answer was complete", type: "server_error"))
            }
            metrics.generation(
                promptTokens: promptTokens, completionTokens: completion, seconds: Date().timeIntervalSince(started))
            let usage: JSONValue = [
                "prompt_tokens": .int(Int64(promptTokens)), "completion_tokens": .int(Int64(completion)),
                "total_tokens": .int(Int64(promptTokens + completion)),
            ]
            let choice: JSONValue =
                kind == .chat
                ? [
                    "index": 0, "message": ["role": "assistant", "content": .string(text)], "logprobs": nil,
                    "finish_reason": .string(finish),
                ]
                : ["index": 0, "text": .string(text), "logprobs": nil, "finish_reason": .string(finish)]
            let body: JSONValue = [
                "id": .string(id), "object": kind == .chat ? "chat.completion" : "text_completion",
                "created": .int(created),
                "model": .string(model), "choices": [choice], "usage": usage,
            ]
            withExtendedLifetime(token) {}
            return Self.json(200, JSONSerializer.string(body))
        }

        // Server-sent events: one chunk per piece of text, a last chunk with the finish reason,
        // usage if asked, then [DONE]. A failed write (client gone) ends the stream, which cancels the job.
        let includeUsage = params.includeUsageInStream
        let body = ResponseBody { writer in
            let holder = token
            func chunk(_ delta: String?, role: Bool = false, finish: String? = nil) -> JSONValue {
                let choice: JSONValue
                if kind == .chat {
                    var d = JSONObject()
                    if role { d["role"] = "assistant" }
                    if let delta { d["content"] = .string(delta) }
                    choice = [
                        "index": 0, "delta": .object(d), "logprobs": nil,
                        "finish_reason": finish.map { JSONValue.string($0) } ?? .null,
                    ]
                } else {
                    choice = [
                        "index": 0, "text": .string(delta ?? ""), "logprobs": nil,
                        "finish_reason": finish.map { JSONValue.string($0) } ?? .null,
                    ]
                }
                return [
                    "id": .string(id), "object": kind == .chat ? "chat.completion.chunk" : "text_completion",
                    "created": .int(created),
                    "model": .string(model), "choices": [choice],
                ]
            }
            func event(_ v: JSONValue) -> ByteBuffer {
                ByteBuffer(string: "data: " + JSONSerializer.string(v) + "\n\n")
            }
            if kind == .chat { try await writer.write(event(chunk("", role: true))) }
            var completion = 0
            var ended = false
            for await e in stream {
                switch e {
                case .text(let t):
                    try await writer.write(event(chunk(t)))
                case .finished(let r, let c):
                    completion = c
                    ended = true
                    try await writer.write(event(chunk(kind == .chat ? nil : "", finish: r)))
                }
            }
            withExtendedLifetime(job) {}
            if ended {
                metrics.generation(
                    promptTokens: promptTokens, completionTokens: completion, seconds: Date().timeIntervalSince(started)
                )
                if includeUsage {
                    var last = chunk(nil)
                    if case .object(var o) = last {
                        o["choices"] = .array([])
                        o["usage"] = [
                            "prompt_tokens": .int(Int64(promptTokens)), "completion_tokens": .int(Int64(completion)),
                            "total_tokens": .int(Int64(promptTokens + completion)),
                        ]
                        last = .object(o)
                    }
                    try await writer.write(event(last))
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            }
            try await writer.finish(nil)
            withExtendedLifetime(holder) {}
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// Reads, checks and tokenizes a request.
    func prepare(_ request: Request, kind: CompletionParameters.Kind) async throws -> (
        CompletionParameters, GenerationRequest
    ) {
        let maxBody = configuration.maxBody
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBody {
            throw tooLarge(maxBody)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBody)
        } catch {
            throw tooLarge(maxBody)
        }
        let params = try CompletionParameters.parse(Array(buffer.readableBytesView), kind: kind)
        guard params.model == modelName else { throw unknownModel(params.model) }
        let promptText: String
        var stopIDs: Set<Int32> = []
        switch kind {
        case .completion:
            promptText = params.prompt
        case .chat:
            guard let template else {
                throw APIError(
                    400,
                    "This model cannot chat: \(templateProblem ?? "no chat template"). Use /v1/completions, or serve a "
                        + "checkpoint whose tokenizer_config.json has a chat_template.",
                    param: "messages", code: "chat_template_missing")
            }
            do { promptText = try template.render(params.messages) } catch {
                throw APIError(
                    400, "The chat template refused the messages: \(error)", param: "messages",
                    code: "chat_template_error")
            }
            // Any special token ends the assistant's turn (its end marker, the next role's marker, eos).
            for t in codec.tokenizer.addedTokens where t.special { stopIDs.insert(Int32(bitPattern: t.id)) }
        }
        if let safety {
            let scored = kind == .chat ? params.messages.map(\.content).joined(separator: "\n") : promptText
            if safety.flags(scored) {
                metrics.filtered(stage: "prompt")
                throw APIError(
                    400,
                    "The prompt was refused by the safety filter (its probability of '\(safety.labelName)' is at or above "
                        + "\(safety.threshold)).", param: kind == .chat ? "messages" : "prompt", code: "content_filter")
            }
        }
        let ids = codec.encode(promptText)
        let T = engine.contextLength
        let promptParam = kind == .chat ? "messages" : "prompt"
        guard ids.count < T else {
            throw APIError(
                400,
                "This model's maximum context length is \(T) tokens. However, your \(promptParam) is \(ids.count) tokens; "
                    + "reduce its length.", param: promptParam, code: "context_length_exceeded")
        }
        // OpenAI's defaults: 16 tokens for completions, the rest of the context for chat.
        let maxTokens = params.maxTokens ?? (kind == .chat ? T - ids.count : min(16, T - ids.count))
        guard ids.count + maxTokens <= T else {
            throw APIError(
                400,
                "This model's maximum context length is \(T) tokens. However, you requested \(ids.count + maxTokens) tokens "
                    + "(\(ids.count) in the \(promptParam), \(maxTokens) in the completion). Please reduce the length of the "
                    + "\(promptParam) or completion.", param: kind == .chat ? "max_tokens" : "max_tokens",
                code: "context_length_exceeded")
        }
        var sampling = SamplingOptions()
        sampling.maxTokens = maxTokens
        sampling.temperature = params.temperature
        sampling.topP = params.topP
        sampling.topK = params.topK
        sampling.seed = params.seed ?? UInt64.random(in: 0...UInt64.max)
        sampling.stopID = codec.tokenizer.eosID.map { Int32(bitPattern: $0) }
        var g = GenerationRequest(prompt: ids, sampling: sampling)
        g.stop = params.stop
        g.stopIDs = stopIDs
        return (params, g)
    }

    func tooLarge(_ maxBody: Int) -> APIError {
        APIError(
            413, "The request body is larger than this server's limit of \(maxBody) bytes (--max-body).",
            code: "request_too_large")
    }
}

/// Authentication, OpenAI-shaped errors for unknown routes and thrown errors, request counting.
struct GateMiddleware<Context: RequestContext>: RouterMiddleware {
    let server: OpenAIServer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let path = request.uri.path
        let response = await respond(request, context: context, next: next)
        let endpoint =
            ["/v1/completions", "/v1/chat/completions", "/v1/models", "/health", "/metrics"].contains(path)
            ? path : path.hasPrefix("/v1/models/") ? "/v1/models/{id}" : "other"
        server.metrics.request(endpoint: endpoint, status: Int(response.status.code))
        return response
    }

    func respond(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async
        -> Response
    {
        let path = request.uri.path
        if path.hasPrefix("/v1/"), let key = server.configuration.apiKey {
            let given = request.headers[.authorization] ?? ""
            guard given == "Bearer " + key else {
                let e =
                    given.isEmpty
                    ? APIError(
                        401,
                        "You didn't provide an API key. Send it in an Authorization header: 'Authorization: Bearer YOUR_KEY'.",
                        code: "invalid_api_key")
                    : APIError(401, "Incorrect API key provided.", code: "invalid_api_key")
                return OpenAIServer.error(e)
            }
        }
        do {
            return try await next(request, context)
        } catch let e as HTTPError {
            if e.status == .notFound || e.status == .methodNotAllowed {
                return OpenAIServer.error(
                    APIError(
                        Int(e.status.code), "Invalid URL (\(request.method.rawValue) \(path))",
                        code: e.status == .notFound ? "unknown_url" : nil))
            }
            return OpenAIServer.error(
                APIError(Int(e.status.code), e.body ?? "\(e.status)", type: "invalid_request_error"))
        } catch {
            return OpenAIServer.error(APIError(500, "internal error: \(error)", type: "server_error"))
        }
    }
}
