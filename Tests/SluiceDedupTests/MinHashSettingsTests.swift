// MinHashSettings: the S-curve against the published figures (docs/dedup.md), the signature cutoff,
// the verify option, options and presets.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceDedup

@Suite struct MinHashSettingsTests {
    @Test func sCurveMatchesPublishedFigures() {
        // datatrove's 14 × 8 (docs/dedup.md, presets): midpoint 0.719, P = 0.565 / 0.924 / 0.9996.
        #expect(abs(MinHasher.threshold(bands: 14, rows: 8) - 0.719) < 0.001)
        #expect(abs(MinHasher.candidateProbability(0.7, bands: 14, rows: 8) - 0.565) < 0.001)
        #expect(abs(MinHasher.candidateProbability(0.8, bands: 14, rows: 8) - 0.924) < 0.001)
        #expect(abs(MinHasher.candidateProbability(0.8, bands: 20, rows: 13) - 0.677) < 0.001)
        let curve = MinHashSettings().sCurve
        #expect(curve.contains("14 bands × 8 rows"))
        #expect(curve.contains("0.924"))
        #expect(curve.contains("verify: exact — a candidate is kept if the Jaccard of the shingle sets is ≥ 0.80"))
        #expect(MinHashSettings(verify: .none).sCurve.contains("verify: none"))
        #expect(
            MinHashSettings(verify: .signature).sCurve.contains(
                "verify: signature — a candidate is kept if ≥ 77 of 112 MinHash values are equal"))
    }

    @Test func signatureCutoffIsThreeStandardDeviationsBelowTheThreshold() {
        // 14 × 8: σ = √(0.8 · 0.2 / 112) = 0.0378; 0.8 − 3σ = 0.6866; 0.6866 × 112 = 76.9 → 77.
        let s = MinHashSettings()
        #expect(abs(s.signatureCutoff - 0.6866) < 0.0001)
        #expect(s.signatureMinimumMatches == 77)
        #expect(MinHashSettings(signatureMargin: 2).signatureMinimumMatches == 82)  // 0.7244 × 112 = 81.1
        #expect(MinHashSettings(signatureMargin: 0).signatureMinimumMatches == 90)  // 0.8 × 112 = 89.6
        #expect(MinHashSettings(threshold: 1, signatureMargin: 0).signatureMinimumMatches == 112)
    }

    @Test(arguments: [
        ("signature", VerifyMode.signature), ("none", .none), ("exact", .exact), ("true", .exact), ("false", .none),
    ])
    func verifyOption(value: String, mode: VerifyMode) throws {
        var o = StageOptions(stageName: "minhash_dedup", values: [("verify", .scalar(value, line: 3))], file: "p.yaml")
        #expect(try MinHashSettings(options: &o).verify == mode)
        try o.finish()
    }

    @Test func verifyOptionDefaultsAndErrors() throws {
        var empty = StageOptions(stageName: "minhash_dedup", values: [], file: "p.yaml")
        #expect(try MinHashSettings(options: &empty).verify == .exact)
        var bad = StageOptions(
            stageName: "minhash_dedup", values: [("verify", .scalar("maybe", line: 3))], file: "p.yaml")
        let e = #expect(throws: SluiceError.self) { _ = try MinHashSettings(options: &bad) }
        #expect(e?.description.contains("none, signature, exact") == true)
        // Summaries written when `verify` was a boolean still load.
        let old = try JSONDecoder().decode([VerifyMode].self, from: Data("[true, false, \"signature\"]".utf8))
        #expect(old == [.exact, .none, .signature])
    }

    @Test func optionsAndPresets() throws {
        var o = StageOptions(
            stageName: "minhash_dedup",
            values: [("preset", .scalar("nemo", line: 3)), ("seed", .scalar("7", line: 4))], file: "p.yaml")
        let s = try MinHashSettings(options: &o)
        try o.finish()
        #expect(s.shingles == .characters && s.ngram == 24 && s.bands == 20 && s.rows == 13 && s.seed == 7)
        var bad = StageOptions(stageName: "minhash_dedup", values: [("band", .scalar("3", line: 5))], file: "p.yaml")
        _ = try MinHashSettings(options: &bad)
        #expect(throws: SluiceError.self) { try bad.finish() }
        var zero = StageOptions(stageName: "minhash_dedup", values: [("rows", .scalar("0", line: 5))], file: "p.yaml")
        #expect(throws: SluiceError.self) { _ = try MinHashSettings(options: &zero) }
    }
}
