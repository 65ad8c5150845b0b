// The chat template of a checkpoint (`chat_template` in tokenizer_config.json, Hugging Face's
// convention) rendered without a Jinja engine: a small interpreter for the subset chat templates
// use — text, {{ expressions }}, {% for %}, {% if/elif/else %}, {% set %}, comments, `-` whitespace
// control, and HF's trim_blocks/lstrip_blocks. Role markers are the tokenizer's special tokens, so
// the rendered text encodes to them. Macros, includes and other Jinja features are refused with a
// message naming them.
import Foundation
import SluiceCore

/// A chat template that turns OpenAI `messages` into the prompt text.
public struct JinjaChatTemplate: Sendable {
    /// A chat message (`content` already flattened to text).
    public struct Message: Sendable, Equatable {
        public var role: String
        public var content: String
        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    /// Why a template cannot be used or rendered.
    public struct TemplateError: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ d: String) { description = d }
    }

    let nodes: [Node]
    /// `bos_token` and `eos_token` of tokenizer_config.json (empty when absent).
    public let bosToken: String, eosToken: String
    /// The template source.
    public let source: String

    /// Parses `source`. - Throws: `TemplateError` for syntax this subset does not cover.
    public init(source: String, bosToken: String = "", eosToken: String = "") throws {
        self.source = source
        self.bosToken = bosToken
        self.eosToken = eosToken
        var p = TemplateParser(tokens: try Self.lex(source))
        nodes = try p.parseBlock(until: [])
    }

    /// The template of checkpoint folder `dir`, nil when its tokenizer_config.json has none.
    /// - Throws: a config error when the file is unreadable or the template cannot be parsed.
    public static func load(checkpoint dir: String) throws -> JinjaChatTemplate? {
        let path = dir + "/tokenizer_config.json"
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var parser = JSONParser()
        let json: JSONValue
        do { json = try parser.parse(String(decoding: data, as: UTF8.self)) } catch {
            throw SluiceError(.config, "tokenizer_config.json is not valid JSON: \(error)", file: path)
        }
        guard let obj = json.objectValue else { return nil }
        func token(_ key: String) -> String {
            if let s = obj[key]?.stringValue { return s }
            return obj[key]?.objectValue?["content"]?.stringValue ?? ""
        }
        var source: String?
        switch obj["chat_template"] ?? .null {
        case .string(let s): source = s
        case .array(let list):
            // HF's named templates: [{"name": "default", "template": "…"}, …].
            let named = list.compactMap { $0.objectValue }
            source = (named.first { $0["name"]?.stringValue == "default" } ?? named.first)?["template"]?.stringValue
        default: source = nil
        }
        guard let source else { return nil }
        do {
            return try JinjaChatTemplate(source: source, bosToken: token("bos_token"), eosToken: token("eos_token"))
        } catch {
            throw SluiceError(.config, "cannot use the chat template: \(error)", file: path)
        }
    }

    /// The prompt for `messages`, ending with the assistant's turn marker when `addGenerationPrompt`.
    /// - Throws: `TemplateError` (the template's own `raise_exception`, or an unsupported construct).
    public func render(_ messages: [Message], addGenerationPrompt: Bool = true) throws -> String {
        var scope: [String: TValue] = [
            "messages": .list(messages.map { .dict(["role": .str($0.role), "content": .str($0.content)]) }),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .str(bosToken), "eos_token": .str(eosToken),
        ]
        var out = ""
        try Self.run(nodes, scope: &scope, out: &out)
        return out
    }

    // MARK: - Values

    indirect enum TValue: Sendable, Equatable {
        case str(String), int(Int), bool(Bool), none, undefined
        case list([TValue]), dict([String: TValue])

        var truthy: Bool {
            switch self {
            case .str(let s): !s.isEmpty
            case .int(let i): i != 0
            case .bool(let b): b
            case .none, .undefined: false
            case .list(let l): !l.isEmpty
            case .dict(let d): !d.isEmpty
            }
        }
        var text: String {
            switch self {
            case .str(let s): s
            case .int(let i): String(i)
            case .bool(let b): b ? "True" : "False"
            case .none: "None"
            case .undefined: ""
            case .list(let l): "[" + l.map(\.text).joined(separator: ", ") + "]"
            case .dict: "{…}"
            }
        }
    }

    // MARK: - Lexing

    enum Token: Equatable { case text(String), expr(String), stmt(String) }

    static func lex(_ s: String) throws -> [Token] {
        let b = Array(s.utf8)
        var tokens: [Token] = []
        var i = 0, textStart = 0
        var trimNextLeading = false, afterBlock = false
        func isWS(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
        func flush(_ end: Int, stripRight: Bool, lstrip: Bool) {
            var t = Array(b[textStart..<end])
            var atLineStart = textStart == 0
            if trimNextLeading {
                t = Array(t.drop { isWS($0) })
            } else if afterBlock, t.first == 10 {
                t.removeFirst()  // trim_blocks: the newline after a block tag goes.
                atLineStart = true
            } else if afterBlock, t.count >= 2, t[0] == 13, t[1] == 10 {
                t.removeFirst(2)
                atLineStart = true
            }
            if stripRight {
                while let l = t.last, isWS(l) { t.removeLast() }
            } else if lstrip {
                // lstrip_blocks: spaces and tabs from the line's start to a block tag go.
                var k = t.count
                while k > 0, t[k - 1] == 32 || t[k - 1] == 9 { k -= 1 }
                if (k == 0 && atLineStart) || (k > 0 && t[k - 1] == 10) { t.removeLast(t.count - k) }
            }
            if !t.isEmpty { tokens.append(.text(String(decoding: t, as: UTF8.self))) }
        }
        while i + 1 < b.count {
            guard b[i] == UInt8(ascii: "{"),
                [UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "#")].contains(b[i + 1])
            else {
                i += 1
                continue
            }
            let kind = b[i + 1]
            let close: UInt8 = kind == UInt8(ascii: "{") ? UInt8(ascii: "}") : kind
            var j = i + 2
            let stripLeft = j < b.count && b[j] == UInt8(ascii: "-")
            let keepLeft = j < b.count && b[j] == UInt8(ascii: "+")
            if stripLeft || keepLeft { j += 1 }
            var end = -1
            var k = j
            var quote: UInt8 = 0
            while k + 1 < b.count {
                let c = b[k]
                if kind != UInt8(ascii: "#") {
                    if quote != 0 {
                        if c == UInt8(ascii: "\\") { k += 2; continue }
                        if c == quote { quote = 0 }
                        k += 1
                        continue
                    }
                    if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") { quote = c; k += 1; continue }
                }
                if c == close && b[k + 1] == UInt8(ascii: "}") { end = k; break }
                k += 1
            }
            guard end >= 0 else { throw TemplateError("unclosed tag at byte \(i)") }
            var innerEnd = end
            let stripRight = innerEnd > j && b[innerEnd - 1] == UInt8(ascii: "-")
            if stripRight || (innerEnd > j && b[innerEnd - 1] == UInt8(ascii: "+")) { innerEnd -= 1 }
            flush(i, stripRight: stripLeft, lstrip: kind != UInt8(ascii: "{") && !keepLeft)
            let inner = String(decoding: b[j..<max(j, innerEnd)], as: UTF8.self).trimmingCharacters(
                in: .whitespacesAndNewlines)
            if kind == UInt8(ascii: "{") {
                tokens.append(.expr(inner))
            } else if kind == UInt8(ascii: "%") {
                tokens.append(.stmt(inner))
            }
            i = end + 2
            textStart = i
            trimNextLeading = stripRight
            afterBlock = kind != UInt8(ascii: "{")
        }
        flush(b.count, stripRight: false, lstrip: false)
        return tokens
    }

    // MARK: - Evaluation

    static func run(_ nodes: [Node], scope: inout [String: TValue], out: inout String) throws {
        for node in nodes {
            switch node {
            case .text(let t): out += t
            case .output(let e): out += try e.eval(scope).text
            case .set(let name, let e): scope[name] = try e.eval(scope)
            case .ifChain(let branches, let otherwise):
                var done = false
                for (cond, body) in branches {
                    if try cond.eval(scope).truthy {
                        try run(body, scope: &scope, out: &out)
                        done = true
                        break
                    }
                }
                if !done { try run(otherwise, scope: &scope, out: &out) }
            case .forLoop(let name, let seq, let body):
                let items: [TValue]
                switch try seq.eval(scope) {
                case .list(let l): items = l
                case .dict(let d): items = d.keys.sorted().map { .str($0) }
                case .str(let s): items = s.map { .str(String($0)) }
                case .undefined, .none: items = []
                case let other: throw TemplateError("cannot loop over \(other.text)")
                }
                let saved = (scope[name], scope["loop"])
                for (k, item) in items.enumerated() {
                    scope[name] = item
                    scope["loop"] = .dict([
                        "index0": .int(k), "index": .int(k + 1), "first": .bool(k == 0),
                        "last": .bool(k == items.count - 1),
                        "length": .int(items.count), "revindex": .int(items.count - k),
                        "revindex0": .int(items.count - k - 1),
                    ])
                    try run(body, scope: &scope, out: &out)
                }
                scope[name] = saved.0
                scope["loop"] = saved.1
            }
        }
    }
}

// MARK: - Parsing

indirect enum Node: Sendable {
    case text(String)
    case output(Expr)
    case set(String, Expr)
    case ifChain([(Expr, [Node])], [Node])
    case forLoop(String, Expr, [Node])
}

struct TemplateParser {
    var tokens: [JinjaChatTemplate.Token]
    var i = 0
    typealias TemplateError = JinjaChatTemplate.TemplateError

    /// Parses nodes up to a statement whose first word is in `until` (left unconsumed), or the end.
    mutating func parseBlock(until: Set<String>) throws -> [Node] {
        var nodes: [Node] = []
        while i < tokens.count {
            switch tokens[i] {
            case .text(let t):
                nodes.append(.text(t))
                i += 1
            case .expr(let e):
                nodes.append(.output(try ExprParser.parse(e)))
                i += 1
            case .stmt(let s):
                let word = String(s.prefix { $0.isLetter || $0 == "_" })
                if until.contains(word) { return nodes }
                i += 1
                let rest = String(s.dropFirst(word.count)).trimmingCharacters(in: .whitespaces)
                switch word {
                case "if":
                    var branches: [(Expr, [Node])] = []
                    var cond = try ExprParser.parse(rest)
                    var otherwise: [Node] = []
                    while true {
                        let body = try parseBlock(until: ["elif", "else", "endif"])
                        branches.append((cond, body))
                        guard i < tokens.count, case .stmt(let s2) = tokens[i] else {
                            throw TemplateError("{% if %} without {% endif %}")
                        }
                        i += 1
                        if s2.hasPrefix("elif") {
                            cond = try ExprParser.parse(String(s2.dropFirst(4)))
                        } else if s2.hasPrefix("else") {
                            otherwise = try parseBlock(until: ["endif"])
                            guard i < tokens.count else { throw TemplateError("{% if %} without {% endif %}") }
                            i += 1
                            break
                        } else {
                            break
                        }
                    }
                    nodes.append(.ifChain(branches, otherwise))
                case "for":
                    let parts = rest.components(separatedBy: " in ")
                    guard parts.count >= 2 else { throw TemplateError("cannot read {% for \(rest) %}") }
                    let name = parts[0].trimmingCharacters(in: .whitespaces)
                    guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                        throw TemplateError("{% for \(name) in … %}: only one loop variable is supported")
                    }
                    let seq = try ExprParser.parse(parts.dropFirst().joined(separator: " in "))
                    let body = try parseBlock(until: ["endfor"])
                    guard i < tokens.count else { throw TemplateError("{% for %} without {% endfor %}") }
                    i += 1
                    nodes.append(.forLoop(name, seq, body))
                case "set":
                    guard let eq = rest.firstIndex(of: "=") else {
                        throw TemplateError("cannot read {% set \(rest) %}")
                    }
                    let name = rest[..<eq].trimmingCharacters(in: .whitespaces)
                    guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                        throw TemplateError("{% set \(name) = … %}: only plain variables can be set")
                    }
                    nodes.append(.set(name, try ExprParser.parse(String(rest[rest.index(after: eq)...]))))
                default:
                    throw TemplateError(
                        "the template uses {% \(word) %}, which sluice's chat-template subset does not support")
                }
            }
        }
        if !until.isEmpty { throw TemplateError("missing {% \(until.sorted().joined(separator: " / ")) %}") }
        return nodes
    }
}

indirect enum Expr: Sendable {
    case lit(JinjaChatTemplate.TValue)
    case name(String)
    case attr(Expr, String)
    case index(Expr, Expr)
    case list([Expr])
    case unary(String, Expr)
    case binary(String, Expr, Expr)
    case test(Expr, String, Bool)  // x is [not] defined/none/string…
    case filter(Expr, String)
    case call(Expr, [Expr])
    case slice(Expr, Expr?, Expr?)

    typealias V = JinjaChatTemplate.TValue

    func eval(_ scope: [String: V]) throws -> V {
        switch self {
        case .lit(let v): return v
        case .name(let n): return scope[n] ?? .undefined
        case .attr(let e, let n):
            let v = try e.eval(scope)
            if case .dict(let d) = v { return d[n] ?? .undefined }
            return .undefined
        case .index(let e, let k):
            let v = try e.eval(scope), key = try k.eval(scope)
            switch (v, key) {
            case (.dict(let d), .str(let s)): return d[s] ?? .undefined
            case (.list(let l), .int(let n)):
                let j = n < 0 ? l.count + n : n
                return j >= 0 && j < l.count ? l[j] : .undefined
            default: return .undefined
            }
        case .list(let items): return .list(try items.map { try $0.eval(scope) })
        case .slice(let e, let lo, let hi):
            func bound(_ x: Expr?, _ n: Int, _ dflt: Int) throws -> Int {
                guard let x else { return dflt }
                guard case .int(let k) = try x.eval(scope) else {
                    throw JinjaChatTemplate.TemplateError("slice bounds must be integers")
                }
                return k < 0 ? max(0, n + k) : min(k, n)
            }
            switch try e.eval(scope) {
            case .list(let l):
                let a = try bound(lo, l.count, 0), z = try bound(hi, l.count, l.count)
                return .list(a < z ? Array(l[a..<z]) : [])
            case .str(let s):
                let c = Array(s)
                let a = try bound(lo, c.count, 0), z = try bound(hi, c.count, c.count)
                return .str(a < z ? String(c[a..<z]) : "")
            default: return .undefined
            }
        case .unary(let op, let e):
            let v = try e.eval(scope)
            if op == "not" { return .bool(!v.truthy) }
            if case .int(let n) = v { return .int(-n) }
            throw JinjaChatTemplate.TemplateError("cannot negate \(v.text)")
        case .binary(let op, let a, let b):
            if op == "and" {
                let x = try a.eval(scope)
                return x.truthy ? try b.eval(scope) : x
            }
            if op == "or" {
                let x = try a.eval(scope)
                return x.truthy ? x : try b.eval(scope)
            }
            let x = try a.eval(scope), y = try b.eval(scope)
            switch op {
            case "==": return .bool(x == y)
            case "!=": return .bool(x != y)
            case "~": return .str(x.text + y.text)
            case "+":
                switch (x, y) {
                case (.int(let p), .int(let q)): return .int(p + q)
                case (.list(let p), .list(let q)): return .list(p + q)
                case (.str, _), (_, .str): return .str(x.text + y.text)
                default: throw JinjaChatTemplate.TemplateError("cannot add \(x.text) and \(y.text)")
                }
            case "-", "%", "<", ">", "<=", ">=":
                guard case .int(let p) = x, case .int(let q) = y else {
                    throw JinjaChatTemplate.TemplateError("'\(op)' needs numbers")
                }
                switch op {
                case "-": return .int(p - q)
                case "%": return q == 0 ? .undefined : .int(p % q)
                case "<": return .bool(p < q)
                case ">": return .bool(p > q)
                case "<=": return .bool(p <= q)
                default: return .bool(p >= q)
                }
            case "in", "not in":
                let found: Bool
                switch y {
                case .list(let l): found = l.contains(x)
                case .dict(let d): found = d[x.text] != nil
                case .str(let s): found = s.contains(x.text)
                default: found = false
                }
                return .bool(op == "in" ? found : !found)
            default: throw JinjaChatTemplate.TemplateError("unsupported operator \(op)")
            }
        case .test(let e, let name, let negated):
            let v = try e.eval(scope)
            let r: Bool
            switch name {
            case "defined": r = v != .undefined
            case "undefined": r = v == .undefined
            case "none": r = v == .none
            case "string": if case .str = v { r = true } else { r = false }
            case "mapping": if case .dict = v { r = true } else { r = false }
            case "iterable", "sequence":
                switch v {
                case .list, .str, .dict: r = true
                default: r = false
                }
            case "true": r = v == .bool(true)
            case "false": r = v == .bool(false)
            default: throw JinjaChatTemplate.TemplateError("unsupported test 'is \(name)'")
            }
            return .bool(r != negated)
        case .filter(let e, let name):
            let v = try e.eval(scope)
            switch name {
            case "trim": return .str(v.text.trimmingCharacters(in: .whitespacesAndNewlines))
            case "upper": return .str(v.text.uppercased())
            case "lower": return .str(v.text.lowercased())
            case "capitalize": return .str(v.text.prefix(1).uppercased() + v.text.dropFirst().lowercased())
            case "string": return .str(v.text)
            case "length", "count":
                switch v {
                case .list(let l): return .int(l.count)
                case .str(let s): return .int(s.count)
                case .dict(let d): return .int(d.count)
                default: return .int(0)
                }
            case "first":
                if case .list(let l) = v { return l.first ?? .undefined }
                return .undefined
            case "last":
                if case .list(let l) = v { return l.last ?? .undefined }
                return .undefined
            case "tojson":
                if case .str(let s) = v { return .str(JSONSerializer.quoted(s)) }
                return .str(v.text)
            default: throw JinjaChatTemplate.TemplateError("unsupported filter '|\(name)'")
            }
        case .call(let f, let args):
            let a = try args.map { try $0.eval(scope) }
            if case .name("raise_exception") = f {
                throw JinjaChatTemplate.TemplateError(a.first?.text ?? "the template refused the messages")
            }
            if case .attr(let recv, let method) = f {
                let v = try recv.eval(scope)
                switch method {
                case "strip": return .str(v.text.trimmingCharacters(in: .whitespacesAndNewlines))
                case "lstrip": return .str(String(v.text.drop { $0.isWhitespace }))
                case "rstrip": return .str(String(v.text.reversed().drop { $0.isWhitespace }.reversed()))
                case "upper": return .str(v.text.uppercased())
                case "lower": return .str(v.text.lowercased())
                case "startswith": return .bool(v.text.hasPrefix(a.first?.text ?? ""))
                case "endswith": return .bool(v.text.hasSuffix(a.first?.text ?? ""))
                default: break
                }
            }
            throw JinjaChatTemplate.TemplateError("unsupported function call in the chat template")
        }
    }
}

/// Recursive descent over one expression: or < and < not < comparison < +/~ < unary < postfix.
struct ExprParser {
    let b: [UInt8]
    var i = 0
    typealias TemplateError = JinjaChatTemplate.TemplateError

    static func parse(_ s: String) throws -> Expr {
        var p = ExprParser(b: Array(s.utf8))
        let e = try p.orExpr()
        p.skipWS()
        guard p.i == p.b.count else { throw TemplateError("cannot read the expression '\(s)'") }
        return e
    }

    mutating func skipWS() { while i < b.count, b[i] == 32 || b[i] == 9 || b[i] == 10 || b[i] == 13 { i += 1 } }

    /// Consumes the keyword `w` if it stands next (followed by a non-identifier byte).
    mutating func keyword(_ w: String) -> Bool {
        skipWS()
        let u = Array(w.utf8)
        guard i + u.count <= b.count, Array(b[i..<(i + u.count)]) == u else { return false }
        if i + u.count < b.count, isIdent(b[i + u.count]) { return false }
        i += u.count
        return true
    }

    mutating func symbol(_ w: String) -> Bool {
        skipWS()
        let u = Array(w.utf8)
        guard i + u.count <= b.count, Array(b[i..<(i + u.count)]) == u else { return false }
        i += u.count
        return true
    }

    func isIdent(_ c: UInt8) -> Bool { c == 95 || (c >= 48 && c <= 57) || (c | 0x20 >= 97 && c | 0x20 <= 122) }

    mutating func orExpr() throws -> Expr {
        var e = try andExpr()
        while keyword("or") { e = .binary("or", e, try andExpr()) }
        return e
    }
    mutating func andExpr() throws -> Expr {
        var e = try notExpr()
        while keyword("and") { e = .binary("and", e, try notExpr()) }
        return e
    }
    mutating func notExpr() throws -> Expr {
        if keyword("not") { return .unary("not", try notExpr()) }
        return try comparison()
    }
    mutating func comparison() throws -> Expr {
        var e = try additive()
        while true {
            if symbol("==") {
                e = .binary("==", e, try additive())
            } else if symbol("!=") {
                e = .binary("!=", e, try additive())
            } else if symbol("<=") {
                e = .binary("<=", e, try additive())
            } else if symbol(">=") {
                e = .binary(">=", e, try additive())
            } else if symbol("<") {
                e = .binary("<", e, try additive())
            } else if symbol(">") {
                e = .binary(">", e, try additive())
            } else if keyword("in") {
                e = .binary("in", e, try additive())
            } else if keyword("is") {
                let negated = keyword("not")
                skipWS()
                let start = i
                while i < b.count, isIdent(b[i]) { i += 1 }
                e = .test(e, String(decoding: b[start..<i], as: UTF8.self), negated)
            } else {
                let save = i
                if keyword("not"), keyword("in") {
                    e = .binary("not in", e, try additive())
                } else {
                    i = save
                    return e
                }
            }
        }
    }
    mutating func additive() throws -> Expr {
        var e = try unary()
        while true {
            if symbol("+") {
                e = .binary("+", e, try unary())
            } else if symbol("~") {
                e = .binary("~", e, try unary())
            } else if symbol("-") {
                e = .binary("-", e, try unary())
            } else if symbol("%") {
                e = .binary("%", e, try unary())
            } else {
                return e
            }
        }
    }
    mutating func unary() throws -> Expr {
        if symbol("-") { return .unary("-", try unary()) }
        return try postfix()
    }
    mutating func postfix() throws -> Expr {
        var e = try primary()
        while true {
            if symbol(".") {
                e = .attr(e, try identifier())
            } else if symbol("[") {
                // x[k], or a slice x[a:b] (either end may be left out).
                let k: Expr? = symbol(":") ? nil : try orExpr()
                if k == nil || symbol(":") {
                    skipWS()
                    let upper: Expr? = i < b.count && b[i] == UInt8(ascii: "]") ? nil : try orExpr()
                    guard symbol("]") else { throw TemplateError("missing ]") }
                    e = .slice(e, k, upper)
                } else {
                    guard symbol("]") else { throw TemplateError("missing ]") }
                    e = .index(e, k!)
                }
            } else if symbol("(") {
                var args: [Expr] = []
                if !symbol(")") {
                    repeat { args.append(try orExpr()) } while symbol(",")
                    guard symbol(")") else { throw TemplateError("missing )") }
                }
                e = .call(e, args)
            } else if symbol("|") {
                e = .filter(e, try identifier())
                if symbol("(") {
                    // Filter arguments (e.g. |tojson(indent=2)) are accepted and ignored.
                    var depth = 1
                    while i < b.count, depth > 0 {
                        if b[i] == UInt8(ascii: "(") { depth += 1 } else if b[i] == UInt8(ascii: ")") { depth -= 1 }
                        i += 1
                    }
                }
            } else {
                return e
            }
        }
    }
    mutating func identifier() throws -> String {
        skipWS()
        let start = i
        while i < b.count, isIdent(b[i]) { i += 1 }
        guard i > start else { throw TemplateError("expected a name") }
        return String(decoding: b[start..<i], as: UTF8.self)
    }
    mutating func primary() throws -> Expr {
        skipWS()
        guard i < b.count else { throw TemplateError("expression ends early") }
        let c = b[i]
        if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
            i += 1
            var bytes: [UInt8] = []
            while i < b.count, b[i] != c {
                if b[i] == UInt8(ascii: "\\"), i + 1 < b.count {
                    i += 1
                    switch b[i] {
                    case UInt8(ascii: "n"): bytes.append(10)
                    case UInt8(ascii: "t"): bytes.append(9)
                    case UInt8(ascii: "r"): bytes.append(13)
                    default: bytes.append(b[i])
                    }
                } else {
                    bytes.append(b[i])
                }
                i += 1
            }
            guard i < b.count else { throw TemplateError("unterminated string") }
            i += 1
            return .lit(.str(String(decoding: bytes, as: UTF8.self)))
        }
        if c >= 48 && c <= 57 {
            let start = i
            while i < b.count, b[i] >= 48 && b[i] <= 57 { i += 1 }
            return .lit(.int(Int(String(decoding: b[start..<i], as: UTF8.self)) ?? 0))
        }
        if symbol("(") {
            let e = try orExpr()
            guard symbol(")") else { throw TemplateError("missing )") }
            return e
        }
        if symbol("[") {
            var items: [Expr] = []
            if !symbol("]") {
                repeat { items.append(try orExpr()) } while symbol(",")
                guard symbol("]") else { throw TemplateError("missing ]") }
            }
            return .list(items)
        }
        let name = try identifier()
        switch name {
        case "true", "True": return .lit(.bool(true))
        case "false", "False": return .lit(.bool(false))
        case "none", "None": return .lit(.none)
        default: return .name(name)
        }
    }
}
