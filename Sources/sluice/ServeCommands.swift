// `sluice serve`: parses flags and runs SluiceServe's OpenAI-compatible server (docs/serve.md).
import ArgumentParser
import Foundation
import SluiceCore
import SluiceServe

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a checkpoint over the OpenAI HTTP API (completions, chat, streaming, continuous batching).",
        discussion: """
            POST /v1/completions and /v1/chat/completions (chat needs a chat_template in the checkpoint's \
            tokenizer_config.json), GET /v1/models, /health and /metrics (Prometheus). SIGTERM or Ctrl-C lets \
            requests in flight finish and answers new ones with 503. See docs/serve.md.
            """)

    @Option(help: "Checkpoint folder (config.json, model.safetensors, tokenizer.json).") var checkpoint: String
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: a free one, printed on stderr).") var port = 8080
    @Option(help: "Model id clients send in `model` (default: the checkpoint path as given).") var modelName: String?
    @Option(help: "Sequences decoded together in one batched step.") var maxBatch = 8
    @Option(help: "Requests that may wait for a batch slot; more get 429.") var maxQueue = 64
    @Option(help: "Largest request body in bytes; larger get 413.") var maxBody = 1 << 20
    @Option(help: "Require 'Authorization: Bearer KEY' on /v1 (default: $SLUICE_API_KEY).") var apiKey: String?
    @Option(help: "Threads for the kernels and OpenBLAS.") var threads = 2
    @Option(help: "Safety classifier (.slcm from `sluice classifier train`, or fastText .bin/.ftz).") var safetyModel:
        String?
    @Option(help: "The classifier's label that is refused.") var safetyLabel: String?
    @Option(help: "Refuse at or above this probability of the label.") var safetyThreshold = 0.5

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard maxBatch >= 1 && maxBatch <= 1024 else { throw ValidationError("--max-batch must be in 1...1024") }
        guard maxQueue >= 0 else { throw ValidationError("--max-queue must be ≥ 0") }
        guard maxBody >= 256 else { throw ValidationError("--max-body must be ≥ 256 bytes") }
        guard threads >= 1 else { throw ValidationError("--threads must be ≥ 1") }
        guard (0...1).contains(safetyThreshold) else { throw ValidationError("--safety-threshold must be in [0, 1]") }
        guard (safetyModel == nil) == (safetyLabel == nil) else {
            throw ValidationError("--safety-model and --safety-label go together")
        }
    }

    func run() throws {
        try reportingErrors {
            var c = ServeConfiguration(checkpoint: checkpoint)
            c.host = host
            c.port = port
            c.modelName = modelName
            c.maxBatch = maxBatch
            c.maxQueue = maxQueue
            c.maxBody = maxBody
            let envKey = ProcessInfo.processInfo.environment["SLUICE_API_KEY"]
            c.apiKey = apiKey ?? (envKey?.isEmpty == false ? envKey : nil)
            c.threads = threads
            c.safetyModel = safetyModel
            c.safetyLabel = safetyLabel
            c.safetyThreshold = safetyThreshold
            let server = try OpenAIServer(c, log: { stderrLine($0) })
            try server.run()
        }
    }
}
