// `sluice quantize` (INT8 checkpoints, optional magnitude pruning) and `sluice dev decode-speed`
// (single-stream decoding timed for Benchmarks/quantize). Thin: parse, call SluiceTrain, print JSON.
import ArgumentParser
import Foundation
import SluiceCore
import SluiceTrain

struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract:
            "Write an INT8 copy of a checkpoint (per-output-channel scales), optionally pruned (JSON summary on stdout).",
        discussion: """
            Every matrix (embeddings and head included) becomes I8 with one F32 scale per output channel; \
            norms and biases stay F32. `sluice eval` and `sluice generate` read the result. --prune F first \
            zeroes the F smallest-magnitude weights of each linear layer. --eval-text prints the bits per \
            byte of the original and the quantized model on a text (the checkpoint's tokenizer). See docs/quantize.md.
            """)

    @Option(help: "F32 checkpoint folder (config.json, model.safetensors, tokenizer.json).") var checkpoint: String
    @Option(help: "Folder to write (new, or a quantized checkpoint to replace).") var out: String
    @Option(help: "Bits per weight (8 only).") var bits = 8
    @Option(help: "Fraction of each linear layer's weights zeroed by magnitude first, in [0, 1).") var prune = 0.0
    @Option(help: "UTF-8 text: report bits per byte of the original and the quantized model.") var evalText: String?
    @Option(help: "Threads for kernels and OpenBLAS.") var threads = 2

    func validate() throws {
        guard bits == 8 else {
            throw ValidationError("--bits \(bits) is not supported: INT8 (--bits 8) is the only width")
        }
        guard prune >= 0 && prune < 1 else { throw ValidationError("--prune must be in [0, 1) (got \(prune))") }
        guard threads >= 1 else { throw ValidationError("--threads must be ≥ 1") }
    }

    func run() throws {
        try reportingErrors {
            BLAS.setThreads(threads)
            var o = QuantizeOptions()
            o.bits = bits
            o.prune = prune
            o.evalText = evalText
            o.threads = threads
            print(try Quantizer.run(checkpoint: checkpoint, out: out, options: o).json)
        }
    }
}

/// `sluice dev decode-speed`: greedy single-stream decoding of a checkpoint (F32 or INT8), timed.
struct DecodeSpeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode-speed", abstract: "Time greedy decoding through the KV cache (JSON summary).")
    @Option var checkpoint: String
    @Option var promptTokens = 16
    @Option var tokens = 64
    @Option var threads = 2

    func run() throws {
        try reportingErrors {
            BLAS.setThreads(threads)
            let clock = ContinuousClock()
            let start = clock.now
            let decoder = try QuantizedCheckpoint.loadAny(checkpoint, threads: threads)
            let load = clock.now - start
            guard promptTokens >= 1, tokens >= 1, promptTokens + tokens <= decoder.config.contextLength else {
                throw ValidationError(
                    "--prompt-tokens + --tokens must fit the context of \(decoder.config.contextLength)")
            }
            let r = DecodeSpeed.measure(decoder, promptTokens: promptTokens, tokens: tokens)
            var checksum: UInt64 = 1_469_598_103_934_665_603
            for id in r.ids { checksum = (checksum ^ UInt64(UInt32(bitPattern: id))) &* 1_099_511_628_211 }
            let loadSeconds = Double(load.components.seconds) + Double(load.components.attoseconds) * 1e-18
            print(
                "{\"quantized\": \(r.quantized), \"weight_bytes\": \(r.weightBytes), \"peak_rss_bytes\": \(peakRSS()), "
                    + "\"load_seconds\": \(loadSeconds), \"prompt_tokens\": \(r.promptTokens), \"tokens\": \(r.tokens), "
                    + "\"prefill_seconds\": \(r.prefillSeconds), \"decode_seconds\": \(r.decodeSeconds), "
                    + "\"tokens_per_second\": \(r.tokensPerSecond), \"ids_checksum\": \(checksum)}")
        }
    }

    /// VmHWM of /proc/self/status in bytes (0 where there is no /proc).
    func peakRSS() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return 0
    }
}
