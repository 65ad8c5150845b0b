// A small RGB raster for the ablation chart's PNG: even-odd polygon fill with opacity, thick line
// segments, text in a 5×7 capital-letter bitmap font drawn for this file, a 2×2 box downsample,
// and a PNG encoder (zlib's compress2 and crc32). It draws only what AblationChart needs; it is
// not an SVG renderer.
import Foundation
internal import CZlib

/// An RGB image, white at the start.
struct RasterCanvas {
    let width: Int
    let height: Int
    var pixels: [UInt8]

    init(width: Int, height: Int) {
        self.width = max(1, width)
        self.height = max(1, height)
        pixels = [UInt8](repeating: 255, count: self.width * self.height * 3)
    }

    @inline(__always) mutating func blend(_ x: Int, _ y: Int, _ c: RGB, _ a: Double) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = UInt8((Double(pixels[i]) * (1 - a) + Double(c.r) * a).rounded())
        pixels[i + 1] = UInt8((Double(pixels[i + 1]) * (1 - a) + Double(c.g) * a).rounded())
        pixels[i + 2] = UInt8((Double(pixels[i + 2]) * (1 - a) + Double(c.b) * a).rounded())
    }

    /// Fills a polygon (even-odd rule, pixel centres) with `c` at `opacity`.
    mutating func fill(_ pts: [(Double, Double)], _ c: RGB, opacity: Double) {
        guard pts.count >= 3 else { return }
        let ys = pts.map { $0.1 }
        let minY = max(0, Int(ys.min()!.rounded(.down))), maxY = min(height - 1, Int(ys.max()!.rounded(.up)))
        guard minY <= maxY else { return }
        var xs: [Double] = []
        for py in minY...maxY {
            let sy = Double(py) + 0.5
            xs.removeAll(keepingCapacity: true)
            for i in pts.indices {
                let (x0, y0) = pts[i], (x1, y1) = pts[(i + 1) % pts.count]
                if (y0 <= sy && y1 > sy) || (y1 <= sy && y0 > sy) {
                    xs.append(x0 + (sy - y0) / (y1 - y0) * (x1 - x0))
                }
            }
            xs.sort()
            var k = 0
            while k + 1 < xs.count {
                let a = max(0, Int((xs[k] - 0.5).rounded(.up))),
                    b = min(width - 1, Int((xs[k + 1] - 0.5).rounded(.down)))
                if a <= b { for px in a...b { blend(px, py, c, opacity) } }
                k += 2
            }
        }
    }

    /// A straight segment `width` pixels wide (a quad with square ends).
    mutating func segment(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, width w: Double, _ c: RGB) {
        let dx = x1 - x0, dy = y1 - y0
        let len = (dx * dx + dy * dy).squareRoot()
        guard len > 1e-9 else { return }
        let h = max(w, 1) / 2
        let ux = dx / len * h, uy = dy / len * h
        let nx = -uy, ny = ux
        fill(
            [
                (x0 - ux + nx, y0 - uy + ny), (x1 + ux + nx, y1 + uy + ny), (x1 + ux - nx, y1 + uy - ny),
                (x0 - ux - nx, y0 - uy - ny),
            ], c, opacity: 1)
    }

    /// Draws `t` with its baseline at `baseline`; letters print as capitals.
    mutating func text(_ t: String, x: Double, baseline: Double, size: Double, _ c: RGB, anchor: Shape.Anchor) {
        let s = max(1, Int((size * 0.7 / 7).rounded()))  // pixels per font dot: capitals ~0.7 of the font size
        let glyphs = t.unicodeScalars.map { BitmapFont.glyph($0) }
        let advance = 6 * s
        let total = Double(glyphs.count * advance - s)
        var gx = Int((anchor == .start ? x : anchor == .middle ? x - total / 2 : x - total).rounded())
        let top = Int(baseline.rounded()) - 7 * s
        for g in glyphs {
            for row in 0..<7 {
                let bits = g[row]
                for col in 0..<5 where bits & (0x10 >> col) != 0 {
                    for dy in 0..<s { for dx in 0..<s { blend(gx + col * s + dx, top + row * s + dy, c, 1) } }
                }
            }
            gx += advance
        }
    }

    /// The image at half size, each pixel the mean of a 2×2 block.
    func halved() -> RasterCanvas {
        var out = RasterCanvas(width: width / 2, height: height / 2)
        for y in 0..<out.height {
            for x in 0..<out.width {
                for ch in 0..<3 {
                    let a = Int(pixels[((2 * y) * width + 2 * x) * 3 + ch]),
                        b = Int(pixels[((2 * y) * width + 2 * x + 1) * 3 + ch])
                    let c = Int(pixels[((2 * y + 1) * width + 2 * x) * 3 + ch]),
                        d = Int(pixels[((2 * y + 1) * width + 2 * x + 1) * 3 + ch])
                    out.pixels[(y * out.width + x) * 3 + ch] = UInt8((a + b + c + d + 2) / 4)
                }
            }
        }
        return out
    }

    // MARK: - PNG (ISO/IEC 15948: signature, IHDR, one IDAT, IEND)

    func png() -> [UInt8] {
        var raw = [UInt8]()
        raw.reserveCapacity((width * 3 + 1) * height)
        for y in 0..<height {
            raw.append(0)  // filter type 0 (None) for every row
            raw.append(contentsOf: pixels[(y * width * 3)..<((y + 1) * width * 3)])
        }
        var bound = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(bound))
        let status = compress2(&compressed, &bound, raw, uLong(raw.count), 9)
        precondition(status == Z_OK, "zlib compress2 failed (\(status))")
        compressed.removeSubrange(Int(bound)...)
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func be32(_ v: UInt32) -> [UInt8] {
            [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
        }
        func chunk(_ type: String, _ data: [UInt8]) {
            let body = Array(type.utf8) + data
            out += be32(UInt32(data.count)) + body
            let crc = body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
            out += be32(UInt32(crc))
        }
        chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [8, 2, 0, 0, 0])  // 8-bit RGB
        chunk("IDAT", compressed)
        chunk("IEND", [])
        return out
    }
}

/// Glyphs of 5×7 dots (bit 4 is the left column), drawn for this chart: capitals, digits and the
/// punctuation the chart prints. Lower-case letters use the capitals; anything else is a box.
enum BitmapFont {
    static func glyph(_ c: Unicode.Scalar) -> [UInt8] {
        var key = c
        if c.value >= 0x61 && c.value <= 0x7A { key = Unicode.Scalar(c.value - 32)! }
        if c == "\u{2014}" || c == "\u{2013}" || c == "\u{2212}" { key = "-" }
        return table[key] ?? table["\u{25A1}"]!
    }

    static let table: [Unicode.Scalar: [UInt8]] = {
        var t: [Unicode.Scalar: [UInt8]] = [:]
        for (k, rows) in source {
            t[k] = rows.split(separator: " ").map { row in
                row.utf8.reduce(UInt8(0)) { ($0 << 1) | ($1 == UInt8(ascii: "#") ? 1 : 0) }
            }
        }
        return t
    }()

    /// Each glyph: seven rows of five dots, `#` on, `.` off.
    static let source: [(Unicode.Scalar, String)] = [
        ("A", ".###. #...# #...# ##### #...# #...# #...#"), ("B", "####. #...# #...# ####. #...# #...# ####."),
        ("C", ".###. #...# #.... #.... #.... #...# .###."), ("D", "####. #...# #...# #...# #...# #...# ####."),
        ("E", "##### #.... #.... ####. #.... #.... #####"), ("F", "##### #.... #.... ####. #.... #.... #...."),
        ("G", ".###. #...# #.... #.### #...# #...# .####"), ("H", "#...# #...# #...# ##### #...# #...# #...#"),
        ("I", ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###."), ("J", "..### ...#. ...#. ...#. ...#. #..#. .##.."),
        ("K", "#...# #..#. #.#.. ##... #.#.. #..#. #...#"), ("L", "#.... #.... #.... #.... #.... #.... #####"),
        ("M", "#...# ##.## #.#.# #.#.# #...# #...# #...#"), ("N", "#...# #...# ##..# #.#.# #..## #...# #...#"),
        ("O", ".###. #...# #...# #...# #...# #...# .###."), ("P", "####. #...# #...# ####. #.... #.... #...."),
        ("Q", ".###. #...# #...# #...# #.#.# #..#. .##.#"), ("R", "####. #...# #...# ####. #.#.. #..#. #...#"),
        ("S", ".#### #.... #.... .###. ....# ....# ####."), ("T", "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#.."),
        ("U", "#...# #...# #...# #...# #...# #...# .###."), ("V", "#...# #...# #...# #...# #...# .#.#. ..#.."),
        ("W", "#...# #...# #...# #.#.# #.#.# #.#.# .#.#."), ("X", "#...# #...# .#.#. ..#.. .#.#. #...# #...#"),
        ("Y", "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#.."), ("Z", "##### ....# ...#. ..#.. .#... #.... #####"),
        ("0", ".###. #...# #..## #.#.# ##..# #...# .###."), ("1", "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###."),
        ("2", ".###. #...# ....# ...#. ..#.. .#... #####"), ("3", "##### ...#. ..#.. ...#. ....# #...# .###."),
        ("4", "...#. ..##. .#.#. #..#. ##### ...#. ...#."), ("5", "##### #.... ####. ....# ....# #...# .###."),
        ("6", "..##. .#... #.... ####. #...# #...# .###."), ("7", "##### ....# ...#. ..#.. .#... .#... .#..."),
        ("8", ".###. #...# #...# .###. #...# #...# .###."), ("9", ".###. #...# #...# .#### ....# ...#. .##.."),
        (" ", "..... ..... ..... ..... ..... ..... ....."), (".", "..... ..... ..... ..... ..... .##.. .##.."),
        (",", "..... ..... ..... ..... .##.. ..#.. .#..."), ("-", "..... ..... ..... ##### ..... ..... ....."),
        ("+", "..... ..#.. ..#.. ##### ..#.. ..#.. ....."), (":", "..... .##.. .##.. ..... .##.. .##.. ....."),
        ("(", "...#. ..#.. .#... .#... .#... ..#.. ...#."), (")", ".#... ..#.. ...#. ...#. ...#. ..#.. .#..."),
        ("[", ".###. .#... .#... .#... .#... .#... .###."), ("]", ".###. ...#. ...#. ...#. ...#. ...#. .###."),
        ("%", "##... ##..# ...#. ..#.. .#... #..## ...##"), ("/", "..... ....# ...#. ..#.. .#... #.... ....."),
        ("_", "..... ..... ..... ..... ..... ..... #####"), ("=", "..... ..... ##### ..... ##### ..... ....."),
        ("*", "..... ..#.. #.#.# .###. #.#.# ..#.. ....."), ("|", "..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#.."),
        ("'", "..#.. ..#.. ..... ..... ..... ..... ....."), (";", "..... .##.. .##.. ..... .##.. ..#.. .#..."),
        ("?", ".###. #...# ....# ...#. ..#.. ..... ..#.."), ("!", "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#.."),
        ("\u{0394}", "..... ..#.. .#.#. .#.#. #...# #...# #####"),
        ("\u{00B1}", "..#.. ..#.. ##### ..#.. ..#.. ..... #####"),
        ("\u{00D7}", "..... #...# .#.#. ..#.. .#.#. #...# ....."),
        ("\u{25A1}", "##### #...# #...# #...# #...# #...# #####"),
    ]
}
