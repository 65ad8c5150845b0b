// A precomputed simplification table for the scripts that separate words with spaces and whose
// letters sit below U+0600 or in U+1E00–U+206F (Latin, Greek, Cyrillic, Armenian, Hebrew, general
// punctuation): each code point's case-folded, NFD, diacritic-stripped bytes, or "separator".
// Built once with ICU itself, so it gives the same result as the ICU path without per-document
// String round trips. Other scripts (CJK, Thai, Indic, Arabic, …) still go through ICU.

import SluiceCore

/// What simplification does to one code point.
struct FoldTable: Sendable {
    /// Covered code points: `lowRange` and `highRange`.
    static let lowRange: Range<UInt32> = 0x80..<0x600
    static let highRange: Range<UInt32> = 0x1E00..<0x2070
    /// Per covered code point: 0xFFFF_FFFF = separator, otherwise offset << 8 | length into `bytes`
    /// (length 0: the code point vanishes, as combining diacritics and format characters do).
    private var entries: [UInt32]
    private var bytes: [UInt8]
    static let separator: UInt32 = 0xFFFF_FFFF

    /// The table shared by every Shingler (built on first use, thread-safely).
    static let shared: FoldTable = FoldTable.build()

    /// The entry of `scalar`, or nil when it is outside the covered ranges.
    @inline(__always)
    func entry(_ scalar: UInt32) -> UInt32? {
        if scalar >= Self.lowRange.lowerBound && scalar < Self.lowRange.upperBound {
            return entries[Int(scalar - Self.lowRange.lowerBound)]
        }
        if scalar >= Self.highRange.lowerBound && scalar < Self.highRange.upperBound {
            return entries[Self.lowRange.count + Int(scalar - Self.highRange.lowerBound)]
        }
        return nil
    }

    /// Calls `body` with the replacement bytes of a non-separator entry.
    @inline(__always)
    func withBytes<R>(_ entry: UInt32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        bytes.withUnsafeBufferPointer { b in
            body(UnsafeBufferPointer(rebasing: b[Int(entry >> 8)..<(Int(entry >> 8) + Int(entry & 0xFF))]))
        }
    }

    static func build() -> FoldTable {
        var table = FoldTable(entries: [], bytes: [])
        let segmenter = try? WordSegmenterBox()
        let normalizer = UnicodeNormalizerBox()
        for range in [lowRange, highRange] {
            for cp in range {
                table.entries.append(table.compute(cp, segmenter: segmenter, normalizer: normalizer))
            }
        }
        return table
    }

    private mutating func compute(_ cp: UInt32, segmenter: WordSegmenterBox?, normalizer: UnicodeNormalizerBox)
        -> UInt32
    {
        guard let scalar = Unicode.Scalar(cp) else { return Self.separator }
        // Vanishing: combining diacritics (stripped after NFD) and invisible format characters
        // (soft hyphen, zero-width space/joiners, word joiner) that ICU keeps inside a word.
        if isCombiningDiacritic(cp) || cp == 0xAD || (0x200B...0x200F).contains(cp) || (0x2060...0x2064).contains(cp) {
            return 0
        }
        let text = String(Character(scalar))
        if isUnicodeSpace(cp) { return Self.separator }
        // A code point that is not a word on its own (punctuation, symbols, marks outside words)
        // separates words, as in ICU's segmentation of the simplified text.
        guard let segmenter, segmenter.isWord(text) else { return Self.separator }
        let folded = normalizer.simplify(text)
        var out: [UInt8] = []
        var sawSeparator = false
        for b in folded.utf8 {
            if b < 0x80 {
                let m = asciiMap(b)
                if m == 0 { sawSeparator = true } else { out.append(m) }
            } else {
                out.append(b)
            }
        }
        // Stripping diacritics from a lone combining letter leaves nothing: vanish, as ICU would
        // keep it inside the word.
        if out.isEmpty { return sawSeparator ? Self.separator : 0 }
        // Rare code points that fold to something with a separator inside are left to the ICU path.
        if sawSeparator { return Self.separator }
        let offset = UInt32(bytes.count)
        bytes.append(contentsOf: out)
        return offset << 8 | UInt32(out.count)
    }
}

/// The ICU word segmenter used while building the table.
private final class WordSegmenterBox {
    let segmenter: WordSegmenter
    init() throws { segmenter = try WordSegmenter() }
    func isWord(_ text: String) -> Bool { !segmenter.words(in: text).isEmpty }
}

/// Case folding then NFD then diacritic stripping, through ICU (as the Shingler's ICU path).
private final class UnicodeNormalizerBox {
    let nfd = UnicodeNormalizer(form: .nfd)
    func simplify(_ text: String) -> String {
        let folded = (try? nfd.foldCase(text)) ?? text
        let decomposed = (try? nfd.normalize(folded)) ?? folded
        var out = String.UnicodeScalarView()
        for s in decomposed.unicodeScalars where !isCombiningDiacritic(s.value) { out.append(s) }
        return String(out)
    }
}
