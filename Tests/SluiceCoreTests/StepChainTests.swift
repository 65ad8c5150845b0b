// StepChain, the engine's step loop: steps in order until the first drop, each counted in its own
// stats slot (documents and bytes in and out, drops by reason).
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct StepChainTests {
    @Test func appliesInOrderAndCountsEachStep() throws {
        // UpperStep upper-cases; then DropWordFilter drops texts containing "DROP".
        let context = StageHarness.context("reader", "upper", "drop_word")
        let steps: [any Step] = [
            try StageHarness.build(UpperStep.self), try StageHarness.build(DropWordFilter.self, [("word", "DROP")]),
        ]
        var chain = StepChain(steps, firstSlot: 1)
        try chain.prepare(context: context)
        var kept = Document(id: "a", text: "keep me", source: "t")
        var dropped = Document(id: "b", text: "drop me", source: "t")
        #expect(try chain.apply(to: &kept, context: context) == .keep)
        #expect(kept.text == "KEEP ME")
        #expect(try chain.apply(to: &dropped, context: context) == .drop(DropReason("drop_word:word")))
        let upper = context.stats.stages[1]
        let drop = context.stats.stages[2]
        #expect(upper.documentsIn == 2 && upper.documentsOut == 2 && upper.bytesIn == 14 && upper.bytesOut == 14)
        #expect(drop.documentsIn == 2 && drop.documentsOut == 1 && drop.drops == ["drop_word:word": 1])
        #expect(context.stats.stages[0].documentsIn == 0)  // the reader's slot is not the chain's
    }
}
