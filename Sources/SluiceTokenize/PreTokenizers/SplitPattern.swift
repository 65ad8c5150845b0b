// The GPT-2 and cl100k (GPT-4) pre-tokenizer split patterns, hand-written on UTF-8 bytes: the
// same pieces the regexes give (leftmost alternative, greedy, with the `\s+(?!\S)` look-ahead),
// without a regex engine. Input must be valid UTF-8 (a Swift String's bytes always are).

/// Which split pattern a byte-level BPE tokenizer uses.
public enum SplitPattern: String, Sendable, CaseIterable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` (GPT-2, HF ByteLevel).
    case gpt2
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+` (cl100k).
    case cl100k

    /// The regular expression this pattern implements, as HF's `Split` pre-tokenizer spells it.
    public var regex: String {
        switch self {
        case .gpt2: #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .cl100k:
            #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }
}

/// Class lookup over raw table pointers, shared by every splitter (the table lives for the process).
nonisolated(unsafe) private let classStage1: UnsafeMutablePointer<UInt16> = {
    let t = UnicodeClasses.table.stage1
    let p = UnsafeMutablePointer<UInt16>.allocate(capacity: t.count)
    p.initialize(from: t, count: t.count)
    return p
}()
nonisolated(unsafe) private let classStage2: UnsafeMutablePointer<UInt8> = {
    let t = UnicodeClasses.table.stage2
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: t.count)
    p.initialize(from: t, count: t.count)
    return p
}()
/// Classes of the ASCII bytes.
nonisolated(unsafe) private let classOfASCII: UnsafeMutablePointer<UInt8> = {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 128)
    for b in 0..<128 {
        let k = Int(UnicodeClasses.table.stage1[0]) << 8 | b
        p[b] = UnicodeClasses.table.stage2[k]
    }
    return p
}()

/// Splits UTF-8 bytes into pre-tokens, one `next()` at a time.
struct PreTokenSplitter {
    let bytes: UnsafeBufferPointer<UInt8>
    let pattern: SplitPattern
    private(set) var position = 0
    // The class tables, read once here: a global read in the loop costs a `swift_once` check each time.
    private let stage1: UnsafeMutablePointer<UInt16>
    private let stage2: UnsafeMutablePointer<UInt8>
    private let asciiClass: UnsafeMutablePointer<UInt8>

    init(_ bytes: UnsafeBufferPointer<UInt8>, pattern: SplitPattern) {
        self.bytes = bytes
        self.pattern = pattern
        stage1 = classStage1
        stage2 = classStage2
        asciiClass = classOfASCII
    }

    /// The next pre-token as a byte range, or nil at the end.
    @inline(__always)
    mutating func next() -> Range<Int>? {
        let i = position
        guard i < bytes.count else { return nil }
        let end = pattern == .gpt2 ? gpt2(i) : cl100k(i)
        position = end
        return i..<end
    }

    /// Class and byte length of the code point at `i` (< count).
    @inline(__always)
    func classAt(_ i: Int) -> (CharClass, Int) {
        let b0 = bytes[i]
        if b0 < 0x80 { return (CharClass(rawValue: asciiClass[Int(b0)])!, 1) }
        var cp: UInt32
        var len: Int
        if b0 < 0xE0 {
            cp = UInt32(b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
            len = 2
        } else if b0 < 0xF0 {
            cp = UInt32(b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
            len = 3
        } else {
            cp =
                UInt32(b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6
                | UInt32(bytes[i + 3] & 0x3F)
            len = 4
        }
        if cp > 0x10FFFF { cp = 0 }  // unreachable for valid UTF-8
        let k = Int(stage1[Int(cp >> 8)]) << 8 | Int(cp & 0xFF)
        return (CharClass(rawValue: stage2[k])!, len)
    }

    /// End of the run of class `c` starting at `i`.
    @inline(__always)
    func run(_ c: CharClass, from i: Int) -> Int {
        var j = i
        let n = bytes.count
        while j < n {
            let (k, len) = classAt(j)
            if k != c { break }
            j += len
        }
        return j
    }

    /// `\s+(?!\S)|\s+` at `i` (a whitespace character): the run, less its last character when
    /// a non-space follows and the run is longer than one character.
    @inline(__always)
    func whitespace(_ i: Int) -> Int {
        var j = i
        var lastStart = i
        let n = bytes.count
        while j < n {
            let (k, len) = classAt(j)
            if k != .space { break }
            lastStart = j
            j += len
        }
        if j == n || lastStart == i { return j }
        return lastStart
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` at `i`, optionally case-insensitive: the end, or nil.
    @inline(__always)
    func contraction(_ i: Int, ignoreCase: Bool) -> Int? {
        let n = bytes.count
        guard bytes[i] == UInt8(ascii: "'"), i + 1 < n else { return nil }
        var c = bytes[i + 1]
        if ignoreCase, c >= 65, c <= 90 { c += 32 }
        switch c {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"): return i + 2
        case UInt8(ascii: "r"), UInt8(ascii: "v"), UInt8(ascii: "l"):
            guard i + 2 < n else { return nil }
            var d = bytes[i + 2]
            if ignoreCase, d >= 65, d <= 90 { d += 32 }
            let want: UInt8 = c == UInt8(ascii: "l") ? UInt8(ascii: "l") : UInt8(ascii: "e")
            return d == want ? i + 3 : nil
        default: return nil
        }
    }

    private func gpt2(_ i: Int) -> Int {
        if let e = contraction(i, ignoreCase: false) { return e }
        var j = i
        if bytes[i] == 0x20, i + 1 < bytes.count { j = i + 1 }
        let (c, len) = classAt(j)
        switch c {
        case .letter, .number: return run(c, from: j + len)
        case .other: return run(.other, from: j + len)
        case .space: return whitespace(i)
        }
    }

    private func cl100k(_ i: Int) -> Int {
        if let e = contraction(i, ignoreCase: true) { return e }
        let n = bytes.count
        let (c, len) = classAt(i)
        let b = bytes[i]
        if c == .letter { return run(.letter, from: i + len) }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if c != .number, b != 0x0D, b != 0x0A, i + len < n, classAt(i + len).0 == .letter {
            return run(.letter, from: i + len)
        }
        if c == .number {
            var j = i + len
            for _ in 0..<2 {
                guard j < n else { break }
                let (k, l) = classAt(j)
                if k != .number { break }
                j += l
            }
            return j
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var j = i
        if b == 0x20, i + 1 < n, classAt(i + 1).0 == .other { j = i + 1 }
        if classAt(j).0 == .other {
            var e = run(.other, from: j)
            while e < n, bytes[e] == 0x0D || bytes[e] == 0x0A { e += 1 }
            return e
        }
        // Whitespace: `\s*[\r\n]+`, then `\s+(?!\S)|\s+`.
        var k = i
        var lastNewline = -1
        while k < n {
            let (cls, l) = classAt(k)
            if cls != .space { break }
            if bytes[k] == 0x0D || bytes[k] == 0x0A { lastNewline = k }
            k += l
        }
        if lastNewline >= 0 { return lastNewline + 1 }
        return whitespace(i)
    }
}

extension SplitPattern {
    /// The pre-tokens of `text` (for tests and tools; the encoder splits without allocating).
    public func pieces(of text: String) -> [String] {
        var t = text
        return t.withUTF8 { b in
            guard b.count > 0 else { return [] }
            var s = PreTokenSplitter(b, pattern: self)
            var out: [String] = []
            while let r = s.next() { out.append(String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self)) }
            return out
        }
    }
}
