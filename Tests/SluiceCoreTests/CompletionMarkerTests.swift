// CompletionMarker: the marker text round trips, and older markers still parse.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite(.serialized) struct CompletionMarkerTests {
    @Test func markerTextRoundTripsAndOldMarkersStillParse() throws {
        let m = CompletionMarker(
            fingerprint: "00ff", pass: "segment-0", task: 3, taskCount: 8,
            files: [.init(path: "_work/segment-0/00003 x.jsonl.zst", checksum: FileChecksum(size: 12, xxh64: 0xABC))])
        #expect(
            m.text == "sluice 00ff\ntask segment-0 3 8\nfile 12 0000000000000abc _work/segment-0/00003 x.jsonl.zst\n")
        #expect(CompletionMarker(text: m.text) == m)
        let old = try #require(CompletionMarker(text: "sluice 00ff\n"))
        #expect(old.files.isEmpty && old.taskCount == nil)
        #expect(CompletionMarker(text: "garbage\n") == nil)
        #expect(CompletionMarker(text: "sluice 00ff\nfile twelve 0 x\n") == nil)
    }
}
