// Turning payload bytes into UTF-8 text: a declared charset (HTTP header, then <meta>), a BOM,
// valid UTF-8, and otherwise ICU's detector; conversion through ICU with invalid sequences
// replaced by U+FFFD. It does not normalise (the extract step does NFC after extraction).
import SluiceCore
internal import CICUShim

/// How a payload's charset was chosen.
public enum CharsetSource: String, Sendable {
    case bom, declared, utf8, detected, fallback
}

/// The outcome of decoding one payload.
public struct DecodedText {
    /// Valid UTF-8 bytes.
    public var utf8: [UInt8]
    /// The charset used (lower-case, `utf-8`, `windows-1252`, `shift_jis`).
    public var charset: String
    public var source: CharsetSource
}

/// Decodes payload bytes to UTF-8.
public enum CharsetDecoder {
    /// Decodes `bytes`, preferring `declared` (from HTTP or `<meta>`), then a BOM, then valid
    /// UTF-8, then ICU detection (windows-1252 when nothing matches).
    /// - Complexity: O(n); valid UTF-8 is copied once, other charsets converted once by ICU.
    public static func decode(_ bytes: UnsafeRawBufferPointer, declared: String?) -> DecodedText {
        let b = bytes.bindMemory(to: UInt8.self)
        // A byte-order mark wins over everything (WHATWG "decode").
        if b.count >= 3, b[0] == 0xef, b[1] == 0xbb, b[2] == 0xbf {
            return utf8Text(UnsafeBufferPointer(rebasing: b[3...]), source: .bom)
        }
        if b.count >= 2, b[0] == 0xff, b[1] == 0xfe { return convert(bytes, from: "utf-16le", source: .bom) }
        if b.count >= 2, b[0] == 0xfe, b[1] == 0xff { return convert(bytes, from: "utf-16be", source: .bom) }
        let valid = isValidUTF8(b)
        if let declared, let name = canonicalCharset(declared) {
            if name == "utf-8" { return utf8Text(b, source: .declared) }
            // A page declared as Latin-1 or ASCII whose bytes are valid, non-ASCII UTF-8 is UTF-8
            // (the commonest mislabelling on the web).
            if valid.valid && valid.nonASCII && (name == "windows-1252" || name == "us-ascii") {
                return utf8Text(b, source: .utf8)
            }
            if name == "us-ascii" && !valid.nonASCII { return utf8Text(b, source: .declared) }
            let t = convert(bytes, from: name, source: .declared)
            if t.charset != "" { return t }
        }
        if valid.valid { return utf8Text(b, source: .utf8) }
        // ICU's detector on a bounded prefix (it reads everything it is given).
        var name = [CChar](repeating: 0, count: 64)
        var status: Int32 = 0
        // Four leading NULs: ICU's UTF-16 recognisers otherwise claim (confidence 10) any
        // NUL-free text whose first code-unit pairs are not ASCII, ahead of the real charset.
        var sample = [UInt8](repeating: 0, count: 4)
        sample.append(contentsOf: UnsafeBufferPointer(rebasing: b[..<min(b.count, 64 << 10)]))
        let confidence = sluice_icu_detect_charset(sample, Int32(sample.count), &name, 64, &status)
        if confidence > 0 {
            let nameBytes = name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            let detected = String(decoding: nameBytes, as: UTF8.self).lowercased()
            // The detector says ISO-8859-1 for windows-1252 text; the superset decodes both.
            let use = detected == "iso-8859-1" ? "windows-1252" : detected
            let t = convert(bytes, from: use, source: .detected)
            if t.charset != "" { return t }
        }
        return convert(bytes, from: "windows-1252", source: .fallback)
    }

    /// Bytes → String, replacing invalid UTF-8.
    public static func string(_ bytes: UnsafeRawBufferPointer, declared: String?) -> (String, DecodedText) {
        let d = decode(bytes, declared: declared)
        return (String(decoding: d.utf8, as: UTF8.self), d)
    }

    /// The WHATWG-style canonical name for a label, or nil when the label is empty or "none".
    static func canonicalCharset(_ label: String) -> String? {
        let l = label.trimmingASCIIWhitespace().lowercased()
        switch l {
        case "", "none", "null", "unknown": return nil
        case "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8": return "utf-8"
        case "iso-8859-1", "latin1", "latin-1", "l1", "iso8859-1", "iso_8859-1", "cp1252", "windows-1252", "ascii",
            "x-cp1252", "cp819", "ibm819", "iso-ir-100", "csisolatin1":
            return "windows-1252"
        case "us-ascii", "ansi_x3.4-1968": return "us-ascii"
        case "x-sjis", "sjis", "shift-jis", "ms_kanji", "windows-31j": return "shift_jis"
        case "gb2312", "gbk", "x-gbk", "cp936", "chinese": return "gb18030"
        case "euc-kr", "ks_c_5601-1987", "windows-949", "cp949": return "windows-949"
        default: return l
        }
    }

    /// Checks UTF-8 validity and whether any byte is non-ASCII, in one pass.
    static func isValidUTF8(_ b: UnsafeBufferPointer<UInt8>) -> (valid: Bool, nonASCII: Bool) {
        var i = 0
        let n = b.count
        var nonASCII = false
        // i < n everywhere below (and i + need < n is checked), so the sums wrap (`&+`) without an
        // overflow check per byte under -O.
        while i < n {
            // Fast path: 8 ASCII bytes at a time.
            if i &+ 8 <= n {
                let w = UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt64.self)
                if w & 0x8080_8080_8080_8080 == 0 {
                    i &+= 8
                    continue
                }
            }
            let c = b[i]
            if c < 0x80 {
                i &+= 1
                continue
            }
            nonASCII = true
            var need = 0
            var minValue: UInt32 = 0
            var v: UInt32 = 0
            if c & 0xe0 == 0xc0 {
                need = 1
                v = UInt32(c & 0x1f)
                minValue = 0x80
            } else if c & 0xf0 == 0xe0 {
                need = 2
                v = UInt32(c & 0x0f)
                minValue = 0x800
            } else if c & 0xf8 == 0xf0 {
                need = 3
                v = UInt32(c & 0x07)
                minValue = 0x10000
            } else {
                return (false, true)
            }
            guard i &+ need < n else { return (false, true) }
            for k in 1...need {
                let d = b[i &+ k]
                guard d & 0xc0 == 0x80 else { return (false, true) }
                v = (v << 6) | UInt32(d & 0x3f)
            }
            if v < minValue || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) { return (false, true) }
            i &+= need &+ 1
        }
        return (true, nonASCII)
    }

    private static func utf8Text(_ b: UnsafeBufferPointer<UInt8>, source: CharsetSource) -> DecodedText {
        // Repairs invalid sequences (U+FFFD) only when needed.
        if isValidUTF8(b).valid { return DecodedText(utf8: Array(b), charset: "utf-8", source: source) }
        let s = String(decoding: b, as: UTF8.self)
        return DecodedText(utf8: Array(s.utf8), charset: "utf-8", source: source)
    }

    /// Converts with ICU; `charset` is "" in the result when ICU does not know the name.
    static func convert(_ bytes: UnsafeRawBufferPointer, from name: String, source: CharsetSource) -> DecodedText {
        var cap = bytes.count * 3 + 16
        for _ in 0..<2 {
            var status: Int32 = 0
            var needed: Int32 = 0
            let out = [UInt8](unsafeUninitializedCapacity: cap) { buf, n in
                needed = sluice_icu_to_utf8(
                    name, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(bytes.count), buf.baseAddress,
                    Int32(cap), &status)
                n = needed >= 0 && Int(needed) <= cap ? Int(needed) : 0
            }
            if needed < 0 { return DecodedText(utf8: [], charset: "", source: source) }
            if Int(needed) <= cap { return DecodedText(utf8: out, charset: name, source: source) }
            cap = Int(needed) + 16
        }
        return DecodedText(utf8: [], charset: "", source: source)
    }
}
