// Timing single-stream greedy decoding (`sluice dev decode-speed`, Benchmarks/quantize): a fixed
// prompt of ids, then one token at a time through the KV cache, F32 or INT8. No tokenizer involved.
import Foundation
import SluiceCore

/// What one decoding run measured.
public struct DecodeSpeed: Sendable {
    /// Whether the matrices were INT8.
    public var quantized: Bool
    /// Bytes of the weights (`DecodeModel.weightBytes`).
    public var weightBytes: Int
    /// Prompt ids and generated ids.
    public var promptTokens: Int, tokens: Int
    /// Seconds for the prompt (one pass of all its rows) and for the generated tokens.
    public var prefillSeconds: Double, decodeSeconds: Double
    /// The ids generated (a checksum for comparing runs).
    public var ids: [Int32]

    /// Generated tokens per second, the prompt excluded.
    public var tokensPerSecond: Double { Double(tokens) / decodeSeconds }

    /// Greedy decoding of `tokens` ids after a `promptTokens`-id prompt (ids 7919·i mod V).
    /// - Precondition: promptTokens ≥ 1, tokens ≥ 1, their sum ≤ the context length.
    public static func measure(_ decoder: DecodeModel, promptTokens: Int, tokens: Int) -> DecodeSpeed {
        let V = decoder.config.vocabSize
        precondition(promptTokens >= 1 && tokens >= 1 && promptTokens + tokens <= decoder.config.contextLength)
        let gen = Generator(decoder: decoder)
        let prompt = (0..<promptTokens).map { Int32((7919 * $0 + 1) % V) }
        let clock = ContinuousClock()
        var logits: [Float] = []
        let prefill = clock.measure { logits = gen.append(prompt) }
        var ids: [Int32] = []
        let decode = clock.measure {
            for _ in 0..<tokens {
                var best = 0
                for j in 1..<logits.count where logits[j] > logits[best] { best = j }
                ids.append(Int32(best))
                logits = gen.append([Int32(best)])
            }
        }
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        return DecodeSpeed(
            quantized: decoder.isQuantized, weightBytes: decoder.weightBytes, promptTokens: promptTokens,
            tokens: tokens,
            prefillSeconds: seconds(prefill), decodeSeconds: seconds(decode), ids: ids)
    }
}
