// CodeLanguages: languages by file name, extension and shebang.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

@Suite struct CodeLanguagesTests {
    @Test func languagesByNameExtensionAndShebang() {
        let cases: [(String, String)] = [
            ("a/b.rs", "Rust"), ("x.go", "Go"), ("x.java", "Java"), ("x.ts", "TypeScript"), ("x.tsx", "TypeScript"),
            ("x.js", "JavaScript"), ("x.cpp", "C++"), ("x.h", "C"), ("x.kt", "Kotlin"), ("Makefile", "Makefile"),
            ("Dockerfile", "Dockerfile"), ("CMakeLists.txt", "CMake"), ("x.rb", "Ruby"), ("x.php", "PHP"),
            ("x.cs", "C#"), ("x.scala", "Scala"), ("x.hs", "Haskell"), ("x.lua", "Lua"), ("x.sql", "SQL"),
            ("x.toml", "TOML"), ("x.zig", "Zig"), ("LICENSE-MIT", "Text"), ("x.weird", "unknown"),
        ]
        for (path, language) in cases { #expect(CodeLanguages.language(ofPath: path) == language, "\(path)") }
        #expect(CodeLanguages.language(ofPath: "bin/tool", firstLine: "#!/usr/bin/env node") == "JavaScript")
        #expect(Set(CodeLanguages.allLanguages).count >= 40)
    }
}
