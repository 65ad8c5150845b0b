// GPT-2's byte ↔ printable-character map (HF `bytes_char`): bytes that are printable Latin-1
// keep their code point, the other 68 map to U+0100… in order. Vocab strings of byte-level
// BPE are written in these characters; internally tokens are raw bytes.

enum ByteLevel {
    /// The character each byte is written as.
    static let byteToScalar: [UInt32] = {
        var m = [UInt32](repeating: 0, count: 256)
        var n: UInt32 = 0
        for b in 0..<256 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                m[b] = UInt32(b)
            } else {
                m[b] = 256 + n
                n += 1
            }
        }
        return m
    }()

    /// The byte each character stands for, or nil.
    static func byte(of scalar: UInt32) -> UInt8? {
        if scalar < 256 {
            let b = Int(scalar)
            return byteToScalar[b] == scalar ? UInt8(b) : nil
        }
        let k = scalar - 256
        guard k < 68 else { return nil }
        return UInt8(byteToScalar.firstIndex(of: scalar)!)
    }

    /// The vocab string of raw token bytes.
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(byteToScalar[Int(b)])!) }
        return String(s)
    }

    /// The raw bytes of a vocab string, or nil when a character is not in the byte alphabet.
    static func decode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(s.unicodeScalars.count)
        for u in s.unicodeScalars {
            guard let b = byte(of: u.value) else { return nil }
            out.append(b)
        }
        return out
    }
}
