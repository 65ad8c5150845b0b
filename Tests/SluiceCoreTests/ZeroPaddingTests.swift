// zeroPadded and zeroPaddedHex: fixed-width numbers for file names and fingerprints.
import SluiceCore
import Testing

@Suite struct ZeroPaddingTests {
    @Test func padsToTheWidthAndKeepsWiderNumbers() {
        #expect(zeroPadded(3, width: 5) == "00003")
        #expect(zeroPadded(0, width: 4) == "0000")
        #expect(zeroPadded(123_456, width: 5) == "123456")
        #expect(zeroPaddedHex(0xAB) == "00000000000000ab")
        #expect(zeroPaddedHex(.max) == "ffffffffffffffff")
    }
}
