// Reads and writes Hugging Face `tokenizer.json` (serialization "1.0", REFERENCE §6.1) for the
// tokenizers Sluice runs: byte-level BPE (ByteLevel, or Split + ByteLevel) and Unigram with
// Metaspace. Other component types are rejected with an error naming the file and the type.
import Foundation
import SluiceCore

enum TokenizerJSON {
    // MARK: - Reading

    static func parse(_ data: Data, source: String) throws -> Tokenizer {
        let root: [String: Any]
        do {
            guard let r = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw SluiceError(.config, "tokenizer.json is not a JSON object", file: source)
            }
            root = r
        } catch let e as SluiceError {
            throw e
        } catch {
            throw SluiceError(.config, "tokenizer.json is not valid JSON: \(error.localizedDescription)", file: source)
        }
        func fail(_ m: String) -> SluiceError { SluiceError(.config, m, file: source) }
        guard let model = root["model"] as? [String: Any] else { throw fail("no \"model\" object") }

        // Added tokens.
        var added: [Tokenizer.AddedToken] = []
        for a in root["added_tokens"] as? [[String: Any]] ?? [] {
            guard let id = (a["id"] as? NSNumber)?.intValue, let content = a["content"] as? String else {
                throw fail("an added token lacks id or content")
            }
            added.append(.init(id: UInt32(id), content: content, special: (a["special"] as? Bool) ?? false))
        }

        // Normalizer.
        var normalizer = Normalizer.none
        if let n = root["normalizer"] as? [String: Any] {
            // NFKC, or a Sequence of [NFKC]?, Prepend("▁"), Replace(" " → "▁").
            let items = (n["type"] as? String) == "Sequence" ? (n["normalizers"] as? [[String: Any]] ?? []) : [n]
            var sawPrepend = false
            var sawReplace = false
            for item in items {
                let type = item["type"] as? String ?? "?"
                switch type {
                case "NFKC" where !sawPrepend: normalizer.nfkc = true
                case "Prepend" where item["prepend"] as? String == "▁": sawPrepend = true
                case "Replace" where (item["pattern"] as? [String: Any])?["String"] as? String == " " && item["content"] as? String == "▁":
                    sawReplace = true
                default:
                    throw fail("normalizer \"\(type)\" is not supported (supported: NFKC, Sequence[NFKC, Prepend ▁, Replace ' ' → ▁])")
                }
            }
            guard sawPrepend == sawReplace else { throw fail("normalizer Prepend(▁) needs Replace(' ', ▁) after it, as sentencepiece") }
            normalizer.dummyPrefix = sawPrepend
        }

        // Pre-tokenizer.
        guard let preObject = root["pre_tokenizer"] as? [String: Any] else {
            throw fail("a pre_tokenizer is required (ByteLevel, Sequence[Split, ByteLevel] or Metaspace)")
        }
        let pre = try preTokenizer(preObject, fail)

        // Decoder and post-processor: checked, then implied by the pre-tokenizer.
        if let d = root["decoder"] as? [String: Any] {
            let type = d["type"] as? String ?? "?"
            guard ["ByteLevel", "Metaspace", "Sequence", "ByteFallback", "Fuse", "Replace", "Strip"].contains(type) else {
                throw fail("decoder type \"\(type)\" is not supported")
            }
        }
        var prefix: [UInt32] = []
        var suffix: [UInt32] = []
        if let p = root["post_processor"] as? [String: Any] {
            let type = p["type"] as? String ?? "?"
            switch type {
            case "ByteLevel": break
            case "TemplateProcessing":
                let specials = p["special_tokens"] as? [String: Any] ?? [:]
                var seenSequence = false
                for item in p["single"] as? [[String: Any]] ?? [] {
                    if item["Sequence"] != nil { seenSequence = true; continue }
                    guard let st = item["SpecialToken"] as? [String: Any], let name = st["id"] as? String,
                        let spec = specials[name] as? [String: Any], let ids = spec["ids"] as? [NSNumber]
                    else { throw fail("TemplateProcessing names a special token it does not define") }
                    if seenSequence { suffix += ids.map { UInt32($0.intValue) } } else { prefix += ids.map { UInt32($0.intValue) } }
                }
            default: throw fail("post_processor type \"\(type)\" is not supported (ByteLevel, TemplateProcessing)")
            }
        }

        let type = model["type"] as? String ?? (model["merges"] != nil ? "BPE" : "?")
        switch type {
        case "BPE":
            guard let v = model["vocab"] as? [String: Any] else { throw fail("BPE model without vocab") }
            var size = 0
            var pairs: [(String, Int)] = []
            pairs.reserveCapacity(v.count)
            for (k, x) in v {
                guard let id = (x as? NSNumber)?.intValue, id >= 0 else { throw fail("vocab entry \"\(k)\" has no id") }
                pairs.append((k, id))
                size = max(size, id + 1)
            }
            for a in added { size = max(size, Int(a.id) + 1) }
            var vocab = [String](repeating: "", count: size)
            var filled = [Bool](repeating: false, count: size)
            for (k, id) in pairs { vocab[id] = k; filled[id] = true }
            for a in added where !filled[Int(a.id)] { vocab[Int(a.id)] = a.content; filled[Int(a.id)] = true }
            if let hole = filled.firstIndex(of: false) { throw fail("vocab has no token with id \(hole)") }
            var index: [String: UInt32] = [:]
            index.reserveCapacity(size)
            for (k, id) in pairs { index[k] = UInt32(id) }
            var merges: [(UInt32, UInt32)] = []
            for (rank, m) in (model["merges"] as? [Any] ?? []).enumerated() {
                let parts: [String]
                if let a = m as? [String], a.count == 2 {
                    parts = a
                } else if let s = m as? String, let sp = s.firstIndex(of: " ") {
                    parts = [String(s[..<sp]), String(s[s.index(after: sp)...])]
                } else {
                    throw fail("merge \(rank) is neither [left, right] nor \"left right\"")
                }
                guard let l = index[parts[0]], let r = index[parts[1]] else {
                    throw fail("merge \(rank) (\(parts[0]) \(parts[1])) uses a token not in the vocab")
                }
                merges.append((l, r))
            }
            return try Tokenizer(
                kind: .bpe, vocab: vocab, merges: merges, byteFallback: model["byte_fallback"] as? Bool ?? false,
                ignoreMerges: model["ignore_merges"] as? Bool ?? false, preTokenizer: pre, normalizer: normalizer,
                addedTokens: added, templatePrefix: prefix, templateSuffix: suffix, source: source)
        case "Unigram":
            guard let v = model["vocab"] as? [[Any]] else { throw fail("Unigram model without vocab") }
            var vocab: [String] = []
            var scores: [Double] = []
            for (i, e) in v.enumerated() {
                guard e.count == 2, let s = e[0] as? String, let sc = (e[1] as? NSNumber)?.doubleValue else {
                    throw fail("Unigram vocab entry \(i) is not [piece, score]")
                }
                vocab.append(s)
                scores.append(sc)
            }
            for a in added where Int(a.id) >= vocab.count {
                while vocab.count < Int(a.id) { vocab.append("") }
                vocab.append(a.content)
            }
            let unk = (model["unk_id"] as? NSNumber).map { UInt32($0.intValue) }
            return try Tokenizer(
                kind: .unigram, vocab: vocab, scores: scores, unkID: unk, byteFallback: model["byte_fallback"] as? Bool ?? false,
                preTokenizer: pre, normalizer: normalizer, addedTokens: added, templatePrefix: prefix, templateSuffix: suffix,
                source: source)
        default:
            throw fail("model type \"\(type)\" is not supported (BPE, Unigram)")
        }
    }

    private static func preTokenizer(_ p: [String: Any], _ fail: (String) -> SluiceError) throws -> Tokenizer.PreTokenizer {
        let type = p["type"] as? String ?? "?"
        switch type {
        case "ByteLevel":
            let useRegex = p["use_regex"] as? Bool ?? true
            return .byteLevel(pattern: useRegex ? .gpt2 : nil, addPrefixSpace: p["add_prefix_space"] as? Bool ?? false)
        case "Metaspace":
            guard (p["replacement"] as? String ?? "▁") == "▁" else { throw fail("Metaspace replacement other than ▁ is not supported") }
            var scheme = p["prepend_scheme"] as? String ?? "always"
            if let add = p["add_prefix_space"] as? Bool, p["prepend_scheme"] == nil { scheme = add ? "always" : "never" }
            return .metaspace(prependScheme: scheme, split: p["split"] as? Bool ?? true)
        case "Sequence":
            let items = p["pretokenizers"] as? [[String: Any]] ?? []
            guard items.count == 2, items[0]["type"] as? String == "Split", items[1]["type"] as? String == "ByteLevel",
                let pattern = (items[0]["pattern"] as? [String: Any])?["Regex"] as? String
            else { throw fail("pre_tokenizer Sequence other than [Split, ByteLevel] is not supported") }
            guard let split = SplitPattern.allCases.first(where: { $0.regex == pattern }) else {
                throw fail("Split pattern is neither the GPT-2 nor the cl100k pattern: \(pattern)")
            }
            guard items[0]["behavior"] as? String ?? "Isolated" == "Isolated", items[0]["invert"] as? Bool ?? false == false else {
                throw fail("Split behavior other than Isolated is not supported")
            }
            return .byteLevel(pattern: split, addPrefixSpace: items[1]["add_prefix_space"] as? Bool ?? false)
        default:
            throw fail("pre_tokenizer type \"\(type)\" is not supported (ByteLevel, Sequence[Split, ByteLevel], Metaspace)")
        }
    }

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
        default: s += "  \"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [\(norms.joined(separator: ", "))]},\n"
        }
        switch t.preTokenizer {
        case .byteLevel(let pattern, let prefix):
            let bl = "{\"type\": \"ByteLevel\", \"add_prefix_space\": \(prefix), \"trim_offsets\": true, \"use_regex\": %R}"
            if pattern == .gpt2 || pattern == nil {
                s += "  \"pre_tokenizer\": \(bl.replacingOccurrences(of: "%R", with: pattern == nil ? "false" : "true")),\n"
            } else {
                s += "  \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": "
                s += quote(pattern!.regex) + "}, \"behavior\": \"Isolated\", \"invert\": false}, "
                s += bl.replacingOccurrences(of: "%R", with: "false") + "]},\n"
            }
            s += "  \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": false, \"use_regex\": true},\n"
            s += "  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n"
        case .metaspace(let scheme, let split):
            let m = "{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \(quote(scheme)), \"split\": \(split)}"
            s += "  \"pre_tokenizer\": \(m),\n"
            // The decoder drops the first space when a ▁ was prepended (by the scheme or the normalizer).
            let decoderScheme = t.normalizer.dummyPrefix ? "always" : scheme
            let m2 = "{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \(quote(decoderScheme)), \"split\": \(split)}"
            s += "  \"post_processor\": null,\n"
            if t.byteFallback {
                s += "  \"decoder\": {\"type\": \"Sequence\", \"decoders\": [\(m2), {\"type\": \"ByteFallback\"}, {\"type\": \"Fuse\"}]},\n"
            } else {
                s += "  \"decoder\": \(m2),\n"
            }
        }
        switch t.kind {
        case .bpe:
            s += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
            s += "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n"
            s += "    \"byte_fallback\": \(t.byteFallback),\n    \"ignore_merges\": \(t.ignoreMerges),\n    \"vocab\": {"
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
            s += "  \"model\": {\n    \"type\": \"Unigram\",\n    \"unk_id\": \(t.unkID.map { String($0) } ?? "null"),\n    \"vocab\": ["
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

    /// A JSON string literal: `"` `\` and control characters escaped, the rest raw UTF-8.
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
