// Remote byte streams (RemoteStreams.swift, RemotePrefetch.swift) against a loopback server the test
// controls: every byte arrives once, in order, through resets, 503s, stalls and a server that ignores Range; a
// 404 and an HTML page are clear errors naming the URL; the compressed streams decode remote files. Also s3://
// mapping and a paths_file listing fetched remotely (the listing itself: PathListingTests.swift).
import Foundation
import SluiceTestSupport
import Testing

import SluiceCore

@Suite(.serialized) struct RemoteStreamsTests {
    /// 3 MB of varied bytes, and its gzip and zstd forms, in a fresh folder.
    static func makeFiles() throws -> (dir: String, bytes: [UInt8]) {
        let dir = try TestSupport.temporaryDirectory("remote")
        var state: UInt64 = 42
        let bytes = (0..<3_000_000).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 59) &+ 97  // a few letters: compressible
        }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/data.bin"))
        for name in ["data.bin.gz", "data.bin.zst"] {
            let sink = try createByteSink(dir + "/" + name)
            try sink.write(bytes)
            try sink.close()
        }
        return (dir, bytes)
    }

    /// Settings that make faults quick to recover from.
    static func environment(_ extra: [String: String] = [:]) {
        setenv("SLUICE_HTTP_BACKOFF", "0.01", 1)
        setenv("SLUICE_HTTP_RETRIES", "4", 1)
        setenv("SLUICE_HTTP_READ_TIMEOUT", "1", 1)
        for (k, v) in extra { setenv(k, v, 1) }
    }

    @Test(arguments: [
        "none", "reset", "503", "stall", "no_range_reset", "slow",
    ])
    func everyByteArrivesOnceThroughFaults(_ fault: String) throws {
        let (dir, bytes) = try Self.makeFiles()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let faults: [String: Any] =
            switch fault {
            case "reset": ["reset_at": [700_000, 1_500_000, 2_999_999]]
            case "503": ["status": [503, 503]]
            case "stall": ["stall_at": [1_000_000, 3]]
            case "no_range_reset": ["no_range": true, "reset_at": [1_200_000]]
            case "slow": ["slow": 20_000_000]
            default: [:]
            }
        let server = try LoopbackHTTPServer(root: dir, faults: ["data.bin": faults])
        Self.environment()
        // The stream closes when the closure returns, and reports its figures.
        let got = try { try openByteSource(server.url("data.bin")).readAll() }()
        let log = server.stop()
        #expect(got.count == bytes.count)
        #expect(got == bytes, "the bytes differ after fault \(fault); server log:\n\(log)")
        let stats = try #require(RemoteTransfers.take(server.url("data.bin")))
        #expect(stats.fileBytes == bytes.count)
        switch fault {
        case "reset": #expect(stats.retries == 3 && stats.resumes == 3, "\(stats)\n\(log)")
        case "503": #expect(stats.retries == 2 && stats.resumes == 0, "\(stats)\n\(log)")
        case "stall": #expect(stats.retries == 1 && stats.resumes == 1, "\(stats)\n\(log)")
        case "no_range_reset":
            // The whole file again, after what arrived before the reset (a reset may drop bytes in flight).
            #expect(
                stats.rangeIgnored == 1 && stats.bytes > bytes.count && stats.bytes <= bytes.count + 1_200_000,
                "\(stats)\n\(log)")
        default: #expect(stats.retries == 0)
        }
        // Resumed requests asked for a byte range (the first byte not received).
        if fault == "reset" {
            #expect(log.components(separatedBy: "range=bytes=").count == 4, "\(log)")
        }
    }

    @Test(arguments: ["data.bin.gz", "data.bin.zst"])
    func compressedRemoteFilesDecodeThroughResets(_ name: String) throws {
        let (dir, bytes) = try Self.makeFiles()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let size = Int(try FileManager.default.attributesOfItem(atPath: dir + "/" + name)[.size] as! UInt64)
        let server = try LoopbackHTTPServer(root: dir, faults: [name: ["reset_at": [size / 3, 2 * size / 3]]])
        Self.environment()
        let got = try openByteSource(server.url(name)).readAll()
        server.stop()
        #expect(got == bytes)
    }

    @Test func notFoundIsAClearErrorNamingTheURL() throws {
        let dir = try TestSupport.temporaryDirectory("remote404")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try LoopbackHTTPServer(root: dir)
        Self.environment()
        let url = server.url("missing.jsonl.gz")
        do {
            _ = try openByteSource(url)
            Issue.record("a 404 must throw")
        } catch let e as SluiceError {
            #expect(e.code == .missingInput)
            #expect(e.description.contains("404") && e.description.contains(url), "\(e)")
        }
        server.stop()
    }

    @Test func anHTMLPageInsteadOfTheFileIsCorruptInput() throws {
        let dir = try TestSupport.temporaryDirectory("remotehtml")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try LoopbackHTTPServer(root: dir, faults: ["x.jsonl.gz": ["html": true]])
        Self.environment()
        do {
            _ = try openByteSource(server.url("x.jsonl.gz"))
            Issue.record("an HTML page must throw")
        } catch let e as SluiceError {
            #expect(e.code == .corruptInput)
            #expect(e.description.contains("HTML") && e.description.contains(server.url("x.jsonl.gz")), "\(e)")
        }
        server.stop()
    }

    @Test func aBodyCutShortWithoutRangeSupportKeepsTheBytesBeforeTheCutThenThrows() throws {
        let (dir, bytes) = try Self.makeFiles()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try LoopbackHTTPServer(
            root: dir, faults: ["data.bin": ["no_range": true, "truncate_at": 1_000_000]])
        Self.environment(["SLUICE_HTTP_RETRIES": "2"])
        let source = try openByteSource(server.url("data.bin"))
        var got: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 1 << 16)
        var thrown: SluiceError?
        do {
            while true {
                let n = try block.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { break }
                got += block[0..<n]
            }
        } catch let e as SluiceError { thrown = e }
        server.stop()
        #expect(got == Array(bytes[0..<1_000_000]))
        let e = try #require(thrown)
        #expect(e.code == .corruptInput && e.message.hasPrefix("truncated"), "\(e)")
        #expect(e.offset == 1_000_000)
    }

    @Test func unreachableServerIsAnIOErrorAfterRetries() throws {
        Self.environment(["SLUICE_HTTP_RETRIES": "1"])
        // Port 9 (discard) on loopback: nothing listens, the connection is refused.
        #expect(throws: SluiceError.self) { _ = try openByteSource("http://127.0.0.1:9/x.jsonl") }
    }

    // MARK: - Locations and listings

    @Test func s3LocationsMapToHTTPS() throws {
        #expect(
            try RemoteLocation.httpURL(for: "s3://commoncrawl/crawl-data/a.warc.gz", s3Endpoint: nil)
                == "https://commoncrawl.s3.amazonaws.com/crawl-data/a.warc.gz")
        #expect(
            try RemoteLocation.httpURL(for: "s3://b/k/x.gz", s3Endpoint: "http://127.0.0.1:9000/")
                == "http://127.0.0.1:9000/b/k/x.gz")
        #expect(throws: SluiceError.self) { try RemoteLocation.httpURL(for: "s3://bucket-only", s3Endpoint: nil) }
        #expect(RemoteLocation.isRemote("https://x/y") && RemoteLocation.isRemote("s3://b/k"))
        #expect(!RemoteLocation.isRemote("data/https.jsonl"))
    }

    @Test func aRemoteListingIsFetchedToo() throws {
        let dir = try TestSupport.temporaryDirectory("listingremote")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "a/x.warc.gz\nb/y.warc.gz\n".write(toFile: dir + "/warc.paths", atomically: true, encoding: .utf8)
        let server = try LoopbackHTTPServer(root: dir)
        Self.environment()
        let paths = try PathListing(file: server.url("warc.paths")).paths().paths
        server.stop()
        #expect(paths == [server.baseURL + "a/x.warc.gz", server.baseURL + "b/y.warc.gz"])
    }
}
