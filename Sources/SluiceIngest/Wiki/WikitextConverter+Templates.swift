// Templates in wikitext (WikitextConverter.swift): `{{…}}` is matched and removed, or its chosen
// argument kept for the templates named in `Options.keepTemplates`. Templates are never expanded.
import SluiceCore

extension WikitextConverter {
    mutating func openBrace(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int, depth: Int) -> Int {
        guard i + 1 < to, s[i + 1] == UInt8(ascii: "{") else {
            out.append(s[i])
            return i + 1
        }
        guard let end = matchBraces(s, i, to) else {
            damage.unbalancedBraces += 1
            out.append(s[i])
            out.append(s[i + 1])
            return i + 2
        }
        if !options.keepTemplates.isEmpty && depth < Self.maxDepth { keptTemplate(s, i, end, depth: depth) }
        return end
    }

    /// The index just past the braces closing the run of `{` at `i`, skipping comments, or nil.
    /// Runs count whole (`{{{1}}}` is one parameter, `{{a|{{b}}}}` closes with a run of four);
    /// single braces are text.
    mutating func matchBraces(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int) -> Int? {
        if failedSearches >= Self.maxFailedSearches { return nil }
        var level = 0
        var j = i
        while j < to {
            let c = s[j]
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "}") {
                var e = j + 1
                while e < to && s[e] == c { e += 1 }
                let run = e - j
                if run >= 2 {
                    if c == UInt8(ascii: "{") {
                        level += run
                    } else if run >= level {
                        return j + level
                    } else {
                        level -= run
                    }
                }
                j = e
            } else if c == UInt8(ascii: "<"), let e = commentEnd(s, j, to) {
                j = e
            } else {
                j += 1
            }
        }
        failedSearches += 1
        return nil
    }

    /// Emits the kept parameter of a template named in `options.keepTemplates`.
    private mutating func keptTemplate(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, depth: Int) {
        let inner = i + 2
        let innerEnd = end - 2
        // Split the inside at top-level pipes: name, then parameters.
        var parts: [(Int, Int)] = []
        var start = inner
        Self.forEachTopLevelByte(s, inner, innerEnd) { j in
            if s[j] == UInt8(ascii: "|") {
                parts.append((start, j))
                start = j + 1
            }
            return true
        }
        parts.append((start, innerEnd))
        let name = Self.normalizeTemplateName(
            String(decoding: UnsafeBufferPointer(rebasing: s[parts[0].0..<parts[0].1]), as: UTF8.self))
        guard let which = options.keepTemplates[name] else { return }
        var unnamed: [(Int, Int)] = []
        for p in parts.dropFirst() {
            var isNamed = false
            var k = p.0
            var lv = 0
            while k < p.1 {
                let c = s[k]
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { lv += 1 }
                if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") { lv -= 1 }
                if c == UInt8(ascii: "=") && lv == 0 {
                    isNamed = true
                    break
                }
                k += 1
            }
            if !isNamed { unnamed.append(p) }
        }
        guard !unnamed.isEmpty else { return }
        let pick = which == 0 ? unnamed.count - 1 : which - 1
        guard pick < unnamed.count else { return }
        scan(s, unnamed[pick].0, unnamed[pick].1, depth: depth + 1, lineMode: false)
    }
}
