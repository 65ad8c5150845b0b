// End to end through the engine: Pipelines/code.yaml on a bare repository built in the test and on
// the fixture folder; code_quality's drops and the reader's skip counters land in the stats.
import Foundation
import SluiceCore
import SluiceIngest
import SluiceTestSupport
import Testing

@Suite(.serialized) struct CodePipelineTests {
    @Test func codePipelineOnABareRepository() throws {
        let repo = try TestRepository.make()
        defer { try? FileManager.default.removeItem(atPath: repo.root) }
        let (docs, stats, output) = try PipelineHarness.run(
            "code.yaml", inputs: [repo.bare], settings: ["code.max_file_size=64000"])
        defer { try? FileManager.default.removeItem(atPath: output) }
        // LICENSE is plain text: not in code_quality's default language list.
        #expect(
            docs.map { $0.metadata["path"]?.stringValue ?? "" } == TestRepository.pathsAtHead.filter { $0 != "LICENSE" }
        )
        let reader = try #require(stats.first { $0.name == "code" })
        #expect(reader.counters.filter { $0.key.hasPrefix("skipped_") } == TestRepository.skipCountsAtHead)
        let quality = try #require(stats.first { $0.name == "code_quality" })
        #expect(quality.drops == ["code_quality:language": 1])
        #expect(docs.allSatisfy { $0.metadata["license"] != nil && $0.metadata["language"] != nil })
    }

    @Test func codePipelineOnTheFixtureFolder() throws {
        let (docs, _, output) = try PipelineHarness.run("code.yaml", inputs: [TestSupport.fixture("code/Files")])
        defer { try? FileManager.default.removeItem(atPath: output) }
        let paths = Set(docs.map { $0.metadata["path"]?.stringValue ?? "" })
        #expect(paths.contains("Sources/Files.swift"))
        #expect(!paths.contains("LICENSE"))
        #expect(docs.allSatisfy { $0.metadata["license"] == "MIT" })
    }
}
