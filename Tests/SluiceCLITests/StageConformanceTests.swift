// The one conformance test over every library's stage list: each list is non-empty and well formed
// (snake_case names and keys, a summary, options that describe themselves through StageBuilder),
// names are unique across libraries, and `sluice stages` lists exactly these stages with their kinds.
import Foundation
import SluiceClean
import SluiceCore
import SluiceDedup
import SluiceIngest
import SluiceTestSupport
import SluiceTokenize
import SluiceTrain
import Testing

@Suite struct StageConformanceTests {
    /// Each library's one list, as the CLI's registry joins them (Sources/sluice/RunCommands.swift).
    static let lists: [(library: String, stages: [any Stage.Type])] = [
        ("SluiceCore", CoreStages.all),
        ("SluiceIngest", IngestStages.all),
        ("SluiceClean", CleanStages.all),
        ("SluiceDedup", DedupStages.all),
        ("SluiceTokenize", TokenizeStages.all),
        ("SluiceTrain", TrainStages.all),
    ]

    @Test func everyListIsNonEmptyAndWellFormed() {
        for (library, stages) in Self.lists {
            #expect(!stages.isEmpty, "\(library) registers an empty stage list")
            #expect(stageListProblems(stages) == [], "\(library)")
        }
    }

    @Test func namesAreUniqueAcrossLibraries() {
        let names = Self.lists.flatMap { list in list.stages.map { $0.name } }
        #expect(Set(names).count == names.count, "\(names.sorted())")
    }

    @Test func filtersThatAnnotateAreListedAsFilters() {
        // Filters get the task context and may record what they measured in metadata.
        for type in [ScriptFilter.self, WordlistFilter.self, URLBlocklistFilter.self] as [any Stage.Type] {
            #expect(StageRegistry.kind(of: type) == "filter", "\(type.name)")
        }
        #expect(StageRegistry.kind(of: C4QualityStep.self) == "step")  // it removes lines: a step
    }

    @Test func sluiceStagesListsExactlyTheRegisteredStages() throws {
        let dir = try TestSupport.temporaryDirectory("stages")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLI.sluice(["stages"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        // Each block opens with `name (kind` at the start of a line; options are indented.
        let listed = r.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") && $0.contains(" (") }.map {
            String($0[..<($0.firstIndex(of: ":") ?? $0.firstIndex(of: ")")!)])
        }
        let expected = Self.lists.flatMap { $0.stages }.map { "\($0.name) (\(StageRegistry.kind(of: $0))" }
        #expect(listed == expected)
    }
}
