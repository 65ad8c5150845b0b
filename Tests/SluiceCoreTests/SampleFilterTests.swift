// sample: not sampled, keeps about the fraction, deterministic and seeded, options.
import SluiceCore
import SluiceTestSupport
import Testing

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
