// The `code` reader on a bare repository built here with `git init --bare` and three commits (the
// TestRepository of SluiceTestSupport), with exact counts per skip reason; on its work tree; at an older
// revision; and on the plain directory Fixtures/code/Files.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

@Suite(.serialized) struct CodeReaderTests {
    /// A 64 KB limit so that data/big.txt (68 KB) is too large.
    let reader = CodeReader(maxFileSize: 64_000)

    func skipCounts(_ stats: StageStats) -> [String: Int] { stats.counters.filter { $0.key.hasPrefix("skipped_") } }

    @Test func bareRepositoryAtHeadWithExactSkipCounts() throws {
        let repo = try TestRepository.make()
        defer { try? FileManager.default.removeItem(atPath: repo.root) }
        let (docs, stats) = try StageHarness.read(reader, repo.bare)
        #expect(docs.map { $0.metadata["path"]?.stringValue ?? "" } == TestRepository.pathsAtHead)
        #expect(skipCounts(stats) == TestRepository.skipCountsAtHead)
        #expect(stats.counters["files_seen"] == 20)  // 6 kept + 14 skipped blobs and links (not the submodule)
        let head = try repo.git(["rev-parse", "HEAD"], in: repo.bare).trimmingCharacters(in: .whitespacesAndNewlines)
        let util = try #require(docs.first { $0.metadata["path"] == "lib/util.py" })
        #expect(util.id == "project:lib/util.py")
        #expect(util.source == "code")
        #expect(util.metadata["repository"] == "project")
        #expect(util.metadata["revision"] == .string(head))
        #expect(util.metadata["language"] == "Python")
        #expect(util.metadata["license"] == "MIT")
        #expect(util.text.contains("def sub"))
        #expect(util.metadata["size"] == .int(Int64(util.text.utf8.count)))
        let byPath = Dictionary(uniqueKeysWithValues: docs.map { ($0.metadata["path"]!.stringValue!, $0) })
        #expect(byPath["scripts/run"]?.metadata["language"] == "Shell")  // from the #! line
        #expect(byPath["Sources/App/main.swift"]?.metadata["language"] == "Swift")
        #expect(byPath["README.md"]?.metadata["language"] == "Markdown")
        #expect(byPath["src/gpl.c"]?.metadata["license"] == "GPL-2.0-only")  // the file's own SPDX line
    }

    @Test func olderRevisionOnRequest() throws {
        let repo = try TestRepository.make()
        defer { try? FileManager.default.removeItem(atPath: repo.root) }
        let first = try StageHarness.build(CodeReader.self, yaml: "{revision: 'HEAD~2'}")
        let (docs, stats) = try StageHarness.read(first, repo.bare)
        #expect(
            docs.map { $0.metadata["path"]?.stringValue ?? "" }.sorted()
                == (TestRepository.pathsAtHead + ["old.txt"]).sorted())
        #expect(skipCounts(stats).isEmpty)
        let bad = try StageHarness.build(CodeReader.self, yaml: "{revision: no-such-branch}")
        #expect(throws: SluiceError.self) { try bad.open(repo.bare, context: StageHarness.context("code")) }
    }

    @Test func workTreeIsReadAtHeadNotFromDisk() throws {
        let repo = try TestRepository.make()
        defer { try? FileManager.default.removeItem(atPath: repo.root) }
        try repo.write("uncommitted.swift", "let x = 1\n")
        let (docs, stats) = try StageHarness.read(reader, repo.work)
        #expect(docs.map { $0.metadata["path"]?.stringValue ?? "" } == TestRepository.pathsAtHead)
        #expect(skipCounts(stats) == TestRepository.skipCountsAtHead)
        #expect(docs.first?.metadata["repository"] == "work")
    }

    @Test func plainDirectoryFixture() throws {
        let (docs, stats) = try StageHarness.read(CodeReader(), TestSupport.fixture("code/Files"))
        let paths = docs.map { $0.metadata["path"]?.stringValue ?? "" }.sorted()
        #expect(
            paths == [
                ".gitignore", ".swift-version", ".travis.yml", "CODE_OF_CONDUCT.md", "Configs/Files.plist",
                "Files.podspec", "LICENSE", "Package.swift", "README.md", "Sources/Files.swift",
                "Tests/LinuxMain.swift", "buddybuild_postbuild.sh",
            ])
        #expect(skipCounts(stats).isEmpty)
        for d in docs {
            #expect(d.metadata["license"] == "MIT")
            #expect(d.metadata["revision"] == .null)
        }
        let languages = Dictionary(
            uniqueKeysWithValues: docs.map {
                ($0.metadata["path"]!.stringValue!, $0.metadata["language"]!.stringValue!)
            })
        #expect(languages["Sources/Files.swift"] == "Swift")
        #expect(languages["Files.podspec"] == "unknown")
        #expect(languages["Configs/Files.plist"] == "XML")
        #expect(languages[".travis.yml"] == "YAML")
        #expect(languages["buddybuild_postbuild.sh"] == "Shell")
    }

    @Test func specialFilesAreSkippedAndReadsStopAtTheCap() throws {
        // Issue 16.7: a FIFO would block the reader forever; a file is never read past max_file_size.
        let dir = try TestSupport.temporaryDirectory("code-cap")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "print(1)\n".write(toFile: dir + "/a.py", atomically: true, encoding: .utf8)
        try String(repeating: "x = 1\n", count: 400).write(toFile: dir + "/big.py", atomically: true, encoding: .utf8)
        try "print(2)\n".write(toFile: dir + "/z.py", atomically: true, encoding: .utf8)
        #expect(mkfifo(dir + "/pipe.py", 0o644) == 0)
        let (docs, stats) = try StageHarness.read(CodeReader(maxFileSize: 1000), dir)
        #expect(docs.map { $0.metadata["path"]?.stringValue ?? "" } == ["a.py", "z.py"])
        #expect(skipCounts(stats) == ["skipped_special": 1, "skipped_too_large": 1])
        // The bounded read itself: a file larger than the limit is refused after limit + 1 bytes.
        var content: [UInt8] = []
        #expect(DirectoryFileIterator.readBounded(dir + "/big.py", limit: 2399, into: &content) == .tooLarge)
        #expect(content.count <= 2399)
        #expect(DirectoryFileIterator.readBounded(dir + "/big.py", limit: 2400, into: &content) == .read)
        #expect(content.count == 2400)
        #expect(DirectoryFileIterator.readBounded(dir + "/nope.py", limit: 10, into: &content) == .missing)
    }

    @Test func missingInputIsAnError() {
        #expect(throws: SluiceError.self) {
            try reader.open("/nonexistent/repo", context: StageHarness.context("code"))
        }
    }
}
