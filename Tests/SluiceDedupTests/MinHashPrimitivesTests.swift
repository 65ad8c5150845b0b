// Shingler (datatrove's simplify_text), MinHasher (Mersenne-prime permutations against a naive
// 128-bit oracle), the S-curve against the published figures (docs/dedup.md), options and presets.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceDedup

@Suite struct MinHashPrimitivesTests {
    @Test func simplifyMatchesDatatrove() throws {
        let s = try Shingler()
        #expect(s.simplifiedText("Hello, WORLD! It's 2024-05-01.") == "hello world it s 0000 00 00")
        #expect(s.simplifiedText("Crème  brûlée\u{00A0}à la CAFÉ") == "creme brulee a la cafe")
        #expect(s.simplifiedText("snake_case\tand\nlines") == "snake case and lines")
        #expect(s.simplifiedText("Привет, МИР") == "привет мир")
    }

    @Test func wordShinglesAreNGramsOfWords() throws {
        let s = try Shingler(kind: .words, n: 3)
        #expect(s.shingles(of: "a b c d e").count == 3)
        #expect(s.shingles(of: "A, b!").count == 1)  // fewer words than n: one shingle
        #expect(s.shingles(of: " ,;! ").isEmpty)
        // Case, punctuation, digits and accents do not change shingles.
        #expect(s.shingles(of: "The Café has 12 seats.") == s.shingles(of: "the cafe HAS 99 seats"))
        #expect(s.shingles(of: "one two three four") != s.shingles(of: "one two three five"))
        // Japanese goes through ICU's dictionary word breaks.
        #expect(s.shingles(of: "吾輩は猫である。名前はまだ無い。").count >= 3)
    }

    @Test func characterShingles() throws {
        let s = try Shingler(kind: .characters, n: 4)
        #expect(s.shingles(of: "abcdef").count == 3)
        #expect(s.shingles(of: "ab").count == 1)
        #expect(s.shingles(of: "日本語の文章").count == 3)
    }

    @Test func permutationMatchesNaiveModulo() {
        let p = MinHasher.prime
        var x: UInt64 = 12345
        for _ in 0..<2000 {
            x = mix64(x)
            let a = mix64(x ^ 1) % (p - 1) + 1
            let b = mix64(x ^ 2) % p
            let v = x % p
            let prod = a.multipliedFullWidth(by: v)
            let (_, r) = p.dividingFullWidth(prod)
            let expected = (r + b) % p
            #expect(MinHasher.permute(v, a, b) == expected)
        }
        #expect(MinHasher.permute(p - 1, p - 1, p - 1) == 0)  // (−1)(−1) + (−1) = 0 mod p
    }

    @Test func signatureIsMinimumOverShingles() throws {
        let h = MinHasher(bands: 2, rows: 3, seed: 9)
        let shingles: [UInt64] = [1, 99, 12_345_678_901, .max]
        var sig = [UInt64](repeating: 0, count: 6)
        shingles.withUnsafeBufferPointer { s in sig.withUnsafeMutableBufferPointer { h.signature(of: s, into: $0) } }
        for i in 0..<6 {
            let naive = shingles.map { MinHasher.permute($0 % MinHasher.prime, h.a[i], h.b[i]) }.min()!
            #expect(sig[i] == naive)
        }
        #expect(MinHasher(bands: 2, rows: 3, seed: 9).a == h.a)
        #expect(MinHasher(bands: 2, rows: 3, seed: 10).a != h.a)
    }

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

    @Test func corruptRecordFilesAreErrors() throws {
        let dir = try TestSupport.temporaryDirectory("records")
        let path = dir + "/r.bin"
        try RecordFile.write([1, 2, 3, 4], width: 2, magic: "SLMHPAR1", to: path)
        #expect(try RecordFile.readAll(path, width: 2, magic: "SLMHPAR1") == [1, 2, 3, 4])
        #expect(throws: SluiceError.self) { _ = try RecordFile.readAll(path, width: 2, magic: "SLMHSIG1") }
        let h = FileHandle(forWritingAtPath: path)!
        h.truncateFile(atOffset: 30)
        h.closeFile()
        #expect(throws: SluiceError.self) { _ = try RecordFile.readAll(path, width: 2, magic: "SLMHPAR1") }
    }

    @Test(arguments: [1, 7, 4096]) func textReaderDecodesJSONLines(block: Int) throws {
        let dir = try TestSupport.temporaryDirectory("reader")
        let path = dir + "/d.jsonl"
        let lines = [
            #"{"id":"1","metadata":{"t":"x","text":"no"},"text":"caf\u00e9 \ud83d\ude00 \"q\" \\ \n end"}"#,
            "",
            #"{"id":"2","text":42}"#,
            #"{"text": "plain", "id": "3"}"#,
        ]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        var reader = try DocumentTextReader(path: path, blockSize: block)
        var got: [(Int, String)] = []
        var bad: [Int] = []
        try reader.forEach(onBadLine: { o, _ in bad.append(o) }) { o, t in
            got.append((o, String(decoding: t, as: UTF8.self)))
        }
        #expect(got.map(\.0) == [0, 1])
        #expect(got.map(\.1) == ["café 😀 \"q\" \\ \n end", "plain"])
        #expect(bad == [1])  // the broken line is reported where document 1 would have been
    }

    @Test func stagesDescribeThemselves() {
        #expect(stageListProblems(DedupStages.all) == [])
    }
}

@Suite struct FoldTableTests {
    /// The fold table must give exactly the ICU path's words for the scripts it covers.
    @Test(arguments: [
        "Crème brûlée à la CAFÉ, naïve façade — «déjà vu»",
        "Привет, МИР! Ёжик в тумане; Їжак і ґава",
        "Ελληνικά: ΣΟΦΊΑ σοφία ΆΓΙΟΣ",
        "Straße STRASSE ǅemal ﬁne İstanbul Łódź Øresund Æther",
        "co\u{00AD}operate zero\u{200B}width “quotes” ‘single’ l’homme 3½ ² №5",
        "Zziɣ ɣer At Mlikec. Ṭṭfeɣ-d aɣrum. Việt Nam Tiếng Việt",
        "עברית שלום, Հայերեն բարեւ",
        "Combining: e\u{0301}te\u{0301} A\u{030A}ngstro\u{0308}m",
    ])
    func tableMatchesICUPath(text: String) throws {
        let fast = try Shingler()
        let slow = try Shingler()
        slow.useFoldTable = false
        #expect(fast.simplifiedText(text) == slow.simplifiedText(text))
        #expect(fast.shingles(of: text) == slow.shingles(of: text))
    }
}
