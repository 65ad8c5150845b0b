// A repository's licence as an SPDX id, guessed from the `license` field of a package manifest
// (package.json, Cargo.toml, pyproject.toml, setup.cfg, *.gemspec, composer.json) or from the
// wording of LICENSE / COPYING files. Key phrases of each licence text, not go-license-detector's
// full-text similarity: it names the common licences and says NOASSERTION otherwise.
import SluiceCore

/// Guesses SPDX licence ids.
public enum LicenseGuesser {
    /// The value used when nothing is recognised (SPDX's own term).
    public static let unknown = "NOASSERTION"

    /// Whether a root-level file name is a licence file (`LICENSE`, `COPYING.md`, `LICENSE-MIT`).
    public static func isLicenseFile(_ name: String) -> Bool {
        let upper = name.uppercased()
        return upper.hasPrefix("LICENSE") || upper.hasPrefix("LICENCE") || upper.hasPrefix("COPYING")
            || upper == "UNLICENSE" || upper.hasPrefix("COPYRIGHT")
    }

    /// Whether a root-level file name is a package manifest with a licence field.
    public static func isManifest(_ name: String) -> Bool {
        ["package.json", "Cargo.toml", "pyproject.toml", "setup.cfg", "composer.json"].contains(name)
            || name.hasSuffix(".gemspec")
    }

    /// The SPDX expression of a manifest's licence field, if it has one.
    public static func fromManifest(name: String, text: String) -> String? {
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).prefix(400) {
            let t = String(line).trimmingASCIIWhitespace()
            let key: String
            if name.hasSuffix(".json") {
                guard t.hasPrefix("\"license\"") else { continue }
                key = "\"license\""
            } else if name.hasSuffix(".gemspec") {
                guard let r = t.range(of: ".license") ?? t.range(of: ".licenses") else { continue }
                key = String(t[..<r.upperBound])
            } else {
                guard t.hasPrefix("license") else { continue }
                key = "license"
            }
            let separators: Set<Character> = [" ", ":", "=", "s"]  // `s` of `.licenses`
            var rest = t.dropFirst(key.count).drop { separators.contains($0) }
            if rest.hasPrefix("{") {  // pyproject `license = {text = "MIT"}`
                guard let eq = rest.firstIndex(of: "=") else { continue }
                rest = rest[rest.index(after: eq)...].drop { $0 == " " }
            }
            if rest.hasPrefix("[") { rest = rest.dropFirst() }
            guard let q = rest.first, q == "\"" || q == "'" else {
                if name == "setup.cfg", !rest.isEmpty { return normalize(String(rest)) }
                continue
            }
            let body = rest.dropFirst()
            guard let end = body.firstIndex(of: q) else { continue }
            let value = String(body[..<end]).trimmingASCIIWhitespace()
            if !value.isEmpty { return normalize(value) }
        }
        return nil
    }

    /// Common non-SPDX spellings in manifests → SPDX ids.
    static func normalize(_ value: String) -> String {
        switch value.lowercased() {
        case "mit", "mit license", "expat": return "MIT"
        case "apache 2.0", "apache-2", "apache2", "apache license 2.0", "apache license, version 2.0", "apache 2",
            "apache software license":
            return "Apache-2.0"
        case "bsd", "bsd license", "new bsd", "bsd-3", "3-clause bsd": return "BSD-3-Clause"
        case "gplv3", "gpl-3", "gpl v3", "gpl3": return "GPL-3.0"
        case "gplv2", "gpl-2", "gpl v2", "gpl2": return "GPL-2.0"
        case "isc license": return "ISC"
        default: return value
        }
    }

    /// The SPDX id of a licence text, from key phrases; nil when none matches.
    public static func fromText(_ text: String) -> String? {
        // Fold case and runs of whitespace so that line wrapping does not matter.
        var folded = ""
        folded.reserveCapacity(min(text.utf8.count, 20000))
        var space = false
        for scalar in text.unicodeScalars.prefix(20000) {
            if scalar == " " || scalar == "\n" || scalar == "\t" || scalar == "\r" || scalar == "*" || scalar == "#" {
                space = true
                continue
            }
            if space && !folded.isEmpty { folded.append(" ") }
            space = false
            folded.unicodeScalars.append(contentsOf: String(scalar).lowercased().unicodeScalars)
        }
        let t = folded
        if let r = t.range(of: "spdx-license-identifier:") {
            let id = t[r.upperBound...].drop { $0 == " " }.prefix { $0 != " " }
            if !id.isEmpty { return canonical(String(id)) }
        }
        func has(_ s: String) -> Bool { t.contains(s) }
        if has("gnu affero general public license") { return has("version 3") ? "AGPL-3.0" : "AGPL" }
        if has("gnu lesser general public license") || has("gnu library general public license") {
            return has("version 3") ? "LGPL-3.0" : has("version 2.1") ? "LGPL-2.1" : "LGPL-2.0"
        }
        if has("gnu general public license") {
            return has("version 3") ? "GPL-3.0" : has("version 2") ? "GPL-2.0" : "GPL"
        }
        if has("mozilla public license") { return has("2.0") ? "MPL-2.0" : "MPL-1.1" }
        if has("apache license") && has("version 2.0") { return "Apache-2.0" }
        if has("eclipse public license") { return has("2.0") ? "EPL-2.0" : "EPL-1.0" }
        if has("boost software license") { return "BSL-1.0" }
        if has("this is free and unencumbered software released into the public domain") { return "Unlicense" }
        if has("cc0 1.0 universal") { return "CC0-1.0" }
        if has("permission to use, copy, modify, and/or distribute this software for any purpose") { return "ISC" }
        if has("permission to use, copy, modify, and distribute this software for any purpose") { return "ISC" }
        if has("permission is hereby granted, free of charge") { return "MIT" }
        if has("redistribution and use in source and binary forms") {
            return has("neither the name") || has("the names of its contributors") ? "BSD-3-Clause" : "BSD-2-Clause"
        }
        if has("this software is provided 'as-is'") && has("permission is granted to anyone to use this software") {
            return "Zlib"
        }
        if has("artistic license") { return "Artistic-2.0" }
        if has("do what the fuck you want to") { return "WTFPL" }
        return nil
    }

    /// `mit` → `MIT`, `apache-2.0` → `Apache-2.0` for identifiers read from folded text.
    static func canonical(_ id: String) -> String {
        let known = [
            "MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "GPL-2.0", "GPL-3.0", "GPL-2.0-only", "GPL-3.0-only",
            "GPL-2.0-or-later", "GPL-3.0-or-later", "LGPL-2.1", "LGPL-3.0", "LGPL-2.1-only", "LGPL-2.1-or-later",
            "MPL-2.0", "ISC", "Unlicense", "BSL-1.0", "CC0-1.0", "Zlib", "EPL-2.0", "AGPL-3.0",
        ]
        return known.first { $0.lowercased() == id } ?? id
    }

    /// Combines the ids of several licence files (`LICENSE-MIT` + `LICENSE-APACHE`).
    public static func combine(_ ids: [String]) -> String {
        var unique: [String] = []
        for id in ids where !unique.contains(id) { unique.append(id) }
        if unique.isEmpty { return unknown }
        return unique.sorted().joined(separator: " OR ")
    }

    /// The `SPDX-License-Identifier:` of a source file's header (first 2 KB), if any.
    public static func fileIdentifier(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let marker = Array("SPDX-License-Identifier:".utf8)
        let n = min(bytes.count, 2048)
        guard n > marker.count else { return nil }
        var i = 0
        outer: while i + marker.count <= n {
            for k in 0..<marker.count where bytes[i + k] != marker[k] {
                i += 1
                continue outer
            }
            var s = i + marker.count
            while s < n && bytes[s] == 32 { s += 1 }
            var e = s
            while e < n && bytes[e] != 10 && bytes[e] != 13 && bytes[e] != UInt8(ascii: "*") { e += 1 }
            var value = String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self)
                .trimmingASCIIWhitespace()
            if value.hasSuffix("-->") { value = String(value.dropLast(3)).trimmingASCIIWhitespace() }
            return value.isEmpty ? nil : value
        }
        return nil
    }
}
