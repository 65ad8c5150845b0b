// Step `normalize`: repairs mojibake, applies a Unicode normalization form (ICU), optional case
// folding, removes control and format characters (keeping \n and \t, and ZWJ/ZWNJ, which words
// in Indic and Persian scripts need), normalizes line endings and whitespace, and optionally
// unifies punctuation. Order: mojibake → form → case fold → one byte pass for the rest. Text
// that needs no change is returned without a copy. It does not transliterate or strip accents.
internal import CICUShim
import SluiceCore

/// Normalizes document text; drops documents left empty.
public struct NormalizeStep: Step {
    public static let name = "normalize"
    public static let summary = "Unicode form (NFC/NFKC), case fold, control chars, whitespace, quotes/dashes, mojibake"

    public static let empty = DropReason("normalize:empty")

    public var form: NormalizationForm?
    public var caseFold: Bool
    public var removeControls: Bool
    public var whitespace: Bool
    public var maxBlankLines: Int
    public var unifyPunctuation: Bool
    public var repairMojibake: Bool
    public var dropEmpty: Bool
    private var normalizer: UnicodeNormalizer?
    private var out: [UInt8] = []

    public init(options: inout StageOptions) throws {
        let f = try options.choice(
            "form", default: "NFC", ["NFC", "NFD", "NFKC", "NFKD", "NFKC_Casefold", "none"],
            "Unicode normalization form")
        form = NormalizationForm(rawValue: f)
        caseFold = try options.bool("case_fold", default: false, "full Unicode case folding (ß → ss)")
        removeControls = try options.bool(
            "remove_controls", default: true,
            "remove control (Cc) and format (Cf) characters except \\n, \\t, ZWJ, ZWNJ")
        whitespace = try options.bool(
            "whitespace", default: true,
            "\\r\\n and \\r → \\n, space runs → one space, no trailing spaces, no leading/trailing blank lines")
        maxBlankLines = try options.int(
            "max_blank_lines", default: 2, range: 0...1000, "keep at most this many consecutive blank lines")
        unifyPunctuation = try options.bool(
            "punctuation", default: false, "curly quotes → straight, dashes → -, … → ...")
        repairMojibake = try options.bool(
            "mojibake", default: true, "repair UTF-8 that was decoded as Latin-1/Windows-1252 (Ã© → é)")
        dropEmpty = try options.bool("drop_empty", default: true, "drop documents that are empty after normalizing")
    }

    /// Gives this task its own normalizer (it keeps a scratch buffer).
    public mutating func prepare(context: TaskContext) throws { normalizer = UnicodeNormalizer(form: form ?? .nfc) }

    public mutating func apply(to document: inout Document, context: TaskContext) throws -> Verdict {
        document.text = try normalize(document.text, context: context)
        if dropEmpty && document.text.isEmpty { return .drop(Self.empty) }
        return .keep
    }

    /// `text` normalized with this step's options.
    /// - Throws: `SluiceError(.library)` if ICU fails.
    public mutating func normalize(_ input: String, context: TaskContext? = nil) throws -> String {
        if normalizer == nil { normalizer = UnicodeNormalizer(form: form ?? .nfc) }
        var text = input
        if repairMojibake, let fixed = withUTF8Bytes(text, { SluiceClean.repairMojibake($0) }) {
            text = String(decoding: fixed, as: UTF8.self)
            context?.count("mojibake_repaired")
        }
        // Most text is already in the form: ICU's quick check skips building a copy.
        if form != nil && !normalizer!.isNormalized(text) { text = try normalizer!.normalize(text) }
        if caseFold { text = try normalizer!.foldCase(text) }
        if removeControls || whitespace || unifyPunctuation {
            if let cleaned = withUTF8Bytes(text, { clean($0) }) { text = cleaned }
        }
        return text
    }

    /// The byte pass: controls, punctuation, whitespace. nil when nothing changed.
    private mutating func clean(_ b: UnsafeBufferPointer<UInt8>) -> String? {
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(b.count)
        var changed = false
        var pendingSpace = false
        var pendingNewlines = 0
        var started = false
        var i = 0
        let n = b.count
        @inline(__always) func emitPending(_ out: inout [UInt8]) {
            if pendingNewlines > 0 {
                if started {
                    for _ in 0..<min(pendingNewlines, maxBlankLines + 1) { out.append(0x0A) }
                }
                pendingNewlines = 0
                pendingSpace = false
            }
            if pendingSpace {
                if started { out.append(0x20) }
                pendingSpace = false
            }
        }
        while i < n {
            let byte = b[i]
            // ASCII fast path.
            if byte < 0x80 {
                if whitespace {
                    if byte == 0x20 {
                        // A single space between words is kept as is; runs and edges are dropped.
                        if pendingSpace || !started || pendingNewlines > 0 { changed = true }
                        pendingSpace = true
                        i += 1
                        continue
                    }
                    if byte == 0x0A || byte == 0x0D {
                        if byte == 0x0D { changed = true }
                        if pendingSpace { changed = true }
                        pendingSpace = false
                        pendingNewlines += 1
                        i += (byte == 0x0D && i + 1 < n && b[i + 1] == 0x0A) ? 2 : 1
                        continue
                    }
                }
                if removeControls && (byte < 0x20 && byte != 0x09 && byte != 0x0A && (byte != 0x0D || whitespace))
                    || (removeControls && byte == 0x7F)
                {
                    changed = true
                    i += 1
                    continue
                }
                if whitespace && (pendingNewlines > 0 || pendingSpace) {
                    if pendingNewlines > maxBlankLines + 1 || !started { changed = true }
                }
                emitPending(&out)
                out.append(byte)
                started = true
                i += 1
                continue
            }
            let (c, l) = decodeScalar(b, at: i)
            let type = sluice_icu_char_type(c)
            if whitespace {
                if c == 0x85 || c == 0x2028 || c == 0x2029 {
                    changed = true
                    pendingSpace = false
                    pendingNewlines += 1
                    i += l
                    continue
                }
                if type == 12 {  // Zs: no-break space, ideographic space, en/em spaces …
                    changed = true
                    pendingSpace = true
                    i += l
                    continue
                }
            }
            if removeControls && (type == 15 || (type == 16 && c != 0x200C && c != 0x200D)) {
                changed = true
                i += l
                continue
            }
            if whitespace && (pendingNewlines > 0 || pendingSpace) {
                if pendingNewlines > maxBlankLines + 1 || !started { changed = true }
            }
            emitPending(&out)
            started = true
            if unifyPunctuation, let replacement = unifiedPunctuation(c) {
                out.append(contentsOf: replacement.utf8)
                changed = true
            } else {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<(i + l)]))
            }
            i += l
        }
        if pendingSpace || pendingNewlines > 0 { changed = true }
        _ = changed
        // Compare instead of tracking every edit: unchanged text keeps its original storage.
        if out.count == n && out.withUnsafeBufferPointer({ o in (0..<n).allSatisfy { o[$0] == b[$0] } }) { return nil }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The ASCII form of a typographic quote, dash or ellipsis, or nil.
@inline(__always)
private func unifiedPunctuation(_ c: UInt32) -> String? {
    switch c {
    case 0x2018, 0x2019, 0x201A, 0x201B, 0x2032: "'"
    case 0x201C, 0x201D, 0x201E, 0x201F, 0x2033: "\""
    case 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212: "-"
    case 0x2026: "..."
    default: nil
    }
}
