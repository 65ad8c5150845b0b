// End-to-end tests of the `sluice` binary.
import Foundation
import SluiceTestSupport
import Testing

@Suite struct CLITests {
    @Test func helpListsSubcommands() throws {
        let r = try TestSupport.run(try TestSupport.sluiceBinary(), ["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE"))
    }
}
