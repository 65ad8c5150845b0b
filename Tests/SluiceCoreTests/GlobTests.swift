// Glob matching and expansion: `*`, `?`, `[...]`, `**`, hidden files, sorting.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct GlobTests {
    @Test(arguments: [
        ("*.jsonl", "a.jsonl", true), ("*.jsonl", "a.jsonl.zst", false), ("*.jsonl*", "a.jsonl.zst", true),
        ("a?c", "abc", true), ("a?c", "ac", false), ("a?c", "aéc", true), ("[ab]*", "b1", true), ("[ab]*", "c1", false),
        ("f[0-9].txt", "f7.txt", true), ("f[!0-9].txt", "f7.txt", false), ("f[^0-9].txt", "fx.txt", true),
        ("*a*b*c", "xxaxxbxxc", true), ("*a*b*c", "xxaxxcxxb", false), ("[", "[", true), ("\\*", "*", true),
        ("\\*", "a", false), ("", "", true), ("*", "", true),
    ])
    func matches(pattern: String, name: String, expected: Bool) {
        #expect(Glob.matches(Array(pattern.utf8), Array(name.utf8)) == expected)
    }

    @Test func expandsStarsQuestionMarksAndDoubleStars() throws {
        let dir = try TestSupport.temporaryDirectory("glob")
        let fm = FileManager.default
        for path in [
            "a/x.jsonl", "a/y.jsonl", "a/b/z.jsonl", "a/b/c/w.jsonl", "a/.hidden.jsonl", "a/.h/v.jsonl", "a/x.txt",
            "B.jsonl",
        ] {
            try fm.createDirectory(
                atPath: dir + "/" + (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            fm.createFile(atPath: dir + "/" + path, contents: Data())
        }
        #expect(Glob.expand(dir + "/a/*.jsonl") == [dir + "/a/x.jsonl", dir + "/a/y.jsonl"])
        #expect(Glob.expand(dir + "/a/?.*") == [dir + "/a/x.jsonl", dir + "/a/x.txt", dir + "/a/y.jsonl"])
        #expect(
            Glob.expand(dir + "/**/*.jsonl") == [
                dir + "/B.jsonl", dir + "/a/b/c/w.jsonl", dir + "/a/b/z.jsonl", dir + "/a/x.jsonl", dir + "/a/y.jsonl",
            ])
        #expect(Glob.expand(dir + "/a/.*.jsonl") == [dir + "/a/.hidden.jsonl"])
        #expect(Glob.expand(dir + "/a/x.jsonl") == [dir + "/a/x.jsonl"])
        #expect(Glob.expand(dir + "/a/nope.jsonl").isEmpty)
        #expect(Glob.expand(dir + "/[aB]*") == [dir + "/B.jsonl", dir + "/a"])
        // Relative patterns stay relative.
        let cwd = fm.currentDirectoryPath
        fm.changeCurrentDirectoryPath(dir)
        defer { fm.changeCurrentDirectoryPath(cwd) }
        #expect(Glob.expand("a/b/*.jsonl") == ["a/b/z.jsonl"])
    }
}
