// The ablation's picture: validation curves per variant (mean over seeds, min–max band) and one bar
// chart per evaluation (mean, min–max whisker). Drawn once as a list of shapes, written as SVG
// text and rasterized to PNG here (RasterCanvas.swift), so the two images cannot disagree.
import Foundation

/// An RGB colour.
struct RGB: Equatable {
    var r: UInt8, g: UInt8, b: UInt8
    var hex: String { String(format: "#%02x%02x%02x", r, g, b) }
}

/// What the chart is made of, in SVG pixel coordinates.
enum Shape {
    case polyline([(Double, Double)], RGB, width: Double)
    case polygon([(Double, Double)], RGB, opacity: Double)
    case text(Double, Double, String, size: Double, RGB, anchor: Anchor)

    enum Anchor: String { case start, middle, end }
}

/// The ablation chart of a set of results.
struct AblationChart {
    let width = 960.0
    var height = 0.0
    var shapes: [Shape] = []

    /// Tableau 10, the matplotlib default cycle.
    static let palette: [RGB] = [
        RGB(r: 0x1f, g: 0x77, b: 0xb4), RGB(r: 0xff, g: 0x7f, b: 0x0e), RGB(r: 0x2c, g: 0xa0, b: 0x2c),
        RGB(r: 0xd6, g: 0x27, b: 0x28), RGB(r: 0x94, g: 0x67, b: 0xbd), RGB(r: 0x8c, g: 0x56, b: 0x4b),
        RGB(r: 0xe3, g: 0x77, b: 0xc2), RGB(r: 0x7f, g: 0x7f, b: 0x7f), RGB(r: 0xbc, g: 0xbd, b: 0x22),
        RGB(r: 0x17, g: 0xbe, b: 0xcf),
    ]
    static let black = RGB(r: 0, g: 0, b: 0)
    static let grey = RGB(r: 0x88, g: 0x88, b: 0x88)

    init(_ results: AblationResults) {
        let colors = results.variants.indices.map { Self.palette[$0 % Self.palette.count] }
        let title =
            "ablation: \(results.variants.count) variants x \(results.seeds.count) seeds, \(results.tokensTrained) tokens per run, baseline \(results.baseline)"
        shapes.append(.text(20, 26, title, size: 15, Self.black, anchor: .start))

        // Curves: mean over seeds at each step the runs share, and the min–max band.
        let left = 80.0, top = 56.0, plotW = width - left - 200, plotH = 300.0
        var series: [(steps: [Int], mean: [Double], lo: [Double], hi: [Double])] = []
        for v in results.variants {
            let steps = v.curves.first.map { c in c.map { $0.0 } } ?? []
            var mean: [Double] = [], lo: [Double] = [], hi: [Double] = []
            var kept: [Int] = []
            for (i, s) in steps.enumerated() {
                let ys = v.curves.compactMap { c in i < c.count && c[i].0 == s ? c[i].1 : nil }
                guard ys.count == v.curves.count, ys.allSatisfy(\.isFinite) else { continue }
                kept.append(s)
                mean.append(ys.reduce(0, +) / Double(ys.count))
                lo.append(ys.min()!)
                hi.append(ys.max()!)
            }
            series.append((kept, mean, lo, hi))
        }
        let maxStep = Double(max(1, series.flatMap { $0.steps }.max() ?? 1))
        var yLo = series.flatMap { $0.lo }.min() ?? 0, yHi = series.flatMap { $0.hi }.max() ?? 1
        if yHi - yLo < 1e-9 { yHi = yLo + 1 }
        let pad = 0.05 * (yHi - yLo)
        yLo -= pad
        yHi += pad
        func x(_ s: Int) -> Double { left + Double(s) / maxStep * plotW }
        func y(_ l: Double) -> Double { top + (yHi - l) / (yHi - yLo) * plotH }
        axes(left: left, top: top, w: plotW, h: plotH)
        for k in 0...4 {
            let l = yLo + Double(k) / 4 * (yHi - yLo)
            shapes.append(.text(left - 6, y(l) + 4, String(format: "%.3f", l), size: 11, Self.black, anchor: .end))
        }
        for k in 0...4 {
            let s = Int((Double(k) / 4 * maxStep).rounded())
            shapes.append(.text(x(s), top + plotH + 16, "\(s)", size: 11, Self.black, anchor: .middle))
        }
        let what = results.curveKind == "train_loss" ? "training loss" : "validation loss"
        shapes.append(
            .text(
                left + plotW / 2, top + plotH + 34,
                "step (\(what), nats per token; line: mean over seeds, band: min-max)",
                size: 12, Self.black, anchor: .middle))
        for (i, s) in series.enumerated() where !s.steps.isEmpty {
            if s.steps.count > 1 && results.seeds.count > 1 {
                let upper = zip(s.steps, s.hi).map { (x($0), y($1)) }
                let lower = zip(s.steps, s.lo).map { (x($0), y($1)) }.reversed()
                shapes.append(.polygon(upper + lower, colors[i], opacity: 0.18))
            }
            shapes.append(.polyline(zip(s.steps, s.mean).map { (x($0), y($1)) }, colors[i], width: 2))
        }
        for (i, v) in results.variants.enumerated() {
            let ly = top + 14 + Double(i) * 20
            shapes.append(.polygon(rect(left + plotW + 20, ly - 9, 14, 10), colors[i], opacity: 1))
            shapes.append(.text(left + plotW + 40, ly, v.name, size: 12, Self.black, anchor: .start))
        }

        // One bar chart per evaluation: mean, and the min–max over seeds as a whisker.
        let columns = max(1, min(3, results.evals.count))
        let panelW = (width - 40) / Double(columns), panelH = 250.0
        let barsTop = top + plotH + 60
        for (k, e) in results.evals.enumerated() {
            let px = 20 + Double(k % columns) * panelW, py = barsTop + Double(k / columns) * (panelH + 20)
            let arrow = e.lowerIsBetter ? "lower is better" : "higher is better"
            shapes.append(
                .text(
                    px + panelW / 2, py + 16,
                    "\(e.name): \(e.metric.replacingOccurrences(of: "_", with: " ")), \(arrow)",
                    size: 12, Self.black, anchor: .middle))
            let values = results.variants.compactMap { $0.evals[e.name] }
            let all = values.flatMap(\.perSeed) + values.map(\.mean)
            var lo = all.min() ?? 0, hi = all.max() ?? 1
            let span = max(hi - lo, 1e-3 * max(abs(hi), 1e-9))
            if e.lowerIsBetter {
                lo -= 0.6 * span
            } else {
                lo = 0
            }
            hi += 0.15 * span
            if hi - lo < 1e-12 { hi = lo + 1 }
            let bx = px + 58, by = py + 30, bw = panelW - 70, bh = panelH - 70
            func yy(_ v: Double) -> Double { by + (hi - v) / (hi - lo) * bh }
            axes(left: bx, top: by, w: bw, h: bh)
            shapes.append(.text(bx - 5, by + 4, String(format: "%.3f", hi), size: 10, Self.black, anchor: .end))
            shapes.append(.text(bx - 5, by + bh + 4, String(format: "%.3f", lo), size: 10, Self.black, anchor: .end))
            let n = Double(results.variants.count)
            let slot = bw / n
            for (i, v) in results.variants.enumerated() {
                guard let s = v.evals[e.name] else { continue }
                let cx = bx + slot * (Double(i) + 0.5)
                let barW = slot * 0.6
                shapes.append(
                    .polygon(rect(cx - barW / 2, yy(s.mean), barW, by + bh - yy(s.mean)), colors[i], opacity: 0.85))
                if let mn = s.perSeed.min(), let mx = s.perSeed.max(), s.perSeed.count > 1 {
                    shapes.append(.polyline([(cx, yy(mn)), (cx, yy(mx))], Self.black, width: 1.5))
                    shapes.append(.polyline([(cx - 5, yy(mn)), (cx + 5, yy(mn))], Self.black, width: 1.5))
                    shapes.append(.polyline([(cx - 5, yy(mx)), (cx + 5, yy(mx))], Self.black, width: 1.5))
                }
                shapes.append(
                    .text(
                        cx, min(yy(s.mean), yy(s.perSeed.max() ?? s.mean)) - 5, String(format: "%.4f", s.mean),
                        size: 10,
                        Self.black, anchor: .middle))
                shapes.append(.text(cx, by + bh + 15, v.name, size: 11, Self.black, anchor: .middle))
            }
        }
        let rows = (results.evals.count + columns - 1) / columns
        height = barsTop + Double(rows) * (panelH + 20) + 10
    }

    func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double) -> [(Double, Double)] {
        [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    }

    mutating func axes(left: Double, top: Double, w: Double, h: Double) {
        shapes.append(.polyline([(left, top), (left, top + h), (left + w, top + h)], Self.black, width: 1))
    }

    // MARK: - SVG

    func svg() -> String {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func esc(_ t: String) -> String {
            t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for shape in shapes {
            switch shape {
            case .polyline(let pts, let c, let w):
                s +=
                    "<polyline fill=\"none\" stroke=\"\(c.hex)\" stroke-width=\"\(f(w))\" points=\"\(pts.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " "))\"/>\n"
            case .polygon(let pts, let c, let o):
                s +=
                    "<polygon fill=\"\(c.hex)\" fill-opacity=\"\(String(format: "%.2f", o))\" points=\"\(pts.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " "))\"/>\n"
            case .text(let x, let y, let t, let size, let c, let a):
                s +=
                    "<text x=\"\(f(x))\" y=\"\(f(y))\" font-family=\"sans-serif\" font-size=\"\(f(size))\" fill=\"\(c.hex)\" text-anchor=\"\(a.rawValue)\">\(esc(t))</text>\n"
            }
        }
        return s + "</svg>\n"
    }

    // MARK: - PNG

    /// The same shapes rasterized at twice the size, averaged down 2×2 (anti-aliasing), as PNG.
    func png() -> [UInt8] {
        let scale = 2.0
        var canvas = RasterCanvas(width: Int(width * scale), height: Int(height * scale))
        for shape in shapes {
            switch shape {
            case .polygon(let pts, let c, let o):
                canvas.fill(pts.map { ($0.0 * scale, $0.1 * scale) }, c, opacity: o)
            case .polyline(let pts, let c, let w):
                for (a, b) in zip(pts, pts.dropFirst()) {
                    canvas.segment(a.0 * scale, a.1 * scale, b.0 * scale, b.1 * scale, width: w * scale, c)
                }
            case .text(let x, let y, let t, let size, let c, let a):
                canvas.text(t, x: x * scale, baseline: y * scale, size: size * scale, c, anchor: a)
            }
        }
        return canvas.halved().png()
    }
}
