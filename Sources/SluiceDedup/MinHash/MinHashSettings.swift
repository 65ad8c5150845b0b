// The configuration of `minhash_dedup`: presets for the published setups (table in docs/dedup.md),
// option parsing, and the S-curve printed at load time. Hash functions differ between the
// originals (sha1, xxh3, 32-bit); Sluice always hashes with 64-bit xxHash64 (documented).
import Foundation
import SluiceCore

/// A published MinHash configuration.
///
/// | preset | shingles | bands × rows | seed | source |
/// |---|---|---|---|---|
/// | datatrove | 5 words | 14 × 8 | 1 | DT `pipeline/dedup/minhash.py` |
/// | fineweb | 5 words | 14 × 8 | 1 | DT `examples/fineweb.py` (sha1 there) |
/// | nemo | 24 characters | 20 × 13 | 42 | NC `modules/config.py` (32-bit hash there) |
/// | text_dedup | 5 words | 24 × 10 | 42 | TD `config.toml`, optimal for t = 0.7, 240 perms |
/// | bigcode | 5 words | 25 × 10 | 42 | BC `near_deduplication`, optimal for t = 0.7, 250 perms |
/// | datasketch | 5 words | 5 × 25 | 1 | DS `lsh.py` optimal for t = 0.9, 128 perms |
/// | refinedweb | 5 words | 450 × 20 | 1 | Lee et al. 2022 / Penedo et al. 2023 |
public struct MinHashPreset: Sendable {
    public var name: String
    public var shingles: ShingleKind
    public var ngram: Int
    public var bands: Int
    public var rows: Int
    public var seed: Int
    public var threshold: Double

    public static let all: [MinHashPreset] = [
        .init(name: "datatrove", shingles: .words, ngram: 5, bands: 14, rows: 8, seed: 1, threshold: 0.8),
        .init(name: "fineweb", shingles: .words, ngram: 5, bands: 14, rows: 8, seed: 1, threshold: 0.8),
        .init(name: "nemo", shingles: .characters, ngram: 24, bands: 20, rows: 13, seed: 42, threshold: 0.8),
        .init(name: "text_dedup", shingles: .words, ngram: 5, bands: 24, rows: 10, seed: 42, threshold: 0.7),
        .init(name: "bigcode", shingles: .words, ngram: 5, bands: 25, rows: 10, seed: 42, threshold: 0.7),
        .init(name: "datasketch", shingles: .words, ngram: 5, bands: 5, rows: 25, seed: 1, threshold: 0.9),
        .init(name: "refinedweb", shingles: .words, ngram: 5, bands: 450, rows: 20, seed: 1, threshold: 0.8),
    ]
}

/// How the clusters pass checks candidate pairs (documents linked by shared bands) before it joins them.
public enum VerifyMode: String, CaseIterable, Codable, Sendable {
    /// Every band collision is a candidate (datatrove's behaviour).
    case none
    /// Kept if the fraction of equal MinHash values over the full signatures (bands × rows) is at
    /// least `threshold − signature_margin·σ`, σ = √(t(1 − t)/permutations). 4 bytes per
    /// permutation per document on disk, whatever the document's length.
    case signature
    /// Kept if the exact Jaccard of the two shingle sets is at least `threshold` (8 bytes per
    /// distinct shingle per document on disk).
    case exact

    /// Reads a mode, accepting the booleans the option had before it was a choice
    /// (`true` = exact, `false` = none), so summaries of older runs still load.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            self = b ? .exact : .none
            return
        }
        let s = try c.decode(String.self)
        guard let m = VerifyMode(rawValue: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown verify mode '\(s)'")
        }
        self = m
    }
}

/// Everything the passes of `minhash_dedup` need, decoded from options.
public struct MinHashSettings: Sendable {
    public var preset: String
    public var shingles: ShingleKind
    public var ngram: Int
    public var bands: Int
    public var rows: Int
    public var seed: Int
    /// How candidate pairs are checked before they reach union-find.
    public var verify: VerifyMode
    /// The similarity a verified pair must reach.
    public var threshold: Double
    /// With `verify: signature`, the margin below `threshold` in standard deviations of the
    /// MinHash estimator (see `signatureCutoff`).
    public var signatureMargin: Double
    /// Bytes of signature records a signatures task holds before it spills a sorted run.
    public var sortBuffer: Int

    public init(
        preset: String = "datatrove", shingles: ShingleKind = .words, ngram: Int = 5, bands: Int = 14, rows: Int = 8,
        seed: Int = 1, verify: VerifyMode = .exact, threshold: Double = 0.8, signatureMargin: Double = 3,
        sortBuffer: Int = 256_000_000
    ) {
        self.preset = preset
        self.shingles = shingles
        self.ngram = ngram
        self.bands = bands
        self.rows = rows
        self.seed = seed
        self.verify = verify
        self.threshold = threshold
        self.signatureMargin = signatureMargin
        self.sortBuffer = sortBuffer
    }

    /// Reads the options of `minhash_dedup`; the preset supplies the defaults of the others.
    public init(options: inout StageOptions) throws {
        let presetName = try options.choice(
            "preset", default: "datatrove", MinHashPreset.all.map(\.name),
            "published configuration that gives the defaults of shingles, ngram, bands, rows, seed and threshold")
        let p = MinHashPreset.all.first { $0.name == presetName }!
        preset = presetName
        shingles = ShingleKind(
            rawValue: try options.choice(
                "shingles", default: p.shingles.rawValue, ShingleKind.allCases.map(\.rawValue),
                "words: word n-grams over ICU words; characters: n-grams of Unicode scalars"))!
        ngram = try options.int("ngram", default: p.ngram, range: 1...1000, "words (or characters) per shingle")
        bands = try options.int("bands", default: p.bands, range: 1...10_000, "LSH bands")
        rows = try options.int("rows", default: p.rows, range: 1...1000, "signature rows per band")
        guard bands * rows <= 100_000 else { throw options.error("rows", "bands × rows must be at most 100000") }
        seed = try options.int("seed", default: p.seed, range: 0...Int.max, "seed of the hash permutations")
        // `exact` is the default: on the 5–30 % edit benchmark it gives F1 0.93 against exact
        // Jaccard ≥ 0.8 where `signature` gives 0.33, for about 8 % less speed and file-backed
        // memory (docs/dedup.md). Read as a string so the booleans the option used to take keep
        // their meaning (true = exact, false = none).
        let modes = VerifyMode.allCases.map(\.rawValue)
        let mode = try options.string(
            "verify", default: VerifyMode.exact.rawValue,
            "one of \(modes.joined(separator: ", ")): how candidate pairs are checked. none: every band collision "
                + "(datatrove); signature: share of equal MinHash values ≥ threshold − margin (4 bytes per "
                + "permutation per document); exact: Jaccard of the shingle sets ≥ threshold (8 bytes per distinct "
                + "shingle); true and false mean exact and none")
        switch mode.lowercased() {
        case "true", "yes", "on": verify = .exact
        case "false", "no", "off": verify = .none
        case let m:
            guard let v = VerifyMode(rawValue: m) else {
                throw options.error("verify", "'\(mode)' is not one of \(modes.joined(separator: ", "))")
            }
            verify = v
        }
        threshold = try options.double(
            "threshold", default: p.threshold, range: 0...1, "Jaccard similarity a verified pair must reach")
        signatureMargin = try options.double(
            "signature_margin", default: 3, range: 0...10,
            "with verify: signature, accept estimates down to threshold minus this many standard deviations "
                + "√(t(1−t)/permutations) of the estimator")
        sortBuffer = try options.bytes(
            "sort_buffer", default: 256_000_000, "signature records a task sorts in memory before spilling a run")
        guard sortBuffer >= 1024 else { throw options.error("sort_buffer", "must be at least 1KB") }
    }

    /// With `verify: signature`, the smallest share of equal MinHash values a pair needs:
    /// `threshold − signatureMargin · √(t(1 − t)/m)`, m = bands × rows. The share of equal values
    /// is an unbiased estimate of the Jaccard similarity with that standard deviation (Broder
    /// 1997), so at the default margin of 3σ a pair exactly at the threshold is rejected with
    /// probability ≈ 0.13 % (less once it shares a band, which already makes `rows` values equal).
    /// 3σ rather than 2σ because clusters multiply a lost edge: on the 1–5 % edit benchmark 2σ
    /// kept recall 0.975 against 0.980 unverified, 3σ 0.979 (precision 0.50 and 0.43; 0.38
    /// unverified).
    public var signatureCutoff: Double {
        let m = Double(bands * rows)
        return threshold - signatureMargin * (threshold * (1 - threshold) / m).squareRoot()
    }

    /// The smallest number of equal values (of `bands × rows`) `verify: signature` accepts.
    public var signatureMinimumMatches: Int {
        let m = bands * rows
        // Rounded up with a small tolerance, so that a cutoff of exactly k/m needs k matches.
        return min(m, max(0, Int((signatureCutoff * Double(m) - 1e-9).rounded(.up))))
    }

    /// What a candidate pair must pass under the chosen `verify` mode, in words.
    public var verificationDescription: String {
        switch verify {
        case .none: "every band collision is a candidate pair (datatrove)"
        case .signature:
            "a candidate is kept if ≥ \(signatureMinimumMatches) of \(bands * rows) MinHash values are equal "
                + "(estimated Jaccard ≥ \(format(signatureCutoff)) = threshold \(format(threshold, digits: 2)) − "
                + "\(format(signatureMargin, digits: 1))σ)"
        case .exact: "a candidate is kept if the Jaccard of the shingle sets is ≥ \(format(threshold, digits: 2))"
        }
    }

    public func makeHasher() -> MinHasher { MinHasher(bands: bands, rows: rows, seed: UInt64(seed)) }
    public func makeShingler() throws -> Shingler { try Shingler(kind: shingles, n: ngram) }

    /// The S-curve: P(candidate) for s = 0.5, 0.55, … 0.95, and the midpoint, as printable lines.
    public var sCurve: String {
        let unit = shingles == .words ? "word" : "character"
        let midpoint = format(MinHasher.threshold(bands: bands, rows: rows))
        var lines = [
            "minhash_dedup: \(bands) bands × \(rows) rows = \(bands * rows) permutations, \(ngram)-\(unit) shingles, "
                + "seed \(seed); S-curve midpoint (1/b)^(1/r) = \(midpoint)"
        ]
        var row1 = "  Jaccard s      "
        var row2 = "  P(candidate)   "
        for step in 0...9 {
            let s = 0.5 + 0.05 * Double(step)
            row1 += " " + format(s, digits: 2).padding(toLength: 6, withPad: " ", startingAt: 0)
            row2 +=
                " "
                + format(MinHasher.candidateProbability(s, bands: bands, rows: rows)).padding(
                    toLength: 6, withPad: " ", startingAt: 0)
        }
        lines.append(row1)
        lines.append(row2)
        lines.append("  verify: \(verify.rawValue) — " + verificationDescription)
        return lines.joined(separator: "\n")
    }

    private func format(_ x: Double, digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }
}
