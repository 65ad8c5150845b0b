// UTF8Text: the validator against the standard library and by fuzzing, invalid bytes counted in strings.
import SluiceCore
import Testing

@Suite struct UTF8TextTests {
    /// The validator agrees with the standard library on valid text and on every kind of damage.
    @Test func validatorMatchesStandardLibrary() {
        var cases: [[UInt8]] = [
            [], Array("plain ascii that is longer than sixteen bytes".utf8), Array("é中😀 mixed ascii".utf8),
            [0x80], [0xC0, 0x80], [0xC1, 0xBF], [0xC2], [0xE0, 0x9F, 0x80], [0xED, 0xA0, 0x80],
            [0xF0, 0x8F, 0x80, 0x80],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF0, 0x90, 0x80], [0xE4, 0xB8], [0xFF], [0xFE],
        ]
        // Damage at every offset of a longer mixed string.
        let good = Array("abcdefghijklmnopqrstuvwxyz 日本語テキスト 😀 Grüße ".utf8)
        for k in 0..<good.count {
            var bad = good
            bad[k] ^= 0x40
            cases.append(bad)
            cases.append(Array(good.prefix(k)))
        }
        for c in cases {
            let std = String(validating: c, as: UTF8.self) != nil
            #expect(c.withUnsafeBytes { UTF8Text.isValid($0) } == std, "\(c)")
        }
    }

    /// Random byte strings rich in lead, continuation and special bytes, of lengths around the
    /// 32-byte blocks: the SIMD validator and the standard library always agree.
    @Test func validatorFuzz() {
        let alphabet: [UInt8] = [
            0x41, 0x20, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEE, 0xEF,
            0xF0, 0xF1, 0xF4, 0xF5, 0xFF,
        ]
        let valid = Array("aé中😀".utf8)
        var state: UInt64 = 12345
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33)
        }
        var disagreements = 0
        for _ in 0..<20000 {
            let length = next() % 100
            var bytes: [UInt8] = []
            while bytes.count < length {
                if next() % 3 == 0 {
                    bytes.append(alphabet[next() % alphabet.count])
                } else {
                    bytes += valid[0..<(1 + next() % valid.count)]
                }
            }
            let std = String(validating: bytes, as: UTF8.self) != nil
            if bytes.withUnsafeBytes({ UTF8Text.isValid($0) }) != std {
                disagreements += 1
                if disagreements < 5 { Issue.record("disagree on \(bytes)") }
            }
        }
        #expect(disagreements == 0)
    }

    @Test func invalidCountedInEscapedStrings() throws {
        var p = JSONParser()
        // A truncated 4-byte sequence of 3 bytes is repaired to one U+FFFD of the same length.
        let bytes: [UInt8] = Array(#""a\n"#.utf8) + [0xF0, 0x9F, 0x98] + Array(#"b""#.utf8)
        let v = try bytes.withUnsafeBytes { try p.parse($0) }
        #expect(v == .string("a\n\u{FFFD}b"))
        #expect(p.invalidUTF8Count == 1)
        // Valid 4-byte characters next to escapes are not counted.
        _ = try p.parse(#""😀\t😀""#)
        #expect(p.invalidUTF8Count == 1)
    }
}
