// TokenScanner: the word tokenizer of the quality filters, against spaCy and datatrove.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceClean

@Suite struct TokenScannerTests {
    func tokens(_ text: String, icuWords: Bool = false) -> [String] {
        let t = TokenScanner(icuWords: icuWords)
        return withUTF8Bytes(text) { b in
            t.scan(b)
            return (0..<t.count).map {
                String(decoding: UnsafeBufferPointer(rebasing: b[t.starts[$0]..<t.ends[$0]]), as: UTF8.self)
            }
        }
    }

    @Test func followsSpaCyOnEnglish() {
        #expect(
            tokens("Don't stop (the D.C. show), it's 9pm...") == [
                "Do", "n't", "stop", "(", "the", "D.C.", "show", ")", ",", "it", "'s", "9", "pm", "...",
            ])
        #expect(tokens("well-known 501(c)(3) cannot") == ["well", "-", "known", "501(c)(3", ")", "can", "not"])
    }

    /// spaCy rules that decided keep/drop on the multilingual crawl (issue 15 §2); the expected
    /// lists are spaCy 3.8's English tokenizer output, as datatrove 0.10.1 uses it.
    @Test func followsSpaCyOnURLsUnitsAndSpecialCases() {
        #expect(
            tokens("See https://www.debian.org/doc/ or mail debian-live@lists.debian.org now") == [
                "See", "https://www.debian.org/doc/", "or", "mail", "debian-live@lists.debian.org", "now",
            ])
        #expect(tokens("zim_0.73.5-1.debian.tar.xz") == ["zim_0.73.5-1.debian.tar.xz"])
        #expect(tokens("a 780MB disk, 100% full") == ["a", "780", "MB", "disk", ",", "100", "%", "full"])
        #expect(tokens("TFTP. Then etc. and Dr. Who") == ["TFTP", ".", "Then", "etc", ".", "and", "Dr.", "Who"])
        #expect(tokens("Jan. jan.") == ["Jan.", "jan", "."])
        #expect(tokens("+0100 and (see x):") == ["+0100", "and", "(", "see", "x", "):"])
        #expect(tokens("[=") == ["[="])
        #expect(tokens("package_config/中列出的包") == ["package_config", "/", "中列出的包"])
    }

    @Test func keepsUnspacedRunsWholeLikeDatatrove() {
        // spaCy's English tokenizer (datatrove's default for every language) splits only at spaces
        // and affixes: a Japanese clause is one token.
        #expect(tokens("吾輩は猫である。名前はまだ無い。") == ["吾輩は猫である。名前はまだ無い", "。"])
    }

    @Test func countsChineseAndJapaneseWords() {
        // With icuWords, ICU's dictionaries split unspaced text into words.
        let ja = tokens("吾輩は猫である。名前はまだ無い。", icuWords: true)
        #expect(ja.count >= 8)
        #expect(ja.contains("猫"))
        let zh = tokens("我们今天去公园散步", icuWords: true)
        #expect(zh.count >= 4)
        #expect(zh.joined() == "我们今天去公园散步")
    }
}
