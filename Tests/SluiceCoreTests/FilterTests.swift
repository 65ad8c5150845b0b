// The length and sample filters: one test per drop reason, options, and sampling determinism.
import SluiceCore
import SluiceTestSupport
import Testing

func options(_ stage: String, _ values: [(String, String)]) -> StageOptions {
    StageOptions(stageName: stage, values: values.map { ($0.0, ConfigValue.scalar($0.1, line: 0)) }, file: nil)
}

@Suite struct LengthFilterTests {
    func verdict(_ text: String, _ values: [(String, String)]) throws -> Verdict {
        var o = options("length", values)
        var f = try LengthFilter(options: &o)
        try o.finish()
        return f.verdict(for: Document(id: "x", text: text, source: "t"))
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
        for (text, n) in [("", 0), ("   ", 0), ("a", 1), (" a  b ", 2), ("x\u{0B}y\u{0C}z\r\nw", 4), ("non\u{A0}breaking", 1)] {
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

    @Test func notSampled() {
        var f = SampleFilter(fraction: 0)
        #expect(f.verdict(for: docs(1)[0]) == .drop(SampleFilter.notSampled))
        #expect(SampleFilter.notSampled.rawValue == "sample:not_sampled")
    }

    @Test func keepsAboutTheFraction() {
        var f = SampleFilter(fraction: 0.3, seed: 7)
        let kept = docs(20000).filter { f.verdict(for: $0) == .keep }.count
        #expect(abs(kept - 6000) < 300, "kept \(kept)")
        var all = SampleFilter(fraction: 1)
        #expect(docs(1000).allSatisfy { all.verdict(for: $0) == .keep })
    }

    @Test func deterministicAndSeeded() {
        var a = SampleFilter(fraction: 0.5, seed: 1)
        var b = SampleFilter(fraction: 0.5, seed: 1)
        var c = SampleFilter(fraction: 0.5, seed: 2)
        let va = docs(2000).map { a.verdict(for: $0) }
        #expect(va == docs(2000).map { b.verdict(for: $0) })
        #expect(va != docs(2000).map { c.verdict(for: $0) })
        // A smaller fraction keeps a subset of a larger one (same seed).
        var small = SampleFilter(fraction: 0.2, seed: 1)
        for (d, v) in zip(docs(2000), va) where small.verdict(for: d) == .keep { #expect(v == .keep) }
    }

    @Test func options() throws {
        var o = SluiceCoreTests.options("sample", [("fraction", "0.25"), ("seed", "42")])
        let f = try SampleFilter(options: &o)
        try o.finish()
        #expect(f.fraction == 0.25 && f.seed == 42)
        var bad = SluiceCoreTests.options("sample", [("fraction", "1.5")])
        #expect(throws: SluiceError.self) { _ = try SampleFilter(options: &bad) }
    }
}
