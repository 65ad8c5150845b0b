// tokenizer.json reading: each kind of defect is one error naming the field and the file (issue 16
// item 5: `merges` as a string used to load as a BPE with zero merges), invalid JSON names the byte
// offset, line and column, and both merge spellings HF writes load to the same tokenizer.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize
import Testing

@Suite struct TokenizerJSONTests {
    /// A valid byte-level BPE file: the 256 byte characters, then "ab" and "abc" from two merges.
    static func validBPE(merges: String = #"[["a", "b"], ["ab", "c"]]"#, extraModel: String = "", added: String = "[]")
        -> String
    {
        var vocab: [String] = []
        for b in 0..<256 {
            let s = String(Character(Unicode.Scalar(ByteLevelScalars.scalar(UInt8(b)))!))
            vocab.append(jsonQuote(s) + ": \(b)")
        }
        vocab.append(#""ab": 256"#)
        vocab.append(#""abc": 257"#)
        return """
            {"version": "1.0", "added_tokens": \(added), "normalizer": null,
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
             "post_processor": null, "decoder": {"type": "ByteLevel"},
             "model": {"type": "BPE"\(extraModel), "vocab": {\(vocab.joined(separator: ", "))},
             "merges": \(merges)}}
            """
    }

    static let validUnigram = """
        {"added_tokens": [], "normalizer": null, "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
         "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["▁a", -1.5], ["a", -2.0], ["▁", -3.0]], "byte_fallback": false}}
        """

    func load(_ json: String) -> String { loadTokenizerJSON(json) }

    /// The error names the file, is one line, and contains each of `parts`.
    func expectError(_ json: String, _ parts: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        let e = load(json)
        #expect(e != "no error" && e.contains("t.json") && !e.contains("\n"), "\(e)", sourceLocation: sourceLocation)
        for p in parts { #expect(e.contains(p), "\(p) not in: \(e)", sourceLocation: sourceLocation) }
    }

    @Test func validFilesLoad() throws {
        #expect(load(Self.validBPE()) == "no error")
        #expect(load(Self.validUnigram) == "no error")
    }

    @Test func bothMergeSpellingsGiveTheSameTokenizer() throws {
        let dir = try TestSupport.temporaryDirectory("tokjson-merges")
        try Self.validBPE().write(toFile: dir + "/pairs.json", atomically: true, encoding: .utf8)
        try Self.validBPE(merges: #"["a b", "ab c"]"#).write(
            toFile: dir + "/strings.json", atomically: true, encoding: .utf8)
        let pairs = try Tokenizer.load(path: dir + "/pairs.json")
        let strings = try Tokenizer.load(path: dir + "/strings.json")
        #expect(pairs.merges.count == 2 && strings.fingerprint == pairs.fingerprint)
        #expect(strings.encode("abc abcab") == pairs.encode("abc abcab"))
        #expect(pairs.encode("abc") == [257])
        // The real fixture, rewritten with "left right" strings, loads to the same fingerprint.
        let fixture = try String(contentsOfFile: TestSupport.fixture("tokenize/bpe-udhr-1000.json"), encoding: .utf8)
        let original = try Tokenizer.load(path: TestSupport.fixture("tokenize/bpe-udhr-1000.json"))
        let rewritten = original.merges.map { jsonQuote(original.vocab[Int($0.0)] + " " + original.vocab[Int($0.1)]) }
        let head = fixture.range(of: "\"merges\": [")!
        try (String(fixture[..<head.upperBound]) + rewritten.joined(separator: ",") + "]}}").write(
            toFile: dir + "/fixture-strings.json", atomically: true, encoding: .utf8)
        #expect(try Tokenizer.load(path: dir + "/fixture-strings.json").fingerprint == original.fingerprint)
    }

    // MARK: - One test per kind of defect

    @Test func invalidJSONGivesOffsetLineAndColumn() {
        expectError("{\n  \"model\": {\"type\": \"BPE\",,}\n}", "not valid JSON", "at byte 28", "line 2, column 27")
        expectError("", "not valid JSON", "at byte 0", "line 1, column 1")
        expectError(#"{"model": {"vocab": {"a": 0}}"#, "not valid JSON", "line 1")
    }

    @Test func wrongTypes() {
        // The issue's case: merges as a string no longer loads as zero merges.
        expectError(Self.validBPE(merges: #""a b""#), "model.merges", "expected an array", "found a string")
        expectError(Self.validBPE(merges: "{}"), "model.merges", "expected an array, found an object")
        expectError(
            #"{"model": {"type": "BPE", "vocab": [], "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}"#,
            "model.vocab", "expected an object")
        expectError(
            #"{"model": "BPE", "pre_tokenizer": {"type": "ByteLevel"}}"#, "model:", "expected an object, found a string"
        )
        expectError("[1, 2]", "(top level)", "expected an object")
        expectError(
            Self.validBPE(extraModel: #", "byte_fallback": "yes""#), "model.byte_fallback", "expected true or false")
        expectError(
            Self.validBPE(extraModel: #", "ignore_merges": 1"#), "model.ignore_merges", "expected true or false")
        expectError(Self.validBPE(added: #"{"id": 0}"#), "added_tokens", "expected an array")
        expectError(
            Self.validBPE().replacingOccurrences(of: #""use_regex": true"#, with: #""use_regex": "true""#),
            "pre_tokenizer.use_regex", "expected true or false")
        expectError(
            Self.validBPE().replacingOccurrences(of: #""type": "ByteLevel", "add"#, with: #""type": 7, "add"#),
            "pre_tokenizer.type", "expected a string, found the number 7")
        expectError(
            Self.validUnigram.replacingOccurrences(of: #""split": true"#, with: #""split": null, "prepend_scheme": 3"#),
            "pre_tokenizer.prepend_scheme", "expected a string")
        expectError(
            Self.validUnigram.replacingOccurrences(of: "\"always\"", with: "\"sometimes\""),
            "pre_tokenizer.prepend_scheme", "sometimes")
    }

    @Test func missingRequiredKeys() {
        expectError(#"{"pre_tokenizer": {"type": "ByteLevel"}}"#, "model:", "the key is missing")
        expectError(
            Self.validBPE().replacingOccurrences(
                of: #""merges": [["a", "b"], ["ab", "c"]]"#, with: #""dropout": null"#), "model.merges",
            "the key is missing")
        expectError(
            Self.validBPE().replacingOccurrences(of: #""pre_tokenizer""#, with: #""pre_tokenizer_x""#), "pre_tokenizer",
            "required")
        expectError(Self.validBPE(added: #"[{"id": 258}]"#), "added_tokens[0].content", "the key is missing")
        expectError(Self.validBPE(added: #"[{"content": "<s>"}]"#), "added_tokens[0].id", "the key is missing")
        expectError(
            #"{"model": {"type": "Unigram"}, "pre_tokenizer": {"type": "Metaspace"}}"#, "model.vocab",
            "the key is missing")
    }

    @Test func vocabIDs() {
        let bpe = Self.validBPE()
        expectError(
            bpe.replacingOccurrences(of: #""abc": 257"#, with: #""abc": "257""#), "model.vocab[\"abc\"]",
            "expected an integer id")
        expectError(
            bpe.replacingOccurrences(of: #""abc": 257"#, with: #""abc": 2.5"#), "model.vocab[\"abc\"]",
            "expected an integer id")
        expectError(
            bpe.replacingOccurrences(of: #""abc": 257"#, with: #""abc": -1"#), "model.vocab[\"abc\"]", "out of range")
        expectError(
            bpe.replacingOccurrences(of: #""abc": 257"#, with: #""abc": 4000000000"#), "model.vocab[\"abc\"]",
            "out of range")
        expectError(
            bpe.replacingOccurrences(of: #""abc": 257"#, with: #""abc": 256"#), "model.vocab[\"abc\"]",
            "already used by \"ab\"")
        // Ids 0…256 and 258 (the added token repeats id 0's text, so 258 is in range): a gap at 257.
        expectError(
            Self.validBPE(added: #"[{"id": 0, "content": "Ā"}]"#).replacingOccurrences(
                of: #""abc": 257"#, with: #""abc": 258"#),
            "model.vocab", "no token has id 257")
        expectError(Self.validBPE(added: #"[{"id": 90000, "content": "<s>"}]"#), "added_tokens[0].id", "out of range")
        expectError(
            Self.validBPE(added: #"[{"id": "x", "content": "<s>"}]"#), "added_tokens[0].id", "expected an integer id")
        expectError(
            Self.validUnigram.replacingOccurrences(of: #""unk_id": 0"#, with: #""unk_id": 9"#), "model.unk_id",
            "out of range")
    }

    @Test func mergesReferencingMissingTokens() {
        expectError(
            Self.validBPE(merges: #"[["a", "b"], ["ab", "zz"]]"#), "model.merges[1]", "\"zz\" is not in model.vocab")
        expectError(Self.validBPE(merges: #"["a b", "zz ab"]"#), "model.merges[1]", "\"zz\"", "not in model.vocab")
        expectError(Self.validBPE(merges: #"["a b", "abc"]"#), "model.merges[1]", "no space")
        expectError(
            Self.validBPE(merges: #"[["a", "b", "c"]]"#), "model.merges[0]", "expected [left, right] or \"left right\"",
            "array of 3")
        expectError(Self.validBPE(merges: #"[["a", 1]]"#), "model.merges[0][1]", "expected a string")
        expectError(Self.validBPE(merges: #"[17]"#), "model.merges[0]", "found the number 17")
        // Both tokens exist but their concatenation does not.
        expectError(Self.validBPE(merges: #"[["a", "c"]]"#), "merge 0", "not in the vocabulary")
    }

    @Test func unigramEntries() {
        expectError(
            Self.validUnigram.replacingOccurrences(of: #"["a", -2.0]"#, with: #"["a"]"#), "model.vocab[2]",
            "expected [piece, score]")
        expectError(
            Self.validUnigram.replacingOccurrences(of: #"["a", -2.0]"#, with: #"["a", "-2"]"#), "model.vocab[2][1]",
            "expected a finite score")
        expectError(
            Self.validUnigram.replacingOccurrences(of: #"["a", -2.0]"#, with: #"[5, -2.0]"#), "model.vocab[2][0]",
            "expected a string")
        // 1e999 does not parse as a double: Core's JSON parser stops there, naming the offset.
        expectError(
            Self.validUnigram.replacingOccurrences(of: #"["a", -2.0]"#, with: #"["a", 1e999]"#), "out of range",
            "byte 237")
        // Fuzz/regressions/tokenizer/unigram-score-beyond-int64.json: a score whose fingerprint
        // quantisation overflowed Int64 and trapped.
        expectError(
            Self.validUnigram.replacingOccurrences(of: #"["a", -2.0]"#, with: #"["a", -1.7e17]"#), "model.vocab[2][1]",
            "magnitude below 1e12")
    }

    @Test func templateNamesUndefinedToken() {
        let json = Self.validBPE().replacingOccurrences(
            of: #""post_processor": null"#,
            with:
                #""post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}], "special_tokens": {}}"#
        )
        expectError(json, "post_processor.single[0]", "<s>")
        let outOfRange = Self.validBPE().replacingOccurrences(
            of: #""post_processor": null"#,
            with:
                #""post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}], "special_tokens": {"<s>": {"ids": [999]}}}"#
        )
        expectError(outOfRange, "post_processor.special_tokens", "999")
    }
}

/// The GPT-2 byte → character map, restated here so the test does not share the code under test.
enum ByteLevelScalars {
    static func scalar(_ b: UInt8) -> UInt32 {
        var n: UInt32 = 0
        for x in 0..<256 {
            let printable = (33...126).contains(x) || (161...172).contains(x) || (174...255).contains(x)
            if x == Int(b) { return printable ? UInt32(x) : 256 + n }
            if !printable { n += 1 }
        }
        return 0
    }
}

/// A JSON string literal for test inputs.
func jsonQuote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default:
            if u.value < 0x20 || u.value == 0x7F {
                out += String(format: "\\u%04x", u.value)
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

/// Loads `json` from a file named t.json; returns the error text or "no error" (TokenizerFileErrors too).
func loadTokenizerJSON(_ json: String) -> String {
    do {
        let dir = try TestSupport.temporaryDirectory("tokjson")
        try json.write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        _ = try Tokenizer.load(path: dir + "/t.json")
        return "no error"
    } catch { return "\(error)" }
}

@Suite struct TokenizerFileErrors {
    func load(_ json: String) -> String { loadTokenizerJSON(json) }

    @Test func badFilesGiveClearErrors() {
        #expect(load("{not json").contains("not valid JSON"))
        #expect(
            load(#"{"model": {"type": "WordPiece", "vocab": {}}, "pre_tokenizer": {"type": "ByteLevel"}}"#).contains(
                "\"WordPiece\" is not supported"))
        #expect(
            load(
                #"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Whitespace"}}"#
            ).contains("\"Whitespace\" is not supported"))
        #expect(
            load(
                #"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}"#
            ).contains("lacks the byte"))
        #expect(
            load(
                #"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "zz"]]}, "pre_tokenizer": {"type": "ByteLevel"}}"#
            ).contains("not in model.vocab"))
        #expect((try? Tokenizer.load(path: "/nonexistent/tokenizer.json")) == nil)
    }
}
