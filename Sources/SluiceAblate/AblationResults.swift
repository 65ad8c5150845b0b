// The report of an ablation: per-run results gathered into OUT/results.json (mean, sample standard
// deviation and per-seed values of every evaluation; differences against the baseline paired by
// seed, with Student-t 95 % intervals), the table printed on stdout, and the charts. The JSON holds
// no timings, so a resumed ablation writes the same bytes as an uninterrupted one.
import Foundation
import SluiceCore

/// Results of every run of an ablation.
public struct AblationResults: Sendable {
    public struct Summary: Sendable, Equatable {
        public var mean: Double
        /// Sample standard deviation (n − 1); nil for one seed.
        public var std: Double?
        public var perSeed: [Double]
    }
    public struct Difference: Sendable, Equatable {
        public var mean: Double
        /// nil for one seed.
        public var ci95: (Double, Double)?
        public static func == (a: Difference, b: Difference) -> Bool {
            a.mean == b.mean && a.ci95?.0 == b.ci95?.0 && a.ci95?.1 == b.ci95?.1
        }
    }
    public struct Variant: Sendable {
        public var name: String
        public var documents: Int
        public var tokens: Int
        /// Training tokens of a run over the variant's tokens.
        public var epochs: Double
        /// By evaluation name.
        public var evals: [String: Summary]
        /// Per seed: (step, loss) of the validation curve.
        public var curves: [[(Int, Double)]]
    }
    public var baseline: String
    public var budgetTokens: Int
    public var tokensTrained: Int
    public var seeds: [Int]
    /// (name, metric, lower is better), in file order.
    public var evals: [(name: String, metric: String, lowerIsBetter: Bool)]
    public var variants: [Variant]
    /// variant → eval → difference against the baseline.
    public var differences: [String: [String: Difference]]
    public var curveKind: String

    /// Gathers the runs' result.json files.
    /// - Throws: `SluiceError(.io)` when a run has not finished.
    public static func load(_ plan: AblationPlan) throws -> AblationResults {
        let config = plan.config
        var variants: [Variant] = []
        var curveKind = "validation_loss"
        for (v, variant) in config.variants.enumerated() {
            let summaryPath = plan.dataSummaryPath(v)
            let summary = try readJSON(summaryPath)
            let tokens = Int(summary["tokens"]?.intValue ?? 0)
            var perEval: [String: [Double]] = [:]
            var curves: [[(Int, Double)]] = []
            for seed in config.seeds {
                let r = try readJSON(plan.runResultPath(variant: v, seed: seed))
                for e in config.evals {
                    guard let x = r["eval"]?.objectValue?[e.name]?.objectValue?[e.metric]?.doubleValue else {
                        throw SluiceError(
                            .corruptInput, "no \(e.metric) for eval \(e.name)",
                            file: plan.runResultPath(variant: v, seed: seed))
                    }
                    perEval[e.name, default: []].append(x)
                }
                curves.append(
                    (r["curve"]?.arrayValue ?? []).compactMap { (p: JSONValue) -> (Int, Double)? in
                        guard let a = p.arrayValue, a.count == 2, let s = a[0].intValue, let l = a[1].doubleValue else {
                            return nil
                        }
                        return (Int(s), l)
                    })
                if let k = r["curve_kind"]?.stringValue { curveKind = k }
            }
            variants.append(
                Variant(
                    name: variant.name, documents: Int(summary["documents"]?.intValue ?? 0), tokens: tokens,
                    epochs: tokens > 0 ? Double(config.steps * config.tokensPerStep) / Double(tokens) : 0,
                    evals: perEval.mapValues(summarize), curves: curves))
        }
        var differences: [String: [String: Difference]] = [:]
        let base = variants.first { $0.name == config.baseline }!
        for variant in variants where variant.name != config.baseline {
            for e in config.evals {
                let d = zip(variant.evals[e.name]!.perSeed, base.evals[e.name]!.perSeed).map { $0 - $1 }
                differences[variant.name, default: [:]][e.name] = pairedDifference(d)
            }
        }
        return AblationResults(
            baseline: config.baseline, budgetTokens: config.budgetTokens,
            tokensTrained: config.steps * config.tokensPerStep,
            seeds: config.seeds, evals: config.evals.map { ($0.name, $0.metric, $0.lowerIsBetter) }, variants: variants,
            differences: differences, curveKind: curveKind)
    }

    static func readJSON(_ path: String) throws -> JSONObject {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw SluiceError(.io, "missing (has the run finished?)", file: path)
        }
        var parser = JSONParser()
        guard let o = try? d.withUnsafeBytes({ try parser.parse($0) }).objectValue else {
            throw SluiceError(.corruptInput, "not a JSON object", file: path)
        }
        return o
    }

    /// Mean, sample standard deviation and the values.
    public static func summarize(_ x: [Double]) -> Summary {
        let mean = x.reduce(0, +) / Double(max(1, x.count))
        guard x.count > 1 else { return Summary(mean: mean, std: nil, perSeed: x) }
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)
        return Summary(mean: mean, std: variance.squareRoot(), perSeed: x)
    }

    /// Mean of paired differences with a Student-t 95 % interval (mean ± t₀.₉₇₅,ₙ₋₁ · s/√n).
    public static func pairedDifference(_ d: [Double]) -> Difference {
        let s = summarize(d)
        guard let std = s.std else { return Difference(mean: s.mean, ci95: nil) }
        let half = studentT975(degrees: d.count - 1) * std / Double(d.count).squareRoot()
        return Difference(mean: s.mean, ci95: (s.mean - half, s.mean + half))
    }

    /// The 0.975 quantile of Student's t with `degrees` degrees of freedom (table to 30, then
    /// the normal approximation with Cornish-Fisher's first correction).
    public static func studentT975(degrees n: Int) -> Double {
        let table: [Double] = [
            12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
            2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
            2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
        ]
        precondition(n >= 1)
        if n <= table.count { return table[n - 1] }
        let z = 1.959964
        return z + (z * z * z + z) / (4 * Double(n))
    }

    // MARK: - results.json

    /// `{"baseline", "budget_tokens", "seeds", "variants": {…}, "differences": {…}}`.
    public var json: JSONValue {
        func number(_ x: Double?) -> JSONValue { x.map { .double(Self.rounded($0)) } ?? .null }
        var root = JSONObject()
        root["baseline"] = .string(baseline)
        root["budget_tokens"] = .int(Int64(budgetTokens))
        root["seeds"] = .array(seeds.map { .int(Int64($0)) })
        var vs = JSONObject()
        for v in variants {
            var o = JSONObject()
            o["documents"] = .int(Int64(v.documents))
            o["tokens"] = .int(Int64(v.tokens))
            o["epochs"] = number(v.epochs)
            var ev = JSONObject()
            for e in evals {
                let s = v.evals[e.name]!
                var m = JSONObject()
                m["mean"] = number(s.mean)
                m["std"] = number(s.std)
                m["per_seed"] = .array(s.perSeed.map { number($0) })
                var wrapper = JSONObject()
                wrapper[e.metric] = .object(m)
                ev[e.name] = .object(wrapper)
            }
            o["eval"] = .object(ev)
            vs[v.name] = .object(o)
        }
        root["variants"] = .object(vs)
        var ds = JSONObject()
        for v in variants where v.name != baseline {
            var o = JSONObject()
            for e in evals {
                let d = differences[v.name]![e.name]!
                var m = JSONObject()
                m["mean"] = number(d.mean)
                m["ci95"] = .array([number(d.ci95?.0), number(d.ci95?.1)])
                o[e.name] = .object(m)
            }
            ds[v.name] = .object(o)
        }
        root["differences"] = .object(ds)
        return .object(root)
    }

    /// Six decimals: figures below the evaluation's resolution would only be noise in the file.
    static func rounded(_ x: Double) -> Double { (x * 1e6).rounded() / 1e6 }

    /// JSON with two-space indentation, numbers as `%.6g`-free plain decimals.
    public static func pretty(_ v: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch v {
        case .object(let o):
            if o.keys.isEmpty { return "{}" }
            let items = zip(o.keys, o.values).map { k, x in
                inner + JSONSerializer.string(.string(k)) + ": " + pretty(x, indent: inner)
            }
            return "{\n" + items.joined(separator: ",\n") + "\n" + indent + "}"
        case .array(let a):
            if a.isEmpty { return "[]" }
            if a.allSatisfy({ if case .object = $0 { false } else if case .array = $0 { false } else { true } }) {
                return "[" + a.map { pretty($0, indent: inner) }.joined(separator: ", ") + "]"
            }
            return "[\n" + a.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .double(let d):
            guard d.isFinite else { return "null" }
            var s = String(format: "%.6f", d)
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s += "0" }
            return s
        default:
            return JSONSerializer.string(v)
        }
    }

    // MARK: - Writing

    /// Writes results.json, table.txt, ablation.svg and ablation.png; returns their paths.
    public func write(_ plan: AblationPlan) throws -> [String] {
        let out = plan.config.out
        let files = [plan.resultsPath, out + "/table.txt", out + "/ablation.svg", out + "/ablation.png"]
        try writeAtomically(Data((Self.pretty(json) + "\n").utf8), to: files[0])
        // The table as `sluice ablate report` prints it: from the (rounded) JSON.
        try writeAtomically(Data(try Self.table(fromJSON: json.objectValue!).utf8), to: files[1])
        let chart = AblationChart(self)
        try writeAtomically(Data(chart.svg().utf8), to: files[2])
        try writeAtomically(Data(chart.png()), to: files[3])
        return files
    }

    // MARK: - Reading back (`sluice ablate report`)

    /// Reads an ablation's results.json (for `sluice ablate report`).
    public static func read(resultsJSON path: String) throws -> JSONObject { try readJSON(path) }

    /// The table of a results.json object.
    public static func table(fromJSON o: JSONObject) throws -> String {
        guard let baseline = o["baseline"]?.stringValue, let budget = o["budget_tokens"]?.intValue,
            let vs = o["variants"]?.objectValue, let ds = o["differences"]?.objectValue
        else {
            throw SluiceError(
                .corruptInput, "not an ablation results.json (baseline, budget_tokens, variants, differences)")
        }
        var r = AblationResults(
            baseline: baseline, budgetTokens: Int(budget), tokensTrained: Int(budget),
            seeds: (o["seeds"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int.init) }, evals: [], variants: [],
            differences: [:],
            curveKind: "")
        for (name, value) in zip(vs.keys, vs.values) {
            guard let v = value.objectValue, let ev = v["eval"]?.objectValue else {
                throw SluiceError(.corruptInput, "variant \(name) has no eval")
            }
            var evals: [String: Summary] = [:]
            for (e, m) in zip(ev.keys, ev.values) {
                guard let mo = m.objectValue, let metric = mo.keys.first, let s = mo[metric]?.objectValue else {
                    continue
                }
                if !r.evals.contains(where: { $0.name == e }) { r.evals.append((e, metric, metric == "bits_per_byte")) }
                evals[e] = Summary(
                    mean: s["mean"]?.doubleValue ?? .nan, std: s["std"]?.doubleValue,
                    perSeed: (s["per_seed"]?.arrayValue ?? []).compactMap(\.doubleValue))
            }
            r.variants.append(
                Variant(
                    name: name, documents: Int(v["documents"]?.intValue ?? 0), tokens: Int(v["tokens"]?.intValue ?? 0),
                    epochs: v["epochs"]?.doubleValue ?? 0, evals: evals, curves: []))
        }
        for (name, value) in zip(ds.keys, ds.values) {
            for (e, m) in zip(value.objectValue?.keys ?? [], value.objectValue?.values ?? []) {
                let mo = m.objectValue
                let ci = mo?["ci95"]?.arrayValue
                let lo = ci?.first?.doubleValue, hi = ci?.last?.doubleValue
                r.differences[name, default: [:]][e] = Difference(
                    mean: mo?["mean"]?.doubleValue ?? .nan, ci95: lo.flatMap { l in hi.map { (l, $0) } })
            }
        }
        return r.table()
    }

    // MARK: - Table

    /// One block per evaluation: variants with documents, tokens, epochs, mean ± std, and the
    /// paired difference against the baseline with its 95 % interval (`*` when it excludes 0).
    public func table() -> String {
        func group(_ n: Int) -> String {
            let s = String(n)
            var out = ""
            for (i, c) in s.reversed().enumerated() {
                if i > 0 && i % 3 == 0 { out.append(",") }
                out.append(c)
            }
            return String(out.reversed())
        }
        func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
            let n = s.count
            return n >= w
                ? s : (left ? s + String(repeating: " ", count: w - n) : String(repeating: " ", count: w - n) + s)
        }
        func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "—" }
        func signed(_ x: Double) -> String { String(format: "%+.4f", x) }
        let nameWidth = max(8, variants.map(\.name.count).max() ?? 0)
        var s =
            "ablation: \(variants.count) variants × \(seeds.count) seed\(seeds.count == 1 ? "" : "s") (\(seeds.map(String.init).joined(separator: ", "))), "
        s += "\(group(budgetTokens)) tokens per run, baseline \(baseline)\n"
        for e in evals {
            let what = e.metric == "bits_per_byte" ? "bits per byte, lower is better" : "accuracy, higher is better"
            s += "\n\(e.name) (\(what))\n"
            s +=
                pad("variant", nameWidth, left: true) + "  " + pad("documents", 10) + "  " + pad("tokens", 12) + "  "
                + pad("epochs", 7)
            s += "  " + pad("mean", 8) + "  " + pad("std", 8) + "  " + pad("Δ vs " + baseline, 10) + "  95 % interval\n"
            for v in variants {
                let m = v.evals[e.name]
                s +=
                    pad(v.name, nameWidth, left: true) + "  " + pad(group(v.documents), 10) + "  "
                    + pad(group(v.tokens), 12)
                s +=
                    "  " + pad(String(format: "%.2f", v.epochs), 7) + "  " + pad(f(m?.mean), 8) + "  "
                    + pad(f(m?.std), 8)
                if v.name == baseline {
                    s += "  " + pad("—", 10) + "\n"
                } else if let d = differences[v.name]?[e.name] {
                    s += "  " + pad(signed(d.mean), 10)
                    if case let (lo, hi)? = d.ci95 {
                        s += "  [" + signed(lo) + ", " + signed(hi) + "]"
                        if lo > 0 || hi < 0 {
                            let better = e.lowerIsBetter ? hi < 0 : lo > 0
                            s += better ? "  better" : "  worse"
                        }
                    } else {
                        s += "  (one seed: no interval)"
                    }
                    s += "\n"
                } else {
                    s += "\n"
                }
            }
        }
        return s
    }
}
