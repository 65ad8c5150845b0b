// SplitMix64 against the reference implementation's outputs.
import SluiceCore
import Testing

@Suite struct SplitMix64Tests {
    @Test func knownOutputs() {
        // Vigna's reference splitmix64.c from state 0: e220a8397b1dcdaf, 6e789e6aa1b965f4, 06c45d188009454f.
        var g = SplitMix64(seed: 0)
        #expect(
            [g.next(), g.next(), g.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        #expect(mix64(0) == 0xE220_A839_7B1D_CDAF)
        var u = SplitMix64(seed: 7)
        for _ in 0..<1000 { let x = u.nextUnit(); #expect(x >= 0 && x < 1) }
    }
}
