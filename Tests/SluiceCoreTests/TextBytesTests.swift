// TextBytes trimming: ASCII blanks (space, tab, CR, LF) stripped, other spaces kept.
import SluiceCore
import Testing

@Suite struct TextBytesTests {
    @Test func stripsASCIIBlanksOnly() {
        #expect(" \t a b \r\n".trimmingASCIIWhitespace() == "a b")
        #expect("\u{A0}x\u{A0}".trimmingASCIIWhitespace() == "\u{A0}x\u{A0}")  // other spaces stay
        #expect("".trimmingASCIIWhitespace() == "" && " \n".trimmingASCIIWhitespace() == "")
        let bytes = Array("  key: v \r".utf8)
        #expect(bytes.withUnsafeBufferPointer { trimmedRange($0) } == 2..<8)  // "key: v"
    }
}
