// The length and sample filters: one test per drop reason, options, and sampling determinism.
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct LengthFilterTests {
    func verdict(_ text: String, _ values: [(String, String)]) throws -> Verdict {
        try StageHarness.verdicts(LengthFilter.self, values, texts: [text])[0]
    }

    @Test func tooShortChars() throws {
        // "héllo" is five characters but six bytes: characters are scalars, not bytes.
        #expect(try verdict("héllo", [("min_chars", "6")]) == .drop(LengthFilter.tooShortChars))
        #expect(try verdict("héllo", [("min_chars", "5")]) == .keep)
    }

    @Test func tooLongChars() throws {
        #expect(try verdict("日本語です", [("max_chars", "4")]) == .drop(LengthFilter.tooLongChars))
        #expect(try verdict("日本語です", [("max_chars", "5")]) == .keep)
    }

    @Test func tooFewWords() throws {
        #expect(try verdict("  one\ttwo\n three  ", [("min_words", "4")]) == .drop(LengthFilter.tooFewWords))
        #expect(try verdict("  one\ttwo\n three  ", [("min_words", "3")]) == .keep)
    }

    @Test func tooManyWords() throws {
        #expect(try verdict("a b c d", [("max_words", "3")]) == .drop(LengthFilter.tooManyWords))
        #expect(try verdict("a b c", [("max_words", "3")]) == .keep)
    }

    @Test func reasonStrings() {
        #expect(LengthFilter.tooShortChars.rawValue == "length:too_short_chars")
        #expect(LengthFilter.tooLongChars.rawValue == "length:too_long_chars")
        #expect(LengthFilter.tooFewWords.rawValue == "length:too_few_words")
        #expect(LengthFilter.tooManyWords.rawValue == "length:too_many_words")
    }

    @Test func wordCounts() {
        for (text, n) in [
            ("", 0), ("   ", 0), ("a", 1), (" a  b ", 2), ("x\u{0B}y\u{0C}z\r\nw", 4), ("non\u{A0}breaking", 1),
        ] {
            #expect(Array(text.utf8).withUnsafeBytes { LengthFilter.wordCount($0) } == n, "\(text)")
        }
    }

    @Test func rejectsInvertedBounds() {
        #expect(throws: SluiceError.self) { _ = try verdict("x", [("min_words", "5"), ("max_words", "2")]) }
        #expect(throws: SluiceError.self) { _ = try verdict("x", [("min_chars", "-1")]) }
    }
}

@Suite struct SampleFilterTests {
    func docs(_ n: Int) -> [Document] { (0..<n).map { Document(id: "doc-\($0)", text: "t", source: "s") } }

    /// The verdicts of `filter` on `documents`, in order (the filter keeps its state across them).
    func verdicts(_ filter: SampleFilter, _ documents: [Document]) throws -> [Verdict] {
        try StageHarness.verdicts(filter, documents)
    }

    @Test func notSampled() throws {
        #expect(try verdicts(SampleFilter(fraction: 0), docs(1)) == [.drop(SampleFilter.notSampled)])
        #expect(SampleFilter.notSampled.rawValue == "sample:not_sampled")
    }

    @Test func keepsAboutTheFraction() throws {
        let kept = try verdicts(SampleFilter(fraction: 0.3, seed: 7), docs(20000)).filter { $0 == .keep }.count
        #expect(abs(kept - 6000) < 300, "kept \(kept)")
        #expect(try verdicts(SampleFilter(fraction: 1), docs(1000)).allSatisfy { $0 == .keep })
    }

    @Test func deterministicAndSeeded() throws {
        let va = try verdicts(SampleFilter(fraction: 0.5, seed: 1), docs(2000))
        #expect(try va == verdicts(SampleFilter(fraction: 0.5, seed: 1), docs(2000)))
        #expect(try va != verdicts(SampleFilter(fraction: 0.5, seed: 2), docs(2000)))
        // A smaller fraction keeps a subset of a larger one (same seed).
        let small = try verdicts(SampleFilter(fraction: 0.2, seed: 1), docs(2000))
        for (s, v) in zip(small, va) where s == .keep { #expect(v == .keep) }
    }

    @Test func options() throws {
        let f = try StageHarness.build(SampleFilter.self, [("fraction", "0.25"), ("seed", "42")])
        #expect(f.fraction == 0.25 && f.seed == 42)
        #expect(throws: SluiceError.self) { _ = try StageHarness.build(SampleFilter.self, [("fraction", "1.5")]) }
    }
}
