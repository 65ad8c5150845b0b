// Repairs the commonest mojibake: UTF-8 bytes that were decoded as Latin-1 or Windows-1252
// ("cafÃ©" → "café", "donâ€™t" → "don’t"). A run is replaced only when the characters map back to
// bytes forming one valid UTF-8 multi-byte sequence (lead byte C2–F4, the right number of
// continuation bytes, no overlongs or surrogates). It does not undo double encoding or guess
// other code pages.
import SluiceCore

/// The Windows-1252 byte of a character in 0x80…0x9F, or nil.
@inline(__always)
private func cp1252Byte(_ c: UInt32) -> UInt8? {
    switch c {
    case 0x20AC: 0x80
    case 0x201A: 0x82
    case 0x0192: 0x83
    case 0x201E: 0x84
    case 0x2026: 0x85
    case 0x2020: 0x86
    case 0x2021: 0x87
    case 0x02C6: 0x88
    case 0x2030: 0x89
    case 0x0160: 0x8A
    case 0x2039: 0x8B
    case 0x0152: 0x8C
    case 0x017D: 0x8E
    case 0x2018: 0x91
    case 0x2019: 0x92
    case 0x201C: 0x93
    case 0x201D: 0x94
    case 0x2022: 0x95
    case 0x2013: 0x96
    case 0x2014: 0x97
    case 0x02DC: 0x98
    case 0x2122: 0x99
    case 0x0161: 0x9A
    case 0x203A: 0x9B
    case 0x0153: 0x9C
    case 0x017E: 0x9E
    case 0x0178: 0x9F
    default: nil
    }
}

/// The byte a character stood for when UTF-8 was read as Latin-1/Windows-1252, or nil.
@inline(__always)
private func misreadByte(_ c: UInt32) -> UInt8? {
    if c >= 0x80 && c <= 0xFF { return UInt8(c) }
    return cp1252Byte(c)
}

/// `b` with mojibake sequences repaired, or nil when there is nothing to repair.
/// - Complexity: O(n); a fast scan rejects text without a possible lead character (U+00C2…U+00F4).
func repairMojibake(_ b: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
    // Lead characters U+00C2…U+00F4 are encoded C3 82 … C3 B4.
    var candidate = false
    var i = 0
    while i + 1 < b.count {
        if b[i] == 0xC3 && b[i + 1] >= 0x82 && b[i + 1] <= 0xB4 {
            candidate = true
            break
        }
        i += 1
    }
    guard candidate else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(b.count)
    var changed = false
    i = 0
    var seq: [UInt8] = [0, 0, 0, 0]
    while i < b.count {
        let (c, l) = decodeScalar(b, at: i)
        if c >= 0xC2 && c <= 0xF4 {
            let lead = UInt8(c)
            let need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1
            seq[0] = lead
            var j = i + l
            var got = 0
            while got < need && j < b.count {
                let (d, dl) = decodeScalar(b, at: j)
                guard let byte = misreadByte(d), byte >= 0x80 && byte <= 0xBF else { break }
                seq[got + 1] = byte
                got += 1
                j += dl
            }
            if got == need && validSequence(seq, need + 1) {
                out.append(contentsOf: seq[0...need])
                changed = true
                i = j
                continue
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<(i + l)]))
        i += l
    }
    return changed ? out : nil
}

/// Whether `s[0..<n]` is one valid UTF-8 multi-byte sequence (no overlong forms or surrogates).
private func validSequence(_ s: [UInt8], _ n: Int) -> Bool {
    switch s[0] {
    case 0xC2...0xDF: return n == 2
    case 0xE0: return n == 3 && s[1] >= 0xA0
    case 0xED: return n == 3 && s[1] <= 0x9F
    case 0xE1...0xEF: return n == 3
    case 0xF0: return n == 4 && s[1] >= 0x90
    case 0xF4: return n == 4 && s[1] <= 0x8F
    case 0xF1...0xF3: return n == 4
    default: return false
    }
}
