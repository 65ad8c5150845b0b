// The loss-curve picture of a run: an SVG with training loss (line) and validation loss (dots)
// against steps. Plain SVG text, no fonts or scripts beyond axis labels.
import Foundation

/// Renders loss curves as SVG.
public enum LossCurve {
    /// An SVG of `train` (step, loss) as a line and `val` as dots, with min/max labels.
    public static func svg(train: [(Int, Double)], val: [(Int, Double)], title: String) -> String {
        let w = 800.0, h = 420.0, left = 60.0, right = 20.0, top = 40.0, bottom = 40.0
        let all = (train + val).filter { $0.1.isFinite }
        let maxStep = Double(max(1, all.map(\.0).max() ?? 1))
        var lo = all.map(\.1).min() ?? 0, hi = all.map(\.1).max() ?? 1
        if hi - lo < 1e-9 { hi = lo + 1 }
        lo = max(0, lo - 0.05 * (hi - lo))
        func x(_ s: Int) -> Double { left + Double(s) / maxStep * (w - left - right) }
        func y(_ l: Double) -> Double { top + (hi - l) / (hi - lo) * (h - top - bottom) }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(left)\" y=\"24\" font-family=\"sans-serif\" font-size=\"14\">\(escape(title))</text>\n"
        s += "<line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w - right)\" y2=\"\(h - bottom)\" stroke=\"black\"/>\n"
        s += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(h - bottom)\" stroke=\"black\"/>\n"
        for frac in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let l = lo + frac * (hi - lo)
            s +=
                "<text x=\"4\" y=\"\(fmt(y(l) + 4))\" font-family=\"sans-serif\" font-size=\"11\">\(String(format: "%.3f", l))</text>\n"
        }
        s +=
            "<text x=\"\(w - right - 60)\" y=\"\(h - 12)\" font-family=\"sans-serif\" font-size=\"11\">step \(Int(maxStep))</text>\n"
        s += "<text x=\"\(left)\" y=\"\(h - 12)\" font-family=\"sans-serif\" font-size=\"11\">0</text>\n"
        if !train.isEmpty {
            let pts = train.filter { $0.1.isFinite }.map { "\(fmt(x($0.0))),\(fmt(y($0.1)))" }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"\(pts)\"/>\n"
        }
        for (st, l) in val where l.isFinite {
            s += "<circle cx=\"\(fmt(x(st)))\" cy=\"\(fmt(y(l)))\" r=\"3.5\" fill=\"#d62728\"/>\n"
        }
        s +=
            "<text x=\"\(w - 230)\" y=\"24\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#1f77b4\">train loss</text>\n"
        s +=
            "<text x=\"\(w - 140)\" y=\"24\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#d62728\">validation loss</text>\n"
        s += "</svg>\n"
        return s
    }

    private static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
    private static func escape(_ t: String) -> String {
        t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
