// Letter / number / whitespace classes of Unicode code points for the pre-tokenizers, without
// ICU or a regex engine: a generated run-length table (UnicodeClasses+Table.swift) expanded once
// into a two-level lookup (256-code-point blocks, shared when equal).

/// The class of a code point as the GPT-2 and cl100k split patterns see it.
enum CharClass: UInt8 {
    case other = 0
    case letter = 1  // \p{L}
    case number = 2  // \p{N}
    case space = 3  // \s (White_Space)
}

/// Two-level class table: `blocks[block[cp >> 8] << 8 | cp & 0xFF]`.
enum UnicodeClasses {
    struct Table: Sendable {
        var stage1: [UInt16]
        var stage2: [UInt8]
    }

    static let table: Table = {
        var flat = [UInt8](repeating: 0, count: 0x110000)
        var starts: [(Int, UInt8)] = []
        var i = runs.utf8.startIndex
        let u = runs.utf8
        while i < u.endIndex {
            var v = 0
            var c: UInt8 = 0
            while i < u.endIndex {
                let b = u[i]
                i = u.index(after: i)
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = v * 16 + Int(b - 48)
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v = v * 16 + Int(b - 87)
                case UInt8(ascii: "L"): c = CharClass.letter.rawValue
                case UInt8(ascii: "N"): c = CharClass.number.rawValue
                case UInt8(ascii: "S"): c = CharClass.space.rawValue
                case UInt8(ascii: "O"): c = CharClass.other.rawValue
                default: break
                }
                if b == UInt8(ascii: ";") { break }
            }
            starts.append((v, c))
        }
        for (k, (start, c)) in starts.enumerated() {
            let end = k + 1 < starts.count ? starts[k + 1].0 : 0x110000
            if c != 0 { for cp in start..<end { flat[cp] = c } }
        }
        var stage1 = [UInt16](repeating: 0, count: 0x1100)
        var stage2: [UInt8] = []
        var seen: [[UInt8]: UInt16] = [:]
        for b in 0..<0x1100 {
            let block = Array(flat[(b << 8)..<((b + 1) << 8)])
            if let k = seen[block] {
                stage1[b] = k
            } else {
                let k = UInt16(stage2.count >> 8)
                seen[block] = k
                stage1[b] = k
                stage2 += block
            }
        }
        return Table(stage1: stage1, stage2: stage2)
    }()

    /// The class of code point `cp` (must be ≤ 0x10FFFF).
    @inline(__always)
    static func classOf(_ cp: UInt32, _ t: borrowing Table) -> CharClass {
        let k = Int(t.stage1[Int(cp >> 8)]) << 8 | Int(cp & 0xFF)
        return CharClass(rawValue: t.stage2[k])!
    }
}
