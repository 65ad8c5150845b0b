// PathListing (`input.paths_file`): prefixes joined, blank and malformed lines skipped,
// deterministic samples.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite(.serialized) struct PathListingTests {
    @Test func pathListingsJoinPrefixSkipBlankAndMalformedLinesAndSampleDeterministically() throws {
        let dir = try TestSupport.temporaryDirectory("listing")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let names = (0..<1000).map { "crawl-data/CC-MAIN-2024-10/segments/s\($0 / 100)/warc/f\($0).warc.gz" }
        var lines = names
        lines.insert("", at: 3)
        lines.insert("   ", at: 10)
        lines.insert("a path with spaces.warc.gz", at: 20)
        let sink = try createByteSink(dir + "/warc.paths.gz")
        try sink.write(Array((lines.joined(separator: "\n") + "\n").utf8))
        try sink.close()

        var listing = PathListing(file: dir + "/warc.paths.gz", prefix: "https://data.commoncrawl.org")
        let (all, problems) = try listing.paths()
        #expect(all.count == 1000)
        #expect(all[0] == "https://data.commoncrawl.org/" + names[0])
        #expect(problems.count == 1 && problems[0].hasPrefix("line 21:"), "\(problems)")

        listing.sample = 0.1
        listing.seed = 7
        let sampled = try listing.paths().paths
        #expect(sampled.count > 60 && sampled.count < 140, "\(sampled.count)")
        // The same lines whatever the listing's order, and other lines under another seed.
        let reversed = dir + "/reversed.paths"
        try (names.reversed().joined(separator: "\n") + "\n").write(toFile: reversed, atomically: true, encoding: .utf8)
        var other = listing
        other.file = reversed
        #expect(Set(try other.paths().paths) == Set(sampled))
        listing.seed = 8
        #expect(Set(try listing.paths().paths) != Set(sampled))

        listing.sample = nil
        listing.limit = 5
        #expect(try listing.paths().paths == Array(all.prefix(5)))
        #expect(
            PathListing.defaultPrefix(for: "https://data.commoncrawl.org/crawl-data/CC-MAIN-2024-10/warc.paths.gz")
                == "https://data.commoncrawl.org/")
        #expect(PathListing.defaultPrefix(for: "s3://commoncrawl/crawl-data/x/warc.paths.gz") == "s3://commoncrawl/")
    }
}
