// Helpers shared by the training tests: a small model.
import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceTrain

/// A small model (2 layers, width 16, context 8) over 256 byte tokens.
func smallModel(threads: Int = 2) throws -> GPT {
    let m = try GPT(
        config: GPTConfig(vocabSize: 256, contextLength: 8, layers: 2, heads: 2, width: 16), threads: threads)
    m.initialize(seed: 11)
    return m
}
