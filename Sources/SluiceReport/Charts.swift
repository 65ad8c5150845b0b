// Inline SVG charts for the report: horizontal bars, histograms and line charts, each one
// `<svg class="chart" data-points="N">` so a test can see that every chart has data. No external
// fonts, images or scripts; sizes are fixed, so the page lays out the same everywhere.
import Foundation
import SluiceCore

/// One named series of a chart.
struct Series {
    var name: String
    var values: [Double]
}

enum Chart {
    static let colors = ["#2b6cb0", "#c05621", "#2f855a", "#805ad5"]

    /// Escapes text for HTML and SVG.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab and newline are not allowed in HTML text.
                if c.value < 0x20 && c != "\n" && c != "\t" { out += "\u{FFFD}" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }

    static func number(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 { return StatsReport.grouped(Int(x)) }
        if abs(x) >= 100 { return String(format: "%.0f", x) }
        if abs(x) >= 1 { return String(format: "%.2f", x) }
        return String(format: "%.3f", x)
    }

    static func legend(_ series: [Series]) -> String {
        guard series.count > 1 else { return "" }
        return "<div class=\"legend\">"
            + series.enumerated().map { i, s in
                "<span><i style=\"background:\(colors[i % colors.count])\"></i>\(escape(s.name))</span>"
            }.joined(separator: " ") + "</div>"
    }

    /// Horizontal bars: one row per label, one bar per series.
    static func bars(title: String, labels: [String], series: [Series]) -> String {
        let points = series.reduce(0) { $0 + $1.values.filter { $0 > 0 }.count }
        let maxValue = max(1, series.flatMap(\.values).max() ?? 1)
        let labelWidth = 260.0
        let width = 760.0
        let barArea = width - labelWidth - 90
        let rowHeight = 6.0 + 16.0 * Double(series.count)
        let height = rowHeight * Double(labels.count) + 8
        var svg =
            "<svg class=\"chart\" data-points=\"\(points)\" role=\"img\" aria-label=\"\(escape(title))\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        for (row, label) in labels.enumerated() {
            let y0 = 4 + Double(row) * rowHeight
            let short = label.count > 40 ? String(label.prefix(39)) + "…" : label
            svg +=
                "<text x=\"\(Int(labelWidth - 6))\" y=\"\(Int(y0 + rowHeight / 2 + 4))\" text-anchor=\"end\">\(escape(short))</text>"
            for (k, s) in series.enumerated() {
                let v = row < s.values.count ? s.values[row] : 0
                let w = v <= 0 ? 0 : max(1, barArea * v / maxValue)
                let y = y0 + 2 + 16 * Double(k)
                svg +=
                    "<rect x=\"\(Int(labelWidth))\" y=\"\(Int(y))\" width=\"\(String(format: "%.1f", w))\" height=\"13\" fill=\"\(colors[k % colors.count])\"><title>\(escape(s.name)): \(number(v))</title></rect>"
                svg += "<text x=\"\(Int(labelWidth + w + 4))\" y=\"\(Int(y + 11))\">\(number(v))</text>"
            }
        }
        return legend(series) + svg + "</svg>"
    }

    /// Histogram of values in powers-of-two bins (lengths), one bar group per bin, normalized to
    /// fractions of each series so sets of different sizes compare.
    static func log2Histogram(title: String, series: [(String, [Int])]) -> String {
        let maxBin = series.flatMap { $0.1 }.map { bin($0) }.max() ?? 0
        let labels = (0...maxBin).map { $0 == 0 ? "0" : "\(1 << ($0 - 1))–\((1 << $0) - 1)" }
        let s = series.map { name, values -> Series in
            var counts = Array(repeating: 0.0, count: maxBin + 1)
            for v in values { counts[bin(v)] += 1 }
            let total = max(1, Double(values.count))
            return Series(name: "\(name) (\(values.count))", values: counts.map { $0 / total })
        }
        return columns(title: title, labels: labels, series: s, percent: true)
    }

    /// Histogram of values in `binCount` equal bins over their range.
    static func histogram(title: String, series: [(String, [Double])], binCount: Int = 20) -> String {
        let all = series.flatMap { $0.1 }
        guard let lo = all.min(), let hi = all.max() else {
            return columns(title: title, labels: [], series: [], percent: true)
        }
        let span = hi > lo ? hi - lo : 1
        let labels = (0..<binCount).map { number(lo + span * Double($0) / Double(binCount)) }
        let s = series.map { name, values -> Series in
            var counts = Array(repeating: 0.0, count: binCount)
            for v in values { counts[min(binCount - 1, Int((v - lo) / span * Double(binCount)))] += 1 }
            let total = max(1, Double(values.count))
            return Series(name: "\(name) (\(values.count))", values: counts.map { $0 / total })
        }
        return columns(title: title, labels: labels, series: s, percent: true)
    }

    static func bin(_ v: Int) -> Int { v <= 0 ? 0 : Int.bitWidth - v.leadingZeroBitCount }

    /// Vertical grouped columns.
    static func columns(title: String, labels: [String], series: [Series], percent: Bool) -> String {
        let points = series.reduce(0) { $0 + $1.values.filter { $0 > 0 }.count }
        let maxValue = max(1e-12, series.flatMap(\.values).max() ?? 1)
        let height = 200.0
        let plot = 150.0
        let group = max(18.0, 10.0 * Double(series.count) + 6)
        let width = max(300.0, 50 + group * Double(labels.count))
        var svg =
            "<svg class=\"chart\" data-points=\"\(points)\" role=\"img\" aria-label=\"\(escape(title))\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        svg +=
            "<line x1=\"40\" y1=\"\(Int(plot + 10))\" x2=\"\(Int(width))\" y2=\"\(Int(plot + 10))\" stroke=\"#999\"/>"
        let top = percent ? String(format: "%.0f%%", maxValue * 100) : number(maxValue)
        svg +=
            "<text x=\"36\" y=\"16\" text-anchor=\"end\">\(top)</text><text x=\"36\" y=\"\(Int(plot + 10))\" text-anchor=\"end\">0</text>"
        let barWidth = (group - 6) / Double(max(1, series.count))
        for (i, label) in labels.enumerated() {
            let x0 = 44 + group * Double(i)
            for (k, s) in series.enumerated() {
                let v = i < s.values.count ? s.values[i] : 0
                let h = plot * v / maxValue
                let shown = percent ? String(format: "%.1f%%", v * 100) : number(v)
                svg +=
                    "<rect x=\"\(String(format: "%.1f", x0 + barWidth * Double(k)))\" y=\"\(String(format: "%.1f", plot + 10 - h))\" width=\"\(String(format: "%.1f", max(1, barWidth - 1)))\" height=\"\(String(format: "%.1f", h))\" fill=\"\(colors[k % colors.count])\"><title>\(escape(s.name)) \(escape(label)): \(shown)</title></rect>"
            }
            if labels.count <= 24 || i % 2 == 0 {
                svg +=
                    "<text class=\"tick\" transform=\"translate(\(Int(x0 + group / 2)),\(Int(plot + 22))) rotate(35)\">\(escape(label))</text>"
            }
        }
        return legend(series) + svg + "</svg>"
    }

    /// Line chart of (x, y) series.
    static func lines(title: String, xLabel: String, series: [(String, [(Double, Double)])]) -> String {
        let all = series.flatMap { $0.1 }
        let points = all.count
        let width = 560.0
        let height = 260.0
        let (l, r, t, b) = (56.0, 16.0, 12.0, 36.0)
        let xs = all.map(\.0)
        let ys = all.map(\.1)
        let x0 = xs.min() ?? 0
        let x1 = max((xs.max() ?? 1), x0 + 1e-9)
        let y0 = min(0, ys.min() ?? 0)
        let y1 = max((ys.max() ?? 1), y0 + 1e-9)
        func px(_ x: Double) -> Double { l + (x - x0) / (x1 - x0) * (width - l - r) }
        func py(_ y: Double) -> Double { height - b - (y - y0) / (y1 - y0) * (height - t - b) }
        var svg =
            "<svg class=\"chart\" data-points=\"\(points)\" role=\"img\" aria-label=\"\(escape(title))\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        svg +=
            "<rect x=\"\(Int(l))\" y=\"\(Int(t))\" width=\"\(Int(width - l - r))\" height=\"\(Int(height - t - b))\" fill=\"none\" stroke=\"#bbb\"/>"
        svg += "<text x=\"\(Int(l - 4))\" y=\"\(Int(t + 10))\" text-anchor=\"end\">\(number(y1))</text>"
        svg += "<text x=\"\(Int(l - 4))\" y=\"\(Int(height - b))\" text-anchor=\"end\">\(number(y0))</text>"
        svg += "<text x=\"\(Int(l))\" y=\"\(Int(height - b + 14))\">\(number(x0))</text>"
        svg += "<text x=\"\(Int(width - r))\" y=\"\(Int(height - b + 14))\" text-anchor=\"end\">\(number(x1))</text>"
        svg +=
            "<text x=\"\(Int((width) / 2))\" y=\"\(Int(height - 6))\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        for (k, (_, pts)) in series.enumerated() where !pts.isEmpty {
            let path = pts.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
            svg +=
                "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"\(colors[k % colors.count])\" points=\"\(path)\"/>"
        }
        return legend(series.map { Series(name: $0.0, values: []) }) + svg + "</svg>"
    }
}
