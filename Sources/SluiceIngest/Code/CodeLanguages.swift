// Programming language of a file from its name: extension, whole file name (Makefile,
// Dockerfile) or, for files with neither, the `#!` line. Names follow BigCode's
// `programming-languages-to-file-extensions.json` (GitHub Linguist names). No content classifier.

/// Language detection by file name.
public enum CodeLanguages {
    /// Language name → extensions (without the dot) and exact file names.
    static let table: [(language: String, extensions: [String], names: [String])] = [
        ("Ada", ["adb", "ada", "ads"], []),
        ("Assembly", ["asm", "s", "nasm"], []),
        ("Batchfile", ["bat", "cmd"], []),
        ("C", ["c", "h"], []),
        ("C#", ["cs", "csx"], []),
        ("C++", ["cpp", "cc", "cxx", "c++", "hpp", "hh", "hxx", "h++", "inl", "ipp", "tcc"], []),
        ("Clojure", ["clj", "cljs", "cljc", "edn"], []),
        ("CMake", ["cmake"], ["CMakeLists.txt"]),
        ("COBOL", ["cob", "cbl", "cpy"], []),
        ("CoffeeScript", ["coffee"], []),
        ("CSS", ["css"], []),
        ("CUDA", ["cu", "cuh"], []),
        ("Dart", ["dart"], []),
        ("Dockerfile", ["dockerfile"], ["Dockerfile", "Containerfile"]),
        ("Elixir", ["ex", "exs"], []),
        ("Elm", ["elm"], []),
        ("Erlang", ["erl", "hrl"], []),
        ("F#", ["fs", "fsi", "fsx"], []),
        ("Fortran", ["f", "f90", "f95", "f03", "f08", "for", "f77"], []),
        ("GLSL", ["glsl", "vert", "frag", "geom", "comp", "fsh", "vsh"], []),
        ("Go", ["go"], []),
        ("Groovy", ["groovy", "gradle", "gvy"], ["Jenkinsfile"]),
        ("Haskell", ["hs", "lhs"], []),
        ("HTML", ["html", "htm", "xhtml"], []),
        ("INI", ["ini", "cfg", "conf", "editorconfig"], [".editorconfig", ".gitconfig"]),
        ("Java", ["java"], []),
        ("JavaScript", ["js", "mjs", "cjs", "jsx"], []),
        ("JSON", ["json", "jsonc", "json5", "geojson"], [".babelrc", ".eslintrc"]),
        ("Julia", ["jl"], []),
        ("Jupyter Notebook", ["ipynb"], []),
        ("Kotlin", ["kt", "kts"], []),
        ("Lisp", ["lisp", "lsp", "cl", "el"], []),
        ("Lua", ["lua"], []),
        ("Makefile", ["mk", "mak", "make"], ["Makefile", "makefile", "GNUmakefile"]),
        ("Markdown", ["md", "markdown", "mdown", "mkd"], []),
        ("Nix", ["nix"], []),
        ("Objective-C", ["m"], []),
        ("Objective-C++", ["mm"], []),
        ("OCaml", ["ml", "mli"], []),
        ("Pascal", ["pas", "pp", "dpr"], []),
        ("Perl", ["pl", "pm", "t", "pod"], []),
        ("PHP", ["php", "phtml", "php3", "php4", "php5"], []),
        ("PowerShell", ["ps1", "psm1", "psd1"], []),
        ("Protocol Buffer", ["proto"], []),
        ("Python", ["py", "pyi", "pyw", "pyx", "pxd"], ["SConstruct", "SConscript"]),
        ("R", ["r", "rmd"], []),
        ("Racket", ["rkt"], []),
        ("reStructuredText", ["rst", "rest"], []),
        ("Ruby", ["rb", "rake", "gemspec", "ru"], ["Gemfile", "Rakefile", "Podfile", "Vagrantfile"]),
        ("Rust", ["rs"], []),
        ("Scala", ["scala", "sc", "sbt"], []),
        ("Scheme", ["scm", "ss", "sld"], []),
        ("Shell", ["sh", "bash", "zsh", "ksh", "fish"], [".bashrc", ".profile", ".zshrc"]),
        ("SQL", ["sql"], []),
        ("Swift", ["swift"], []),
        ("TeX", ["tex", "sty", "cls", "bib", "ltx"], []),
        ("TOML", ["toml"], []),
        ("TypeScript", ["ts", "tsx", "mts", "cts"], []),
        ("Verilog", ["v", "sv", "svh", "vh"], []),
        ("VHDL", ["vhd", "vhdl"], []),
        ("Visual Basic", ["vb", "bas", "vbs"], []),
        ("Vue", ["vue"], []),
        ("XML", ["xml", "xsd", "xsl", "xslt", "plist", "csproj", "vcxproj", "svg", "storyboard", "xib"], []),
        ("YAML", ["yaml", "yml"], [".clang-format", ".travis.yml"]),
        ("Zig", ["zig"], []),
        (
            "Text", ["txt", "text"],
            [
                "LICENSE", "LICENCE", "COPYING", "README", "AUTHORS", "CONTRIBUTORS", "NOTICE", "CHANGES", "CHANGELOG",
                "INSTALL", "TODO", "NEWS", "THANKS", "CODEOWNERS", ".gitignore", ".gitattributes", ".dockerignore",
            ]
        ),
    ]

    private static let byExtension: [String: String] = {
        var d: [String: String] = [:]
        for (language, extensions, _) in table { for e in extensions where d[e] == nil { d[e] = language } }
        return d
    }()

    private static let byName: [String: String] = {
        var d: [String: String] = [:]
        for (language, _, names) in table { for n in names { d[n] = language } }
        return d
    }()

    /// Every language name this table can return (except "unknown").
    public static var allLanguages: [String] { table.map(\.language) }

    /// The language of `path` (a repository-relative path), or "unknown".
    /// - Parameter firstLine: the file's first line, consulted for `#!` when the name says nothing.
    public static func language(ofPath path: String, firstLine: Substring? = nil) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if let l = byName[name] { return l }
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            let ext = name[name.index(after: dot)...].lowercased()
            if let l = byExtension[ext] { return l }
            // Case matters for a few: `.R`, `.C` (C++ by convention), `.H`.
            if name[name.index(after: dot)...] == "C" || name[name.index(after: dot)...] == "H" { return "C++" }
        } else if name.hasPrefix(".") == false {
            for prefix in ["LICENSE", "LICENCE", "COPYING", "README", "CHANGELOG"] where name.hasPrefix(prefix) {
                return "Text"
            }
        }
        if let line = firstLine, line.hasPrefix("#!") { return shebangLanguage(line) }
        return "unknown"
    }

    /// `#!/usr/bin/env python3` → Python.
    static func shebangLanguage(_ line: Substring) -> String {
        let words = line.dropFirst(2).split(whereSeparator: { $0 == " " || $0 == "/" })
        var interpreter = words.last(where: { !$0.hasPrefix("-") && $0 != "env" && $0 != "usr" && $0 != "bin" }) ?? ""
        if words.count >= 2, let envIndex = words.firstIndex(of: "env"), envIndex + 1 < words.endIndex {
            interpreter = words[envIndex + 1]
        }
        let i = interpreter.lowercased()
        if i.hasPrefix("python") { return "Python" }
        if i == "sh" || i == "bash" || i == "zsh" || i == "dash" || i == "ksh" || i == "fish" { return "Shell" }
        if i.hasPrefix("perl") { return "Perl" }
        if i.hasPrefix("ruby") { return "Ruby" }
        if i == "node" || i == "nodejs" || i == "deno" { return "JavaScript" }
        if i.hasPrefix("php") { return "PHP" }
        if i.hasPrefix("lua") { return "Lua" }
        if i == "swift" { return "Swift" }
        if i == "rscript" { return "R" }
        if i == "make" { return "Makefile" }
        return "unknown"
    }
}
