// InferenceEngine's stop strings: the first stop, and the bytes held back.
import Foundation
import SluiceCore
import Testing

@testable import SluiceServe

@Suite struct InferenceEngineTests {
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
