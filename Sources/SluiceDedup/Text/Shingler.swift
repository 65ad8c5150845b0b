// Turns a document's text into shingle hashes for MinHash: datatrove's `simplify_text`
// (lowercase, digits → 0, punctuation → space, whitespace collapsed, NFD with diacritics
// stripped), then word n-grams over ICU words or character n-grams. It does not deduplicate
// the hashes; MinHash takes minima, so repeats cost time but never change a signature.
import SluiceCore

/// What a shingle is made of.
public enum ShingleKind: String, Sendable, CaseIterable {
    /// n consecutive words (datatrove, text-dedup, BigCode).
    case words
    /// n consecutive Unicode scalars of the simplified text (NeMo's 24-character shingles).
    case characters
}

/// Computes shingle hashes. Holds ICU objects and scratch buffers: one per task, reused.
public final class Shingler {
    public let kind: ShingleKind
    public let n: Int
    private let segmenter: WordSegmenter
    private let nfd = UnicodeNormalizer(form: .nfd)
    private var simplified: [UInt8] = []
    private var wordStarts: [Int] = []
    private var wordEnds: [Int] = []
    private var wordHashes: [UInt64] = []
    private let table = FoldTable.shared
    /// Whether non-ASCII text in the table's scripts skips ICU (tests turn it off to compare).
    var useFoldTable = true

    /// - Throws: `SluiceError(.library)` when ICU's word-break iterator cannot be opened.
    public init(kind: ShingleKind = .words, n: Int = 5) throws {
        precondition(n >= 1, "shingle size must be positive")
        self.kind = kind
        self.n = n
        segmenter = try WordSegmenter()
    }

    /// Appends the shingle hashes of `text` (UTF-8) to `out` after clearing it. A text with
    /// fewer than `n` words (or scalars) gives one shingle of all of them; an empty one none.
    public func shingles(of text: UnsafeBufferPointer<UInt8>, into out: inout [UInt64]) {
        out.removeAll(keepingCapacity: true)
        simplify(text)
        switch kind {
        case .words: wordShingles(into: &out)
        case .characters: characterShingles(into: &out)
        }
    }

    /// The shingle hashes of a string (tests and cold paths).
    public func shingles(of text: String) -> [UInt64] {
        var t = text
        var out: [UInt64] = []
        t.withUTF8 { shingles(of: $0, into: &out) }
        return out
    }

    /// The words of the simplified text joined by single spaces, as datatrove's `simplify_text`
    /// would give it (tests, reports).
    public func simplifiedText(_ text: String) -> String {
        var t = text
        t.withUTF8 { simplify($0) }
        return wordStarts.indices.map { String(decoding: simplified[wordStarts[$0]..<wordEnds[$0]], as: UTF8.self) }
            .joined(separator: " ")
    }

    // MARK: - Simplification

    /// Fills `simplified` with the simplified text and, for ASCII input, the word ranges.
    private func simplify(_ text: UnsafeBufferPointer<UInt8>) {
        simplified.removeAll(keepingCapacity: true)
        wordStarts.removeAll(keepingCapacity: true)
        wordEnds.removeAll(keepingCapacity: true)
        if isASCII(text) {
            simplifyASCII(text)
            return
        }
        if useFoldTable && simplifyWithTable(text) { return }
        simplified.removeAll(keepingCapacity: true)
        wordStarts.removeAll(keepingCapacity: true)
        wordEnds.removeAll(keepingCapacity: true)
        // Rare path: case folding and NFD through ICU need a String; then the byte pass below
        // strips combining marks and maps ASCII as the fast path does; ICU then finds words.
        let folded = (try? nfd.foldCase(String(decoding: text, as: UTF8.self))) ?? String(decoding: text, as: UTF8.self)
        var decomposed = (try? nfd.normalize(folded)) ?? folded
        decomposed.withUTF8 { simplifyUnicode($0) }
        simplified.withUnsafeBufferPointer { buf in
            segmenter.forEachWord(in: buf) { range, _ in
                wordStarts.append(range.lowerBound)
                wordEnds.append(range.upperBound)
            }
        }
    }

    /// ASCII: letters lowercased, digits → `0`, anything else separates words; words joined by one space.
    private func simplifyASCII(_ text: UnsafeBufferPointer<UInt8>) {
        // The arrays leave the class for the loop and go back after it: appending to a class
        // property costs a run-time exclusivity check per byte in an -O build.
        var simplified = self.simplified
        var wordStarts = self.wordStarts
        var wordEnds = self.wordEnds
        (self.simplified, self.wordStarts, self.wordEnds) = ([], [], [])
        defer { (self.simplified, self.wordStarts, self.wordEnds) = (simplified, wordStarts, wordEnds) }
        simplified.reserveCapacity(text.count)
        var inWord = false
        for c in text {
            let m = asciiMap(c)
            if m != 0 {
                if !inWord {
                    if !simplified.isEmpty { simplified.append(32) }
                    wordStarts.append(simplified.count)
                    inWord = true
                }
                simplified.append(m)
            } else if inWord {
                wordEnds.append(simplified.count)
                inWord = false
            }
        }
        if inWord { wordEnds.append(simplified.count) }
    }

    /// Latin, Greek, Cyrillic, Armenian, Hebrew text through the fold table, finding words as
    /// the ASCII path does. Returns false (leaving partial output) at the first code point the
    /// table does not cover; the caller then takes the ICU path.
    private func simplifyWithTable(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        simplified.reserveCapacity(text.count)
        var inWord = false
        var i = 0
        let n = text.count
        while i < n {
            let c = text[i]
            if c < 0x80 {
                let m = asciiMap(c)
                if m != 0 {
                    if !inWord {
                        if !simplified.isEmpty { simplified.append(32) }
                        wordStarts.append(simplified.count)
                        inWord = true
                    }
                    simplified.append(m)
                } else if inWord {
                    wordEnds.append(simplified.count)
                    inWord = false
                }
                i += 1
                continue
            }
            let len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
            let end = min(i + len, n)
            var scalar = UInt32(c) & (len == 4 ? 0x07 : len == 3 ? 0x0F : 0x1F)
            var k = i + 1
            while k < end {
                scalar = scalar << 6 | UInt32(text[k] & 0x3F)
                k += 1
            }
            guard let e = table.entry(scalar) else { return false }
            if e == FoldTable.separator {
                if inWord {
                    wordEnds.append(simplified.count)
                    inWord = false
                }
            } else if e & 0xFF != 0 {
                if !inWord {
                    if !simplified.isEmpty { simplified.append(32) }
                    wordStarts.append(simplified.count)
                    inWord = true
                }
                table.withBytes(e) { simplified.append(contentsOf: $0) }
            }
            i = end
        }
        if inWord { wordEnds.append(simplified.count) }
        return true
    }

    /// Non-ASCII (already case-folded and NFD): combining diacritics dropped, ASCII mapped as in
    /// `simplifyASCII`, other scalars kept for ICU to segment; whitespace collapsed.
    private func simplifyUnicode(_ text: UnsafeBufferPointer<UInt8>) {
        simplified.reserveCapacity(text.count)
        var i = 0
        var pendingSpace = false
        while i < text.count {
            let c = text[i]
            if c < 0x80 {
                let m = asciiMap(c)
                if m == 0 {
                    pendingSpace = true
                } else {
                    if pendingSpace && !simplified.isEmpty { simplified.append(32) }
                    pendingSpace = false
                    simplified.append(m)
                }
                i += 1
                continue
            }
            let len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
            let end = min(i + len, text.count)
            var scalar = UInt32(c) & (len == 4 ? 0x07 : len == 3 ? 0x0F : 0x1F)
            for k in (i + 1)..<max(end, i + 1) { scalar = scalar << 6 | UInt32(text[k] & 0x3F) }
            if isCombiningDiacritic(scalar) {
                i = end
                continue
            }
            if isUnicodeSpace(scalar) {
                pendingSpace = true
            } else {
                if pendingSpace && !simplified.isEmpty { simplified.append(32) }
                pendingSpace = false
                simplified.append(contentsOf: UnsafeBufferPointer(rebasing: text[i..<end]))
            }
            i = end
        }
    }

    // MARK: - Shingles

    private func wordShingles(into out: inout [UInt64]) {
        let count = wordStarts.count
        guard count > 0 else { return }
        // A local array for the loop (no per-word exclusivity check on the class property, -O).
        var wordHashes = self.wordHashes
        self.wordHashes = []
        defer { self.wordHashes = wordHashes }
        wordHashes.removeAll(keepingCapacity: true)
        simplified.withUnsafeBytes { bytes in
            for w in 0..<count {
                wordHashes.append(xxHash64(UnsafeRawBufferPointer(rebasing: bytes[wordStarts[w]..<wordEnds[w]])))
            }
        }
        let width = min(n, count)
        out.reserveCapacity(count - width + 1)
        wordHashes.withUnsafeBytes { h in
            // A shingle is the hash of its words' hashes: the same set as hashing the joined words.
            for i in 0...(count - width) {
                out.append(xxHash64(UnsafeRawBufferPointer(rebasing: h[(i * 8)..<((i + width) * 8)]), seed: 0x5348))
            }
        }
    }

    private func characterShingles(into out: inout [UInt64]) {
        // Scalar start offsets: bytes that are not UTF-8 continuation bytes.
        wordStarts.removeAll(keepingCapacity: true)
        for (i, c) in simplified.enumerated() where c & 0xC0 != 0x80 { wordStarts.append(i) }
        let count = wordStarts.count
        guard count > 0 else { return }
        wordStarts.append(simplified.count)
        let width = min(n, count)
        simplified.withUnsafeBytes { bytes in
            for i in 0...(count - width) {
                out.append(xxHash64(UnsafeRawBufferPointer(rebasing: bytes[wordStarts[i]..<wordStarts[i + width]])))
            }
        }
    }
}

/// Lowercase letter, `0` for a digit, or 0 for a separator (punctuation, space, control).
@inline(__always)
func asciiMap(_ c: UInt8) -> UInt8 {
    switch c {
    case 97...122: return c
    case 65...90: return c + 32
    case 48...57: return 48
    default: return 0
    }
}

/// Combining diacritical marks (the blocks NFD moves accents into); other scripts' marks stay.
@inline(__always)
func isCombiningDiacritic(_ s: UInt32) -> Bool {
    (0x300...0x36F).contains(s) || (0x1AB0...0x1AFF).contains(s) || (0x1DC0...0x1DFF).contains(s)
        || (0x20D0...0x20FF).contains(s) || (0xFE20...0xFE2F).contains(s)
}

/// Non-ASCII White_Space characters (NBSP, the U+2000 spaces, line and paragraph separators, ideographic space).
@inline(__always)
func isUnicodeSpace(_ s: UInt32) -> Bool {
    s == 0x85 || s == 0xA0 || s == 0x1680 || (0x2000...0x200A).contains(s) || s == 0x2028 || s == 0x2029
        || s == 0x202F || s == 0x205F || s == 0x3000
}
