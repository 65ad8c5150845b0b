// Over ../shared/corpus/warc and Fixtures/warc: `inspect warc` lists the same records as warcio
// 1.8.1 (run from the reference venv) for every file, record by record; every edge-case file has
// its own expectation; the real crawl reads and extracts without a bad record.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

@Suite(.enabled(if: TestSupport.corpusAvailable, Comment(rawValue: TestSupport.corpusMissingReason)))
struct WARCCorpusTests {
    /// Every file under corpus/warc (top level, edge/, crawl/) except manifests, CDX and seeds.
    static func corpusFiles() throws -> [String] {
        var out: [String] = []
        for dir in ["warc", "warc/edge", "warc/crawl"] {
            let d = TestSupport.corpus(dir)
            for f in try FileManager.default.contentsOfDirectory(atPath: d).sorted()
            where !f.hasSuffix(".md") && !f.hasSuffix(".cdx") && !f.hasSuffix(".txt") {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: d + "/" + f, isDirectory: &isDir), !isDir.boolValue {
                    out.append(d + "/" + f)
                }
            }
        }
        return out
    }

    static let warcioScript = """
        import json, sys
        from warcio.archiveiterator import ArchiveIterator
        out = {}
        for p in sys.argv[1:]:
            recs, err = [], None
            try:
                with open(p, 'rb') as f:
                    it = ArchiveIterator(f)
                    for r in it:
                        r.content_stream().read()
                        h = r.rec_headers
                        uri = h.get_header('WARC-Target-URI') or h.get_header('uri')
                        recs.append([it.get_record_offset(), r.rec_type, h.get_header('WARC-Record-ID'), uri])
            except Exception as e:
                err = type(e).__name__
            out[p] = {'records': recs, 'error': err}
        print(json.dumps(out))
        """

    /// The corpus files plus the WARC and ARC fixtures (each edge case the tests ship).
    static func filesToCompare() throws -> [String] {
        let fixtures = TestSupport.fixture("warc")
        return try corpusFiles()
            + FileManager.default.contentsOfDirectory(atPath: fixtures).sorted().filter { !$0.hasSuffix(".md") }
            .map { fixtures + "/" + $0 }
    }

    /// `inspect warc` lists what warcio lists, record by record: offset, type, record id and
    /// target URI, on every file. Where warcio gives up part way (a file gzipped whole, a block
    /// that spans gzip members), Sluice lists the same records first and reads on.
    @Test func inspectMatchesWarcioOnEveryFile() throws {
        let files = try Self.filesToCompare()
        #expect(files.count >= 50)
        let py = try TestSupport.python()
        let r = try TestSupport.run(py, ["-c", Self.warcioScript] + files)
        #expect(r.status == 0, "warcio failed: \(r.stderr)")
        let expected = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: [String: Any]]
        for f in files {
            let name = (f as NSString).lastPathComponent
            let e = try #require(expected[f])
            let want = (e["records"] as! [[Any]]).map {
                Rec(offset: $0[0] as! Int, type: $0[1] as! String, id: $0[2] as? String, uri: $0[3] as? String)
            }
            let warcioError = e["error"] as? String
            if name.hasSuffix(".lz4") {
                // Not a container we read: a clear error (warcio cannot read it either).
                #expect(throws: SluiceError.self, "\(name)") { try Web.inspect(f) }
                continue
            }
            let (records, _) = try Web.inspect(f)
            let got = records.map {
                Rec(
                    offset: $0["offset"] as! Int, type: $0["type"] as! String, id: $0["record_id"] as? String,
                    uri: $0["uri"] as? String)
            }
            if warcioError == nil {
                #expect(got == want, "\(name)")
            } else {
                #expect(Array(got.prefix(want.count)) == want, "\(name)")
                #expect(got.count > want.count, "\(name)")
            }
        }
    }

    struct Rec: Equatable, CustomStringConvertible {
        var offset: Int
        var type: String
        var id: String?
        var uri: String?
        var description: String { "\(offset) \(type) \(id ?? "null") \(uri ?? "null")" }

        /// warcio writes a WARC-Target-URI's spaces as `%20` (Sluice keeps the URI as written);
        /// for a record whose offset warcio cannot tell (one gzip member for the whole file) it
        /// still gives the member's.
        static func == (a: Rec, b: Rec) -> Bool {
            func uri(_ r: Rec) -> String? { r.uri?.replacingOccurrences(of: " ", with: "%20") }
            return a.offset == b.offset && a.type == b.type && a.id == b.id && uri(a) == uri(b)
        }
    }

    // MARK: - Edge cases, one test each

    func edge(_ name: String) -> String { TestSupport.corpus("warc/edge/" + name) }

    @Test func multipleHeadersAndNoReasonPhrase() throws {
        let (docs, c) = try Web.read(
            edge("iawebcommons__mutliple-headers.warc"), try Web.reader([("mime_types", Web.list([]))]))
        #expect(docs.count == 1)
        #expect(docs.first?.metadata["http_status"] == .int(200))
        #expect(c.stats.stages[0].errors.isEmpty)
        let head = try #require(try WARCScanner(path: edge("iawebcommons__mutliple-headers.warc")).next())
        #expect(head.headers.fields.filter { $0.name == "WARC-Protocol" }.map(\.value) == ["h2", "tls/1.3"])
    }

    @Test func blockSizedRecordsPlainAndGzip() throws {
        let plain = try Web.inspect(edge("resiliparse__block-sized-records.warc"))
        #expect(plain.records.map { $0["offset"] as! Int } == [0, 16386, 32772])
        #expect(plain.records.allSatisfy { $0["type"] as? String == "unknown" } && plain.problems.isEmpty)
        let gz = try Web.inspect(edge("resiliparse__block-sized-records.warc.gz"))
        #expect(gz.records.map { $0["offset"] as! Int } == [0, 204, 409])
        #expect(gz.problems.isEmpty)
        let r = try Web.reader([("record_types", Web.list(["unknown"])), ("mime_types", Web.list([]))])
        #expect(try Web.read(edge("resiliparse__block-sized-records.warc.gz"), r).0.count == 3)
    }

    @Test func lz4IsRejectedCleanly() throws {
        let (docs, c) = try Web.read(edge("resiliparse__block-sized-records.warc.lz4"), try Web.reader())
        #expect(docs.isEmpty)
        #expect(c.stats.stages[0].errors == ["warc:unsupported_format": 1])
    }

    @Test func arcFilesAreRead() throws {
        // ARC v1: the filedesc header record and responses, offsets as warcio gives them.
        let plain = try Web.inspect(edge("warcio__example.arc"))
        #expect(plain.records.map { $0["offset"] as! Int } == [0, 151])
        #expect(plain.records.map { $0["type"] as! String } == ["arc_header", "response"])
        #expect(plain.records.allSatisfy { $0["record_id"] is NSNull })
        let gz = try Web.inspect(edge("warcio__example.arc.gz"))
        #expect(gz.records.map { $0["offset"] as! Int } == [0, 171])
        let (docs, c) = try Web.read(edge("warcio__example.arc.gz"), try Web.reader())
        #expect(docs.count == 1 && c.stats.stages[0].errors.isEmpty)
        #expect(docs.first?.metadata["url"]?.stringValue == "http://example.com/")
        let html = String(decoding: docs.first?.raw ?? [], as: UTF8.self)
        #expect(html.hasPrefix("<!doctype html>"))
    }

    @Test func arcWithInvalidLengthsKeepsGoing() throws {
        // Lengths -1, 1 and "abc": read as 0, 1 and 0, as warcio does; no crash, no loop.
        let (records, problems) = try Web.inspect(edge("warcio__bad.arc"))
        #expect(records.map { $0["offset"] as! Int } == [0, 134, 202, 262])
        #expect(problems.isEmpty)
    }

    @Test func nonChunkedGzipReadsAllRecords() throws {
        let (records, problems) = try Web.inspect(edge("warcio__example-bad-non-chunked.warc.gz"))
        #expect(records.count == 6 && problems.isEmpty)
        let r = try Web.reader([("status", Web.list([]))])
        let (docs, _) = try Web.read(edge("warcio__example-bad-non-chunked.warc.gz"), r)
        #expect(docs.count == 1)  // the one text/html response
    }

    @Test func digestVariants() throws {
        let r = try Web.reader([
            ("record_types", Web.list(["request"])), ("mime_types", Web.list([])),
            ("verify_digests", Web.scalar("yes")),
        ])
        let (docs, c) = try Web.read(edge("warcio__example-digest.warc"), r)
        #expect(docs.count == 3)
        #expect(c.stats.stages[0].errors == ["warc:digest_mismatch": 1])
    }

    @Test func spaceInTargetURIIsKeptAsWritten() throws {
        let (records, _) = try Web.inspect(edge("warcio__example-space-in-target-uri.warc.gz"))
        #expect(records.count == 2)
        #expect(records[1]["uri"] as? String == "file:///example with spaces.png")
    }

    @Test func truncatedRecord() throws {
        let (records, problems) = try Web.inspect(edge("warcio__example-trunc.warc"))
        // As warcio: four records; the short response is kept, marked, and its problem reported.
        #expect(records.map { $0["offset"] as! Int } == [0, 488, 1197, 2566])
        #expect(records[2]["truncated"] as? String == "content_length_mismatch")
        #expect(problems.count == 1 && problems[0].contains("warc:content_length_mismatch"))
    }

    @Test func everyEdgeFileHasATest() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: TestSupport.corpus("warc/edge")).filter {
            !$0.hasSuffix(".md")
        }
        let covered: Set<String> = [
            "iawebcommons__mutliple-headers.warc", "resiliparse__block-sized-records.warc",
            "resiliparse__block-sized-records.warc.gz", "resiliparse__block-sized-records.warc.lz4", "warcio__bad.arc",
            "warcio__example.arc", "warcio__example.arc.gz", "warcio__example-bad-non-chunked.warc.gz",
            "warcio__example-digest.warc", "warcio__example-space-in-target-uri.warc.gz", "warcio__example-trunc.warc",
        ]
        #expect(Set(names) == covered)
    }

    // MARK: - The real crawl

    @Test func crawlFileReadsAndExtracts() throws {
        let path = TestSupport.corpus("warc/crawl/debian-docs-crawl-00003.warc.gz")
        let (docs, c) = try Web.read(path, try Web.reader())
        #expect(c.stats.stages[0].errors.isEmpty)
        #expect(docs.count == 610)  // text/html 200 responses, as fastwarc counts them
        var step = try Web.extractStep()
        let ec = Web.context("extract")
        var kept = 0
        var drops: [String: Int] = [:]
        for var d in docs.prefix(300) {
            switch try step.apply(to: &d, context: ec) {
            case .keep:
                kept += 1
                #expect(d.raw == nil && !d.text.isEmpty)
            case .drop(let r): drops[r.rawValue, default: 0] += 1
            }
        }
        #expect(kept >= 290, "drops: \(drops)")
    }
}
