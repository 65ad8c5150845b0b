// Reads and writes Hugging Face `tokenizer.json` (serialization "1.0", tokenizers' `serialization.rs`) for the
// tokenizers Sluice runs: byte-level BPE (ByteLevel, or Split + ByteLevel) and Unigram with
// Metaspace. Other component types are rejected with an error naming the file and the type.
import Foundation
import SluiceCore

enum TokenizerJSON {
    // MARK: - Writing

    static func serialize(_ t: Tokenizer) -> String {
        var s = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": ["
        for (k, a) in t.addedTokens.enumerated() {
            s += k == 0 ? "\n" : ",\n"
            s += "    {\"id\": \(a.id), \"content\": \(quote(a.content)), \"single_word\": false, \"lstrip\": false, "
            s += "\"rstrip\": false, \"normalized\": \(!a.special), \"special\": \(a.special)}"
        }
        s += t.addedTokens.isEmpty ? "],\n" : "\n  ],\n"
        var norms: [String] = []
        if t.normalizer.nfkc { norms.append("{\"type\": \"NFKC\"}") }
        if t.normalizer.dummyPrefix {
            norms.append("{\"type\": \"Prepend\", \"prepend\": \"▁\"}")
            norms.append("{\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, \"content\": \"▁\"}")
        }
        switch norms.count {
        case 0: s += "  \"normalizer\": null,\n"
        case 1: s += "  \"normalizer\": \(norms[0]),\n"
        default:
            s += "  \"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [\(norms.joined(separator: ", "))]},\n"
        }
        switch t.preTokenizer {
        case .byteLevel(let pattern, let prefix):
            let bl =
                "{\"type\": \"ByteLevel\", \"add_prefix_space\": \(prefix), \"trim_offsets\": true, \"use_regex\": %R}"
            if pattern == .gpt2 || pattern == nil {
                s +=
                    "  \"pre_tokenizer\": \(bl.replacingOccurrences(of: "%R", with: pattern == nil ? "false" : "true")),\n"
            } else {
                s +=
                    "  \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": "
                s += quote(pattern!.regex) + "}, \"behavior\": \"Isolated\", \"invert\": false}, "
                s += bl.replacingOccurrences(of: "%R", with: "false") + "]},\n"
            }
            s +=
                "  \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": false, \"use_regex\": true},\n"
            s +=
                "  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n"
        case .metaspace(let scheme, let split):
            let m =
                "{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \(quote(scheme)), \"split\": \(split)}"
            s += "  \"pre_tokenizer\": \(m),\n"
            // The decoder drops the first space when a ▁ was prepended (by the scheme or the normalizer).
            let decoderScheme = t.normalizer.dummyPrefix ? "always" : scheme
            let m2 =
                "{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \(quote(decoderScheme)), \"split\": \(split)}"
            s += "  \"post_processor\": null,\n"
            if t.byteFallback {
                s +=
                    "  \"decoder\": {\"type\": \"Sequence\", \"decoders\": [\(m2), {\"type\": \"ByteFallback\"}, {\"type\": \"Fuse\"}]},\n"
            } else {
                s += "  \"decoder\": \(m2),\n"
            }
        }
        switch t.kind {
        case .bpe:
            s += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
            s +=
                "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n"
            s +=
                "    \"byte_fallback\": \(t.byteFallback),\n    \"ignore_merges\": \(t.ignoreMerges),\n    \"vocab\": {"
            for (id, v) in t.vocab.enumerated() {
                s += id == 0 ? "\n      " : ",\n      "
                s += "\(quote(v)): \(id)"
            }
            s += "\n    },\n    \"merges\": ["
            for (k, (a, b)) in t.merges.enumerated() {
                s += k == 0 ? "\n      " : ",\n      "
                s += "[\(quote(t.vocab[Int(a)])), \(quote(t.vocab[Int(b)]))]"
            }
            s += t.merges.isEmpty ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n"
        case .unigram:
            s +=
                "  \"model\": {\n    \"type\": \"Unigram\",\n    \"unk_id\": \(t.unkID.map { String($0) } ?? "null"),\n    \"vocab\": ["
            for (id, v) in t.vocab.enumerated() {
                s += id == 0 ? "\n      " : ",\n      "
                let score = id < t.scores.count ? t.scores[id] : 0
                s += "[\(quote(v)), \(number(score))]"
            }
            s += "\n    ],\n    \"byte_fallback\": \(t.byteFallback)\n  }\n}\n"
        }
        return s
    }

    /// A JSON number for a finite double (always with a fraction or exponent, as serde writes).
    static func number(_ d: Double) -> String {
        let s = "\(d)"
        return s.contains(".") || s.contains("e") ? s : s + ".0"
    }

    /// A JSON string literal, escaped by SluiceCore's serializer.
    static func quote(_ s: String) -> String { JSONSerializer.quoted(s) }
}
