// Charset: a declared charset wins, Shift-JIS from the HTTP header, mislabelled UTF-8, undeclared Cyrillic,
// the meta charset.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

@Suite struct CharsetTests {
    @Test func declaredCharsetWins() {
        let bytes: [UInt8] = Array("caf".utf8) + [0xe9]
        let d = bytes.withUnsafeBytes { CharsetDecoder.decode($0, declared: "ISO-8859-1") }
        #expect(String(decoding: d.utf8, as: UTF8.self) == "café")
        #expect(d.source == .declared)
    }

    @Test func shiftJISFromHTTPHeader() {
        // 日本語 in Shift_JIS.
        let bytes: [UInt8] = [0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea]
        let d = bytes.withUnsafeBytes { CharsetDecoder.decode($0, declared: "Shift_JIS") }
        #expect(String(decoding: d.utf8, as: UTF8.self) == "日本語")
    }

    @Test func mislabelledUTF8IsUTF8() {
        let d = Array("naïve café".utf8).withUnsafeBytes { CharsetDecoder.decode($0, declared: "iso-8859-1") }
        #expect(String(decoding: d.utf8, as: UTF8.self) == "naïve café")
    }

    @Test func undeclaredCyrillicIsDetected() {
        let russian = String(
            repeating:
                "Съешь же ещё этих мягких французских булок, да выпей чаю. Широкая электрификация южных губерний. ",
            count: 8)
        var bytes = [UInt8]()
        // Encode as windows-1251 through ICU (UTF-8 → cp1251 is the reverse of what we test).
        for s in russian.unicodeScalars {
            let v = s.value
            if v < 0x80 {
                bytes.append(UInt8(v))
            } else if v >= 0x410 && v <= 0x44f {
                bytes.append(UInt8(v - 0x410 + 0xc0))
            } else if v == 0x451 {
                bytes.append(0xb8)
            } else {
                bytes.append(0x3f)
            }
        }
        let d = bytes.withUnsafeBytes { CharsetDecoder.decode($0, declared: nil) }
        #expect(d.source == .detected)
        #expect(String(decoding: d.utf8, as: UTF8.self).contains("мягких французских булок"))
    }

    @Test func metaCharsetIsFound() {
        let html = Array("<html><head><META http-equiv='Content-Type' content='text/html; charset=windows-1251'>".utf8)
        #expect(html.withUnsafeBytes { HTMLPage.metaCharset($0) } == "windows-1251")
        let h5 = Array("<meta charset=\"utf-8\">".utf8)
        #expect(h5.withUnsafeBytes { HTMLPage.metaCharset($0) } == "utf-8")
    }
}
