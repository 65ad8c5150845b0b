// Reads Hugging Face `tokenizer.json` strictly: every field the loader uses is type-checked, with a
// one-line error naming the field's path and the file (`model.merges: expected an array, found a
// string`). Invalid JSON names the byte offset, line and column. Fields Sluice ignores are not checked.
import Foundation
import SluiceCore

extension TokenizerJSON {
    // MARK: - Reading

    /// Parses tokenizer.json bytes.
    /// - Throws: `SluiceError(.config)` naming `source` and the field (or the offset of a JSON syntax error).
    static func parse(_ data: Data, source: String) throws -> Tokenizer {
        let rootValue: JSONValue
        do {
            var parser = JSONParser()
            rootValue = try data.withUnsafeBytes { try parser.parse($0) }
        } catch let e as JSONSyntaxError {
            let (line, column) = lineAndColumn(data, offset: e.offset)
            throw SluiceError(
                .config,
                "tokenizer.json is not valid JSON: \(e.message) at byte \(e.offset) (line \(line), column \(column))",
                file: source, offset: e.offset)
        }
        let f = Fields(source: source)
        let root = try f.object(rootValue, "(top level)")
        let model = try f.object(root["model"], "model")

        // Added tokens.
        var added: [Tokenizer.AddedToken] = []
        for (k, a) in try f.optionalArray(root["added_tokens"], "added_tokens").enumerated() {
            let path = "added_tokens[\(k)]"
            let o = try f.object(a, path)
            let id = try f.int(o["id"], path + ".id", below: 1 << 32)
            let content = try f.string(o["content"], path + ".content")
            guard !content.isEmpty else { throw f.error(path + ".content", "an added token cannot be empty") }
            added.append(
                .init(
                    id: UInt32(id), content: content,
                    special: try f.bool(o["special"], path + ".special", default: false)))
        }

        // Normalizer.
        var normalizer = Normalizer.none
        if let n = try f.optionalObject(root["normalizer"], "normalizer") {
            // NFKC, or a Sequence of [NFKC]?, Prepend("▁"), Replace(" " → "▁").
            let type = try f.string(n["type"], "normalizer.type")
            let items: [(JSONObject, String)] =
                type == "Sequence"
                ? try f.array(n["normalizers"], "normalizer.normalizers").enumerated().map {
                    (
                        try f.object($0.element, "normalizer.normalizers[\($0.offset)]"),
                        "normalizer.normalizers[\($0.offset)]"
                    )
                } : [(n, "normalizer")]
            var sawPrepend = false
            var sawReplace = false
            for (item, path) in items {
                let type = try f.string(item["type"], path + ".type")
                switch type {
                case "NFKC" where !sawPrepend: normalizer.nfkc = true
                case "Prepend" where try f.string(item["prepend"], path + ".prepend") == "▁": sawPrepend = true
                case "Replace"
                where try f.object(item["pattern"], path + ".pattern")["String"]?.stringValue == " "
                    && (try f.string(item["content"], path + ".content")) == "▁":
                    sawReplace = true
                default:
                    throw f.error(
                        path,
                        "normalizer \"\(type)\" is not supported (supported: NFKC, Sequence[NFKC, Prepend ▁, Replace ' ' → ▁])"
                    )
                }
            }
            guard sawPrepend == sawReplace else {
                throw f.error("normalizer", "Prepend(▁) needs Replace(' ', ▁) after it, as sentencepiece")
            }
            normalizer.dummyPrefix = sawPrepend
        }

        // Pre-tokenizer.
        guard let preObject = try f.optionalObject(root["pre_tokenizer"], "pre_tokenizer") else {
            throw f.error("pre_tokenizer", "required (ByteLevel, Sequence[Split, ByteLevel] or Metaspace)")
        }
        let pre = try preTokenizer(preObject, f)

        // Decoder and post-processor: checked, then implied by the pre-tokenizer.
        if let d = try f.optionalObject(root["decoder"], "decoder") {
            let type = try f.string(d["type"], "decoder.type")
            guard ["ByteLevel", "Metaspace", "Sequence", "ByteFallback", "Fuse", "Replace", "Strip"].contains(type)
            else {
                throw f.error("decoder.type", "decoder type \"\(type)\" is not supported")
            }
        }
        var prefix: [UInt32] = []
        var suffix: [UInt32] = []
        if let p = try f.optionalObject(root["post_processor"], "post_processor") {
            let type = try f.string(p["type"], "post_processor.type")
            switch type {
            case "ByteLevel": break
            case "TemplateProcessing":
                let specials =
                    try f.optionalObject(p["special_tokens"], "post_processor.special_tokens") ?? JSONObject()
                var seenSequence = false
                for (k, item) in try f.array(p["single"], "post_processor.single").enumerated() {
                    let path = "post_processor.single[\(k)]"
                    let o = try f.object(item, path)
                    if o["Sequence"] != nil {
                        seenSequence = true
                        continue
                    }
                    let name = try f.string(
                        try f.object(o["SpecialToken"], path + ".SpecialToken")["id"], path + ".SpecialToken.id")
                    guard let spec = specials[name] else {
                        throw f.error(
                            path,
                            "names the special token \"\(name)\" that post_processor.special_tokens does not define")
                    }
                    let specPath = "post_processor.special_tokens[\"\(name)\"]"
                    let ids = try f.array(try f.object(spec, specPath)["ids"], specPath + ".ids").enumerated().map {
                        UInt32(try f.int($0.element, specPath + ".ids[\($0.offset)]", below: 1 << 32))
                    }
                    if seenSequence { suffix += ids } else { prefix += ids }
                }
            default:
                throw f.error("post_processor.type", "\"\(type)\" is not supported (ByteLevel, TemplateProcessing)")
            }
        }

        let type = try f.optionalString(model["type"], "model.type") ?? (model["merges"] != nil ? "BPE" : "?")
        let tokenizer: Tokenizer
        switch type {
        case "BPE":
            let v = try f.object(model["vocab"], "model.vocab")
            // Ids must be dense: every id below the vocabulary size names exactly one token.
            let limit = v.count + added.count
            var vocab = [String](repeating: "", count: limit)
            var filled = [Bool](repeating: false, count: limit)
            var size = 0
            var index: [String: UInt32] = [:]
            index.reserveCapacity(v.count)
            for (k, x) in v {
                let path = "model.vocab[\(quote(k))]"
                let id = try f.int(x, path, below: limit)
                guard !filled[id] else { throw f.error(path, "id \(id) is already used by \(quote(vocab[id]))") }
                vocab[id] = k
                filled[id] = true
                index[k] = UInt32(id)
                size = max(size, id + 1)
            }
            for (k, a) in added.enumerated() {
                let id = Int(a.id)
                guard id < limit else {
                    throw f.error("added_tokens[\(k)].id", "\(id) is out of range (model.vocab has \(v.count) entries)")
                }
                if !filled[id] {
                    vocab[id] = a.content
                    filled[id] = true
                }
                size = max(size, id + 1)
            }
            vocab.removeLast(limit - size)
            if let hole = filled.prefix(size).firstIndex(of: false) {
                throw f.error("model.vocab", "no token has id \(hole) (ids must run from 0 without gaps)")
            }
            var merges: [(UInt32, UInt32)] = []
            let list = try f.array(model["merges"], "model.merges")
            merges.reserveCapacity(list.count)
            for (rank, m) in list.enumerated() {
                let path = "model.merges[\(rank)]"
                let left: String
                let right: String
                switch m {
                case .array(let a) where a.count == 2:
                    left = try f.string(a[0], path + "[0]")
                    right = try f.string(a[1], path + "[1]")
                case .string(let s):
                    // "left right": the first space separates (tokens never contain a raw space in HF's format).
                    let parts = s.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                    guard parts.count == 2 else { throw f.error(path, "\(quote(s)) is not \"left right\" (no space)") }
                    left = String(parts[0])
                    right = String(parts[1])
                default:
                    throw f.typeError(path, expected: "[left, right] or \"left right\"", found: m)
                }
                guard let l = index[left] else { throw f.error(path, "\(quote(left)) is not in model.vocab") }
                guard let r = index[right] else { throw f.error(path, "\(quote(right)) is not in model.vocab") }
                merges.append((l, r))
            }
            tokenizer = try Tokenizer(
                kind: .bpe, vocab: vocab, merges: merges,
                byteFallback: try f.bool(model["byte_fallback"], "model.byte_fallback", default: false),
                ignoreMerges: try f.bool(model["ignore_merges"], "model.ignore_merges", default: false),
                preTokenizer: pre,
                normalizer: normalizer, addedTokens: added, templatePrefix: prefix, templateSuffix: suffix,
                source: source)
        case "Unigram":
            var vocab: [String] = []
            var scores: [Double] = []
            for (i, e) in try f.array(model["vocab"], "model.vocab").enumerated() {
                let path = "model.vocab[\(i)]"
                guard case .array(let pair) = e, pair.count == 2 else {
                    throw f.typeError(path, expected: "[piece, score]", found: e)
                }
                vocab.append(try f.string(pair[0], path + "[0]"))
                // A Unigram score is a log probability; 1e12 bounds it far beyond any trained one.
                guard let sc = pair[1].doubleValue, sc.isFinite, sc.magnitude < 1e12 else {
                    throw f.typeError(path + "[1]", expected: "a finite score of magnitude below 1e12", found: pair[1])
                }
                scores.append(sc)
            }
            guard !vocab.isEmpty else { throw f.error("model.vocab", "a Unigram model needs at least one piece") }
            for (k, a) in added.enumerated() where Int(a.id) >= vocab.count {
                guard Int(a.id) < vocab.count + added.count else {
                    throw f.error(
                        "added_tokens[\(k)].id", "\(a.id) is out of range (model.vocab has \(vocab.count) entries)")
                }
                while vocab.count < Int(a.id) { vocab.append("") }
                vocab.append(a.content)
            }
            var unk: UInt32?
            if let u = model["unk_id"], u != .null { unk = UInt32(try f.int(u, "model.unk_id", below: scores.count)) }
            tokenizer = try Tokenizer(
                kind: .unigram, vocab: vocab, scores: scores, unkID: unk,
                byteFallback: try f.bool(model["byte_fallback"], "model.byte_fallback", default: false),
                preTokenizer: pre,
                normalizer: normalizer, addedTokens: added, templatePrefix: prefix, templateSuffix: suffix,
                source: source)
        default:
            throw f.error("model.type", "\"\(type)\" is not supported (BPE, Unigram)")
        }
        for (k, id) in (prefix + suffix).enumerated() where Int(id) >= tokenizer.vocabSize {
            throw f.error(
                "post_processor.special_tokens",
                "id \(id) (template token \(k)) is outside the vocabulary of \(tokenizer.vocabSize)")
        }
        return tokenizer
    }

    private static func preTokenizer(_ p: JSONObject, _ f: Fields) throws -> Tokenizer.PreTokenizer {
        let type = try f.string(p["type"], "pre_tokenizer.type")
        switch type {
        case "ByteLevel":
            let useRegex = try f.bool(p["use_regex"], "pre_tokenizer.use_regex", default: true)
            return .byteLevel(
                pattern: useRegex ? .gpt2 : nil,
                addPrefixSpace: try f.bool(p["add_prefix_space"], "pre_tokenizer.add_prefix_space", default: false))
        case "Metaspace":
            guard try f.optionalString(p["replacement"], "pre_tokenizer.replacement") ?? "▁" == "▁" else {
                throw f.error("pre_tokenizer.replacement", "a Metaspace replacement other than ▁ is not supported")
            }
            var scheme = try f.optionalString(p["prepend_scheme"], "pre_tokenizer.prepend_scheme") ?? "always"
            guard ["always", "first", "never"].contains(scheme) else {
                throw f.error("pre_tokenizer.prepend_scheme", "\(quote(scheme)) is not one of always, first, never")
            }
            if p["prepend_scheme"] == nil, let add = p["add_prefix_space"] {
                scheme = try f.bool(add, "pre_tokenizer.add_prefix_space", default: true) ? "always" : "never"
            }
            return .metaspace(
                prependScheme: scheme, split: try f.bool(p["split"], "pre_tokenizer.split", default: true))
        case "Sequence":
            let items = try f.array(p["pretokenizers"], "pre_tokenizer.pretokenizers").enumerated().map {
                try f.object($0.element, "pre_tokenizer.pretokenizers[\($0.offset)]")
            }
            guard items.count == 2, items[0]["type"]?.stringValue == "Split",
                items[1]["type"]?.stringValue == "ByteLevel"
            else {
                throw f.error(
                    "pre_tokenizer.pretokenizers", "a Sequence other than [Split, ByteLevel] is not supported")
            }
            let s = "pre_tokenizer.pretokenizers[0]"
            let pattern = try f.string(try f.object(items[0]["pattern"], s + ".pattern")["Regex"], s + ".pattern.Regex")
            guard let split = SplitPattern.allCases.first(where: { $0.regex == pattern }) else {
                throw f.error(s + ".pattern.Regex", "neither the GPT-2 nor the cl100k pattern: \(pattern)")
            }
            guard try f.optionalString(items[0]["behavior"], s + ".behavior") ?? "Isolated" == "Isolated",
                try !f.bool(items[0]["invert"], s + ".invert", default: false)
            else {
                throw f.error(s + ".behavior", "Split behavior other than Isolated (not inverted) is not supported")
            }
            let b = "pre_tokenizer.pretokenizers[1].add_prefix_space"
            return .byteLevel(
                pattern: split, addPrefixSpace: try f.bool(items[1]["add_prefix_space"], b, default: false))
        default:
            throw f.error(
                "pre_tokenizer.type", "\"\(type)\" is not supported (ByteLevel, Sequence[Split, ByteLevel], Metaspace)")
        }
    }

    /// 1-based line and column (in bytes) of `offset`.
    static func lineAndColumn(_ data: Data, offset: Int) -> (Int, Int) {
        var line = 1
        var lineStart = 0
        data.withUnsafeBytes { b in
            for k in 0..<min(offset, b.count) where b[k] == 0x0A {
                line += 1
                lineStart = k + 1
            }
        }
        return (line, offset - lineStart + 1)
    }

    /// Typed reads of fields; every failure is one line naming the field's path and the file.
    struct Fields {
        let source: String

        func error(_ path: String, _ message: String) -> SluiceError {
            SluiceError(.config, "tokenizer.json \(path): \(message)", file: source)
        }

        func typeError(_ path: String, expected: String, found: JSONValue?) -> SluiceError {
            error(path, "expected \(expected), found \(found.map(Fields.describe) ?? "nothing (the key is missing)")")
        }

        static func describe(_ v: JSONValue) -> String {
            switch v {
            case .null: "null"
            case .bool(let b): "\(b)"
            case .int(let i): "the number \(i)"
            case .double(let d): "the number \(d)"
            case .string(let s): "a string (\(quote(s.count > 30 ? String(s.prefix(30)) + "…" : s)))"
            case .array(let a): "an array of \(a.count)"
            case .object: "an object"
            }
        }

        func object(_ v: JSONValue?, _ path: String) throws -> JSONObject {
            guard case .object(let o) = v else { throw typeError(path, expected: "an object", found: v) }
            return o
        }

        /// Missing or null → nil.
        func optionalObject(_ v: JSONValue?, _ path: String) throws -> JSONObject? {
            if v == nil || v == .null { return nil }
            return try object(v, path)
        }

        func array(_ v: JSONValue?, _ path: String) throws -> [JSONValue] {
            guard case .array(let a) = v else { throw typeError(path, expected: "an array", found: v) }
            return a
        }

        /// Missing or null → empty.
        func optionalArray(_ v: JSONValue?, _ path: String) throws -> [JSONValue] {
            if v == nil || v == .null { return [] }
            return try array(v, path)
        }

        func string(_ v: JSONValue?, _ path: String) throws -> String {
            guard case .string(let s) = v else { throw typeError(path, expected: "a string", found: v) }
            return s
        }

        func optionalString(_ v: JSONValue?, _ path: String) throws -> String? {
            if v == nil || v == .null { return nil }
            return try string(v, path)
        }

        /// Missing or null → `default`.
        func bool(_ v: JSONValue?, _ path: String, default d: Bool) throws -> Bool {
            switch v {
            case nil, .null?: return d
            case .bool(let b)?: return b
            default: throw typeError(path, expected: "true or false", found: v)
            }
        }

        /// An integer in `0..<below`.
        func int(_ v: JSONValue?, _ path: String, below: Int) throws -> Int {
            guard case .int(let i) = v else { throw typeError(path, expected: "an integer id", found: v) }
            guard i >= 0, i < below else { throw error(path, "id \(i) is out of range (0..<\(below))") }
            return Int(i)
        }
    }
}
