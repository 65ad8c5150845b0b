// DroppedListing (`sluice show`): one reason with what fired; an unknown reason lists the kept ones.
import Foundation
import SluiceCore
import SluiceReport
import SluiceTestSupport
import Testing

@Suite struct DroppedListingTests {
    @Test func showPrintsOneReasonWithWhatFired() throws {
        let root = try TestSupport.temporaryDirectory("show") + "/run"
        try standardRun(root)
        let plain = try DroppedListing.render(
            root: root, reason: "gopher_repetition:top_2_gram", count: 5, color: false)
        #expect(
            plain.hasPrefix(
                "── gopher_repetition:top_2_gram · spam-1 · jsonl · dropped/segment-0/00000.dropped.jsonl.zst\n"))
        #expect(plain.contains("what fired: count=40 match: buy now\n"))
        #expect(!plain.contains("\u{1B}["))
        #expect(!plain.contains("short-1"))
        let colored = try DroppedListing.render(
            root: root, reason: "gopher_repetition:top_2_gram", count: 5, color: true)
        #expect(colored.contains("\u{1B}[1;31mbuy now\u{1B}[0m"))
        let two = try DroppedListing.render(root: root, reason: nil, count: 2, color: false)
        #expect(two.components(separatedBy: "── ").count - 1 == 2)
    }

    @Test func anUnknownReasonListsTheKeptOnes() throws {
        let root = try TestSupport.temporaryDirectory("show") + "/run"
        try standardRun(root)
        let e = reportError { _ = try DroppedListing.render(root: root, reason: "c4:nope", count: 5, color: false) }
        #expect(
            e?.message
                == "no kept documents of 'c4:nope'; kept reasons: length:too_few_words (2), gopher_repetition:top_2_gram (1)"
        )
        let empty = try TestSupport.temporaryDirectory("show") + "/run"
        try makeRunFolder(empty, stages: [stage("jsonl", 0, 1)])
        let none = reportError { _ = try DroppedListing.render(root: empty, reason: nil, count: 5, color: false) }
        #expect(none?.message.hasPrefix("this run kept no dropped documents") == true)
    }
}
