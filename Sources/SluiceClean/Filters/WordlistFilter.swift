// Filter `wordlist`: the fraction of a document's words (ICU-segmented, case-folded) that belong to
// a word list such as the LDNOOBW lists (one entry per line; multi-word entries match as
// phrases). With the default `max_fraction: 0` any listed word drops the page, as C4's bad-words
// rule does. Entries and text are segmented the same way, so unspaced scripts match where ICU's
// dictionary splits them alike. It does not match substrings inside words.
import Foundation
import SluiceCore

/// Drops documents with too many listed words.
public struct WordlistFilter: Filter {
    public static let name = "wordlist"
    public static let summary = "fraction of words found in a word list (e.g. LDNOOBW), with a threshold"

    public static let listedWords = DropReason("wordlist:listed_words")

    public var path: String
    public var maxFraction: Double
    public var scoreKey: String?
    private var phrases = Set<UInt64>()
    private var longest = 0
    private var scanner: TokenScanner?
    private var normalizer = UnicodeNormalizer(form: .nfc)
    private var hashes: [UInt64] = []

    public init(options: inout StageOptions) throws {
        path = try options.string("path", "word list file, one word or phrase per line")
        maxFraction = try options.double(
            "max_fraction", default: 0, range: 0...1, "drop when the fraction of listed words is above this")
        scoreKey = try options.optionalString("score_key", "metadata key for the fraction (null = do not write)")
    }

    public func validate() throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw SluiceError(.config, "wordlist.path: cannot read the word list", file: path)
        }
    }

    /// Loads the list once; each task gets its own scanner and case folder.
    public mutating func prepare(context: TaskContext) throws {
        if longest == 0 { try load() }
        scanner = TokenScanner()
        normalizer = UnicodeNormalizer(form: .nfc)
    }

    /// Reads the list: each line case-folded and segmented into words, stored as a phrase hash.
    mutating func load() throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SluiceError(.io, "cannot read the word list", file: path)
        }
        let scanner = TokenScanner()
        self.scanner = scanner
        phrases.removeAll()
        longest = 0
        for raw in String(decoding: data, as: UTF8.self).split(whereSeparator: {
            $0 == "\n" || $0 == "\r\n" || $0 == "\r"
        }) {
            let entry = try normalizer.foldCase(String(raw))
            var words: [UInt64] = []
            withUTF8Bytes(entry) { b in
                scanner.scan(b)
                for i in 0..<scanner.count where scanner.isWordSegment[i] { words.append(scanner.hash(b, i)) }
            }
            guard !words.isEmpty else { continue }
            phrases.insert(Self.phraseHash(words[...]))
            longest = max(longest, words.count)
        }
    }

    static func phraseHash(_ words: ArraySlice<UInt64>) -> UInt64 {
        var h: UInt64 = 0x51_7CC1_B727_220A &* UInt64(words.count)
        for w in words { h = mix64(h ^ w) }
        return h
    }

    public mutating func verdict(for document: inout Document, context: TaskContext) throws -> Verdict {
        if scanner == nil { try load() }
        let fraction = try listedFraction(document.text)
        if let scoreKey { document.metadata[scoreKey] = .double(fraction) }
        return fraction > maxFraction ? .drop(Self.listedWords) : .keep
    }

    /// Listed words / words in `text`.
    mutating func listedFraction(_ text: String) throws -> Double {
        let folded = try normalizer.foldCase(text)
        let scanner = self.scanner!
        hashes.removeAll(keepingCapacity: true)
        withUTF8Bytes(folded) { b in
            scanner.scan(b)
            for i in 0..<scanner.count where scanner.isWordSegment[i] { hashes.append(scanner.hash(b, i)) }
        }
        guard !hashes.isEmpty else { return 0 }
        var listed = 0
        var i = 0
        while i < hashes.count {
            var matched = 0
            for len in stride(from: min(longest, hashes.count - i), through: 1, by: -1)
            where phrases.contains(Self.phraseHash(hashes[i..<(i + len)])) {
                matched = len
                break
            }
            if matched > 0 {
                listed += matched
                i += matched
            } else {
                i += 1
            }
        }
        return Double(listed) / Double(hashes.count)
    }
}

// MARK: - What fired (kept drops only; see DropAudit)

extension WordlistFilter: DropExplaining {
    /// The listed words and phrases found (`match`, case-folded, distinct, at most 20) and the fraction.
    public func explainDrop(_ document: Document, reason: DropReason) -> JSONValue? {
        guard let scanner, let folded = try? UnicodeNormalizer(form: .nfc).foldCase(document.text) else { return nil }
        var found: [String] = []
        var fraction = 0.0
        withUTF8Bytes(folded) { b in
            scanner.scan(b)
            var words: [Int] = []
            var hashes: [UInt64] = []
            for i in 0..<scanner.count where scanner.isWordSegment[i] {
                words.append(i)
                hashes.append(scanner.hash(b, i))
            }
            var listed = 0
            var i = 0
            while i < hashes.count {
                var matched = 0
                for len in stride(from: min(longest, hashes.count - i), through: 1, by: -1)
                where phrases.contains(Self.phraseHash(hashes[i..<(i + len)])) {
                    matched = len
                    break
                }
                if matched > 0 {
                    let range = scanner.starts[words[i]]..<scanner.ends[words[i + matched - 1]]
                    let phrase = String(decoding: UnsafeBufferPointer(rebasing: b[range]), as: UTF8.self)
                    if !found.contains(phrase) && found.count < 20 { found.append(phrase) }
                    listed += matched
                    i += matched
                } else {
                    i += 1
                }
            }
            fraction = hashes.isEmpty ? 0 : Double(listed) / Double(hashes.count)
        }
        var object = JSONObject()
        object["match"] = .array(found.map { .string($0) })
        object["fraction"] = .double((fraction * 1e6).rounded() / 1e6)
        object["max_fraction"] = .double(maxFraction)
        return .object(object)
    }
}
