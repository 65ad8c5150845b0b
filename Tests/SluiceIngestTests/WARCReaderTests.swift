// The warc reader and `inspect warc` on fixtures: real crawler output, record selection, HTTP
// decoding, digests, and every kind of damage (each keeps the good records around it).
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

@Suite struct WARCReaderTests {
    @Test func readsCommonCrawlExcerpt() throws {
        let (docs, c) = try Web.read(TestSupport.fixture("warc/commoncrawl-excerpt.warc.gz"), try Web.reader())
        // 16 response records, all HTML with status 200 (fastwarc 2.0.1 agrees).
        #expect(docs.count == 16)
        #expect(c.stats.stages[0].errors.isEmpty)
        let d = try #require(docs.first)
        #expect(d.source == "warc")
        #expect(d.text.isEmpty)
        #expect((d.raw?.count ?? 0) > 0)
        #expect(!d.id.hasPrefix("<") && d.id.hasPrefix("urn:uuid:"))
        #expect(d.metadata["url"]?.stringValue?.hasPrefix("http") == true)
        #expect(d.metadata["http_status"] == .int(200))
        #expect(d.metadata["content_type"] == .string("text/html"))
        #expect(d.metadata["warc_offset"] != nil)
        #expect(c.stats.stages[0].counters["skipped_type"] == 34)
    }

    @Test func readsWgetCrawlExcerpt() throws {
        let (docs, c) = try Web.read(TestSupport.fixture("warc/wget-crawl-excerpt.warc.gz"), try Web.reader())
        #expect(docs.count == 50)  // 59 responses, 50 of them text/html with status 200 (fastwarc)
        #expect(c.stats.stages[0].errors.isEmpty)
        // Wget writes the target URI in angle brackets; metadata has it bare.
        #expect(docs.allSatisfy { $0.metadata["url"]?.stringValue?.hasPrefix("http://127.0.0.1:18080/") == true })
    }

    @Test func selectsByStatusAndMIME() throws {
        let all = try Web.reader([("mime_types", Web.list([])), ("status", Web.list([]))])
        let (docs, _) = try Web.read(TestSupport.fixture("warc/wget-crawl-excerpt.warc.gz"), all)
        #expect(docs.count == 59)
        let types = try Web.reader([("record_types", Web.list(["request", "warcinfo"])), ("mime_types", Web.list([]))])
        let (requests, _) = try Web.read(TestSupport.fixture("warc/wget-crawl-excerpt.warc.gz"), types)
        #expect(requests.count == 60)  // 59 requests + warcinfo
    }

    @Test func dechunksTransferEncoding() throws {
        let (docs, _) = try Web.read(TestSupport.fixture("warc/chunked.warc"), try Web.reader())
        let d = try #require(docs.first)
        let html = String(decoding: d.raw ?? [], as: UTF8.self)
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.hasSuffix("</html>\n"))
        #expect(!html.contains("\r\n0\r\n"))
    }

    @Test func wetConversionsBecomeText() throws {
        let r = try Web.reader([("record_types", Web.list(["conversion"])), ("mime_types", Web.list(["text/plain"]))])
        let (docs, _) = try Web.read(TestSupport.fixture("warc/wet.warc.wet.gz"), r)
        let d = try #require(docs.first)
        #expect(d.raw == nil)
        #expect(d.text.contains("Escopete"))
    }

    @Test func verifiesDigests() throws {
        let r = try Web.reader([
            ("record_types", Web.list(["request"])), ("mime_types", Web.list([])), ("status", Web.list([])),
            ("verify_digests", Web.scalar("true")),
        ])
        let (docs, c) = try Web.read(TestSupport.fixture("warc/digests.warc"), r)
        // Record 1 has a wrong payload digest; 2–4 spell theirs in base32, base64 and URL-safe base64.
        #expect(docs.count == 3)
        #expect(c.stats.stages[0].errors == ["warc:digest_mismatch": 1])
    }

    @Test func inspectListsRecordsWithCompressedOffsets() throws {
        let (records, problems) = try Web.inspect(TestSupport.fixture("warc/commoncrawl-excerpt.warc.gz"))
        #expect(records.count == 50)
        #expect(problems.isEmpty)
        #expect(Set(records[0].keys) == ["offset", "type", "uri", "date", "content_type", "length", "record_id"])
        #expect(records[0]["offset"] as? Int == 0)
        #expect(records[0]["type"] as? String == "warcinfo")
        #expect(records[0]["uri"] is NSNull)
        let offsets = records.map { $0["offset"] as! Int }
        #expect(offsets == offsets.sorted() && Set(offsets).count == 50)
    }

    @Test func lyingContentLengthKeepsTheRecordMarked() throws {
        let (records, problems) = try Web.inspect(TestSupport.fixture("warc/truncated-record.warc"))
        // warcio 1.8.1 lists 0, 488, 1197, 2566: the response at 1197 runs into the next record,
        // which is found inside its claimed length; the response is kept as far as it goes.
        #expect(records.map { $0["offset"] as! Int } == [0, 488, 1197, 2566])
        #expect(records.map { $0["truncated"] as? String } == [nil, nil, "content_length_mismatch", nil])
        #expect(problems.count == 1 && problems[0].hasPrefix("warc:content_length_mismatch"))
        #expect(problems[0].hasSuffix("truncated-record.warc:1197)"))
        let (docs, c) = try Web.read(TestSupport.fixture("warc/truncated-record.warc"), try Web.reader())
        let d = try #require(docs.first)
        #expect(docs.count == 1)
        #expect(d.metadata["warc_truncated"] == .bool(true))
        #expect(d.metadata["warc_truncated_reason"] == .string("content_length_mismatch"))
        #expect(String(decoding: d.raw ?? [], as: UTF8.self).contains("Example Domain"))
        #expect(c.stats.stages[0].errors == ["warc:content_length_mismatch": 1])
        #expect(c.stats.stages[0].counters[WARCReader.keptTruncated] == 1)
    }

    @Test func contentLengthTooShortIsReported() throws {
        var bytes = try Web.bytes(TestSupport.fixture("warc/chunked.warc"))
        let text = String(decoding: bytes, as: UTF8.self)
        // Shrink the response's Content-Length by 100: its trailer is then not where it says.
        let range = try #require(text.range(of: "Content-Length: 7566"))
        let start = text.utf8.distance(from: text.startIndex, to: range.lowerBound)
        bytes.replaceSubrange(start..<(start + 20), with: Array("Content-Length: 7466".utf8))
        let path = try TestSupport.temporaryFile("short.warc", bytes)
        let (records, problems) = try Web.inspect(path)
        // The response is kept (its first 7466 bytes, marked), the request after it found again.
        #expect(records.map { $0["type"] as! String } == ["warcinfo", "response", "request"])
        #expect(records[1]["truncated"] as? String == "content_length_mismatch")
        #expect(problems.count == 1 && problems[0].hasPrefix("warc:content_length_mismatch"))
        #expect(problems[0].contains("(7466)"))
    }

    @Test func nextRecordInsideTheHTTPHeadDoesNotCrash() throws {
        // Found by the warc fuzz target: the response claims 240 bytes more than its unfinished
        // HTTP head, and the next record starts right after that head. The head parsed from the
        // peek ends inside the next record, past where the block is cut: the body is then empty,
        // not an out-of-range slice.
        func record(_ type: String, _ block: String, length: Int? = nil) -> [UInt8] {
            Array(
                ("WARC/1.0\r\nWARC-Type: \(type)\r\nWARC-Record-ID: <urn:uuid:\(type)>\r\n"
                    + "WARC-Target-URI: http://example.com/\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
                    + "Content-Type: application/http; msgtype=response\r\n"
                    + "Content-Length: \(length ?? block.utf8.count)\r\n\r\n\(block)\r\n\r\n").utf8)
        }
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: abcdef\r\n"
        let next = record("response", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>second</p>")
        let bytes = record("response", head, length: head.utf8.count + 240).dropLast(4) + next
        let path = try TestSupport.temporaryFile("head-cut.warc", Array(bytes))
        // Every MIME type: the first record's head takes the next record's WARC Content-Type.
        let (docs, c) = try Web.read(path, try Web.reader([("mime_types", Web.list([]))]))
        #expect(docs.count == 2)
        #expect(docs.first?.metadata["warc_truncated_reason"] == .string("content_length_mismatch"))
        #expect(docs.first?.raw?.isEmpty == true)
        #expect(String(decoding: docs.last?.raw ?? [], as: UTF8.self) == "<p>second</p>")
        #expect(c.stats.stages[0].errors == ["warc:content_length_mismatch": 1])
    }

    // MARK: - Records warcio keeps (issue 15 §3)

    @Test func wrongContentLengthIsKeptAndReadingResyncs() throws {
        // warcio's example-wrong-chunks: Content-Length 1613 is one byte short of the block, which
        // spans three gzip members, so no CRLFCRLF follows the declared block. warcio and fastwarc
        // yield the response; the request after it is read too.
        let path = TestSupport.fixture("warc/wrong-content-length.warc.gz")
        let (records, problems) = try Web.inspect(path)
        #expect(records.map { $0["offset"] as! Int } == [0, 1130])
        #expect(records.map { $0["type"] as! String } == ["response", "request"])
        #expect(records[0]["length"] as? Int == 1613)
        #expect(records[0]["truncated"] as? String == "content_length_mismatch")
        #expect(problems.count == 1 && problems[0].hasPrefix("warc:content_length_mismatch"))
        #expect(problems[0].contains("1613") && !problems[0].contains("-1"))
        let (docs, c) = try Web.read(path, try Web.reader())
        let d = try #require(docs.first)
        #expect(docs.count == 1)
        #expect(d.metadata["warc_truncated"] == .bool(true))
        let html = String(decoding: d.raw ?? [], as: UTF8.self)
        #expect(html.hasPrefix("<!doctype html>") && html.contains("</html>"))
        #expect(c.stats.stages[0].errors == ["warc:content_length_mismatch": 1])
    }

    @Test func fileClippedInsideTheLastMemberKeepsWhatDecoded() throws {
        // resiliparse's clipped.warc.gz: 75,657 of the record's bytes decode before the file ends.
        let path = TestSupport.fixture("warc/clipped-last-member.warc.gz")
        let (records, problems) = try Web.inspect(path)
        #expect(records.count == 1)
        #expect(records.first?["truncated"] as? String == "truncated_gzip_member")
        #expect(problems.count == 1 && problems[0].hasPrefix("warc:truncated_gzip_member"))
        let (docs, c) = try Web.read(path, try Web.reader())
        var d = try #require(docs.first)
        #expect(docs.count == 1)
        #expect(d.metadata["warc_truncated"] == .bool(true))
        #expect(d.metadata["warc_truncated_reason"] == .string("truncated_gzip_member"))
        #expect((d.raw?.count ?? 0) > 70_000)
        #expect(c.stats.stages[0].errors == ["warc:truncated_gzip_member": 1])
        #expect(c.stats.stages[0].counters[WARCReader.keptTruncated] == 1)
        // `extract` keeps what the cut page holds.
        var step = try Web.extractStep()
        if case .drop(let reason) = try step.apply(to: &d, context: Web.context("extract")) {
            Issue.record("extract dropped the cut page: \(reason)")
        }
        #expect(d.text.contains("Chance"))
    }

    @Test func arcURLWithSpacesAndShortRecord() throws {
        // warcio's example-space-in-url.arc: the URL field holds spaces; the record is 12 bytes short.
        let (records, problems) = try Web.inspect(TestSupport.fixture("warc/arc-space-in-url.arc"))
        #expect(records.map { $0["offset"] as! Int } == [0, 151])
        let r = try #require(records.last)
        let uri = "http://example.com/index.cfm?FuseAction=Email&EmailTitle=Examples From The Live Web&IsPopUp=False"
        #expect(r["uri"] as? String == uri)
        #expect(r["date"] as? String == "20140216050221")
        #expect(r["content_type"] as? String == "text/html")
        #expect(r["truncated"] as? String == "truncated_record")
        #expect(problems.count == 1 && problems[0].hasPrefix("warc:truncated_record"))
    }

    // MARK: - Content-Encoding on a body stored decoded (issue 16 item 4)

    @Test func decodedBodyUnderGzipHeaderFallsBackToStoredBytes() throws {
        // ClueWeb09 stores bodies decoded but keeps `Content-Encoding: gzip`.
        let (docs, c) = try Web.read(TestSupport.fixture("warc/clueweb-decoded-gzip-excerpt.warc.gz"), try Web.reader())
        #expect(docs.count == 3)
        #expect(c.stats.stages[0].errors.isEmpty)
        #expect(c.stats.stages[0].counters[WARCReader.contentEncodingFallback] == 3)
        #expect(docs.allSatisfy { String(decoding: $0.raw?.prefix(6) ?? [], as: UTF8.self) == "<html>" })
    }

    /// A plain WARC response record around `body`, with `headers` in its HTTP head.
    static func response(_ body: [UInt8], headers: String) -> [UInt8] {
        let block = Array("HTTP/1.1 200 OK\r\n\(headers)\r\n\r\n".utf8) + body
        let head =
            "WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:\(body.count)>\r\n"
            + "Content-Type: application/http; msgtype=response\r\nContent-Length: \(block.count)\r\n\r\n"
        return Array(head.utf8) + block + Array("\r\n\r\n".utf8)
    }

    @Test func undecodableGzipBodyThatIsNotTheDeclaredTypeIsBad() throws {
        let binary: [UInt8] = [0x1f, 0x8b, 0x08, 0, 0x13, 0x37] + Array(repeating: 0xa5, count: 200)
        let html = Array("<!DOCTYPE html><p>stored decoded</p>".utf8)
        let text = Array("plain words".utf8) + [0, 1, 2]  // a NUL: not text
        var file = Self.response(binary, headers: "Content-Type: text/html\r\nContent-Encoding: gzip")
        file += Self.response(html, headers: "Content-Type: text/html\r\nContent-Encoding: gzip")
        file += Self.response(text, headers: "Content-Type: text/plain\r\nContent-Encoding: deflate")
        let path = try TestSupport.temporaryFile("encodings.warc", file)
        let (docs, c) = try Web.read(path, try Web.reader([("mime_types", Web.list([]))]))
        #expect(docs.map { $0.raw ?? Array($0.text.utf8) } == [html])
        #expect(c.stats.stages[0].errors == ["warc:bad_content_encoding": 2])
        #expect(c.stats.stages[0].counters[WARCReader.contentEncodingFallback] == 1)
    }

    // MARK: - One scanner, one answer (issue 16 item 6)

    /// `pieces`, each as its own gzip member, concatenated.
    static func gzipMembers(_ pieces: [[UInt8]]) throws -> [UInt8] {
        let dir = try TestSupport.temporaryDirectory("web")
        var out: [UInt8] = []
        for (i, p) in pieces.enumerated() {
            let sink = try GzipSink(path: dir + "/m\(i).gz", level: 1)
            try p.withUnsafeBytes { try sink.write($0) }
            try sink.close()
            out += try Web.bytes(dir + "/m\(i).gz")
        }
        return out
    }

    /// The decoded records of a per-record `.warc.gz`, each as its bytes (header to trailer).
    static func plainRecords(_ path: String) throws -> [[UInt8]] {
        let s = try WARCScanner(path: path)
        var starts: [Int] = []
        while let h = try s.next() {
            starts.append(h.streamOffset)
            _ = try s.skipContent()
        }
        let source = try GzipSource(path: path)
        var plain: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try buf.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            plain += buf[0..<n]
        }
        return zip(starts, starts.dropFirst() + [plain.count]).map { Array(plain[$0..<$1]) }
    }

    /// (offset, record id) of every record, as `inspect warc` lists them and as the reader reads them.
    static func inspectAndReader(_ path: String) throws -> ([String], [String]) {
        let listed = try Web.inspect(path).records.map { "\($0["offset"] as! Int) \($0["record_id"] as? String ?? "")" }
        let all = try Web.reader([
            ("record_types", Web.list(["warcinfo", "response", "request", "metadata", "revisit", "resource"])),
            ("mime_types", Web.list([])), ("status", Web.list([])),
        ])
        let read = try Web.read(path, all).0.map { d -> String in
            guard case .int(let offset) = d.metadata["warc_offset"] else { return "no offset <\(d.id)>" }
            return "\(offset) <\(d.id)>"
        }
        return (listed, read)
    }

    @Test func inspectAndReaderAgreeWhenAContentLengthOverruns() throws {
        // A real per-record .warc.gz whose record 10 claims 5 MB: its block runs on into the
        // following members. Both must resynchronise at the next record and list the same records.
        var records = try Self.plainRecords(TestSupport.fixture("warc/commoncrawl-excerpt.warc.gz"))
        #expect(records.count == 50)
        var text = String(decoding: records[10], as: UTF8.self)
        let r = try #require(text.range(of: "Content-Length: "))
        let lineEnd = try #require(text[r.upperBound...].firstIndex(of: "\r\n"))
        text.replaceSubrange(r.upperBound..<lineEnd, with: "5000000")
        records[10] = Array(text.utf8)
        let path = try TestSupport.temporaryFile("overrun.warc.gz", try Self.gzipMembers(records))
        let (listed, read) = try Self.inspectAndReader(path)
        #expect(listed.count == 50)
        #expect(listed == read)
        let (_, problems) = try Web.inspect(path)
        #expect(problems.count == 1 && problems[0].hasPrefix("warc:content_length_mismatch"))
        // The same file plain: the same records.
        let plainPath = try TestSupport.temporaryFile("overrun.warc", records.flatMap { $0 })
        let (plainListed, plainRead) = try Self.inspectAndReader(plainPath)
        #expect(plainListed.map { $0.split(separator: " ").last! } == listed.map { $0.split(separator: " ").last! })
        #expect(plainListed == plainRead)
    }

    @Test func zstdFileCutShortKeepsTheLastRecordMarked() throws {
        // The real records as one zstd stream, cut at two thirds: what decodes is kept, the record
        // the cut falls in is marked, and inspect and the reader agree.
        let plain = try Self.plainRecords(TestSupport.fixture("warc/commoncrawl-excerpt.warc.gz")).flatMap { $0 }
        let dir = try TestSupport.temporaryDirectory("web")
        let sink = try createByteSink(dir + "/whole.warc.zst")
        try plain.withUnsafeBytes { try sink.write($0) }
        try sink.close()
        let bytes = try Web.bytes(dir + "/whole.warc.zst")
        let path = try TestSupport.temporaryFile("cut.warc.zst", Array(bytes[..<(bytes.count * 2 / 3)]))
        let (listed, problems) = try Web.inspect(path)
        #expect(listed.count > 10 && listed.count < 50)
        #expect(listed.last?["truncated"] as? String == "truncated_stream")
        #expect(listed.dropLast().allSatisfy { $0["truncated"] == nil })
        #expect(problems.count == 1 && problems.first?.hasPrefix("warc:truncated_stream") == true)
        let (a, b) = try Self.inspectAndReader(path)
        #expect(a == b)
    }

    @Test func headerWithoutContentLengthIsSkipped() throws {
        var bytes = Array("WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:x>\r\n\r\n".utf8)
        bytes += try Web.bytes(TestSupport.fixture("warc/chunked.warc"))
        let path = try TestSupport.temporaryFile("badheader.warc", bytes)
        let (records, problems) = try Web.inspect(path)
        #expect(records.count == 3)
        #expect(problems == ["warc:bad_header: record without a valid Content-Length (\(path):0)"])
    }

    @Test func headerThatNeverEndsIsSkippedInLinearTime() throws {
        // 2.4 MB of "WARC/1.0" lines and no empty line: each 1 MiB span is reported once and
        // skipped whole (a rescan per line would be quadratic), then the good records are read.
        var bytes = Array(String(repeating: "WARC/1.0\r\nWARC-Type: x\r\n", count: 100_000).utf8)
        bytes += Array("\r\n".utf8)
        bytes += try Web.bytes(TestSupport.fixture("warc/chunked.warc"))
        let path = try TestSupport.temporaryFile("noblank.warc", bytes)
        let (records, problems) = try Web.inspect(path)
        #expect(
            problems.count <= 4
                && problems.allSatisfy { $0.hasPrefix("warc:bad_header") || $0.hasPrefix("warc:garbage") })
        #expect(records.count >= 3)
    }

    @Test func corruptGzipMemberLosesOnlyItsRecord() throws {
        let source = TestSupport.fixture("warc/commoncrawl-excerpt.warc.gz")
        let offsets = try Web.memberOffsets(source)
        var bytes = try Web.bytes(source)
        // Flip bytes in the middle of member 20's deflate data.
        let mid = (offsets[20] + offsets[21]) / 2
        for k in 0..<16 { bytes[mid + k] ^= 0x5a }
        let path = try TestSupport.temporaryFile("corrupt.warc.gz", bytes)
        let (records, problems) = try Web.inspect(path)
        #expect(records.count == 49)
        #expect(records.map { $0["offset"] as! Int } == offsets.enumerated().filter { $0.offset != 20 }.map(\.element))
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("warc:corrupt_gzip_member") == true)
        #expect(problems.first?.hasSuffix(":\(offsets[20]))") == true)
    }

    @Test func truncatedFileKeepsEverythingBefore() throws {
        let source = TestSupport.fixture("warc/commoncrawl-excerpt.warc.gz")
        let offsets = try Web.memberOffsets(source)
        let bytes = try Web.bytes(source)
        // Cut 60 bytes before the end of member 30: its header decodes, part of its block does.
        let cut = offsets[31] - 60
        let path = try TestSupport.temporaryFile("cut.warc.gz", Array(bytes[..<cut]))
        let (records, problems) = try Web.inspect(path)
        // Records 0–29 whole; record 30's header and the bytes that decode, marked (as warcio).
        #expect(records.count == 31)
        let marks = records.map { $0["truncated"] as? String }
        #expect(marks == Array(repeating: nil, count: 30) + ["truncated_gzip_member"])
        #expect(problems.count == 1 && problems[0].hasPrefix("warc:truncated_gzip_member"))
        // A plain WARC cut inside a record.
        let plain = try Web.bytes(TestSupport.fixture("warc/chunked.warc"))
        let p2 = try TestSupport.temporaryFile("cut.warc", Array(plain[..<(plain.count - 900)]))
        let (r2, q2) = try Web.inspect(p2)
        // The cut falls in the response: kept as far as it goes; the request after it is gone.
        #expect(r2.map { $0["truncated"] as? String } == [nil, "truncated_record"])
        #expect(q2.count == 1 && q2[0].hasPrefix("warc:truncated_record"))
    }

    @Test func garbageBetweenMembersIsSkipped() throws {
        let source = TestSupport.fixture("warc/commoncrawl-excerpt.warc.gz")
        let offsets = try Web.memberOffsets(source)
        var bytes = try Web.bytes(source)
        bytes.insert(contentsOf: Array("this is not gzip".utf8), at: offsets[10])
        let path = try TestSupport.temporaryFile("garbage.warc.gz", bytes)
        let (records, problems) = try Web.inspect(path)
        #expect(records.count == 50)
        #expect(
            problems == [
                "warc:garbage_between_members: 16 bytes that are not a gzip member skipped (\(path):\(offsets[10]))"
            ])
    }

    @Test func wholeFileGzipReadsEveryRecord() throws {
        let (records, problems) = try Web.inspect(TestSupport.fixture("warc/whole-file-gzip.warc.gz"))
        // warcio stops after the first record; one member holds all six, so all have offset 0.
        #expect(records.count == 6)
        #expect(records.allSatisfy { $0["offset"] as? Int == 0 })
        #expect(problems.isEmpty)
    }

    @Test func unsupportedContainerIsABadFileNotAFailedRun() throws {
        let path = try TestSupport.temporaryFile("x.warc.lz4", [0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0, 0, 0])
        let (docs, c) = try Web.read(path, try Web.reader())
        #expect(docs.isEmpty)
        #expect(c.stats.stages[0].errors == ["warc:unsupported_format": 1])
        #expect(throws: SluiceError.self) { try Web.inspect(path) }
        #expect(throws: SluiceError.self) { try Web.inspect("/nonexistent/x.warc") }
    }

    @Test func emptyAndJunkFilesEndCleanly() throws {
        let empty = try TestSupport.temporaryFile("empty.warc", [])
        #expect(try Web.inspect(empty).records.isEmpty)
        let junk = try TestSupport.temporaryFile("junk.warc", Array(repeating: 0x41, count: 5000))
        let (r, p) = try Web.inspect(junk)
        #expect(r.isEmpty && p.count == 1 && p[0].hasPrefix("warc:garbage"))
    }

    @Test func zstdWARCReadsThroughCoreStreams() throws {
        // Re-compress the gzip fixture as one zstd stream with SluiceCore's sink.
        let source = try openByteSource(TestSupport.fixture("warc/wget-crawl-excerpt.warc.gz"))
        let dir = try TestSupport.temporaryDirectory("web")
        let sink = try createByteSink(dir + "/crawl.warc.zst")
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            try chunk.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        try sink.close()
        let (records, problems) = try Web.inspect(dir + "/crawl.warc.zst")
        #expect(records.count == 119 && problems.isEmpty)
        let (docs, _) = try Web.read(dir + "/crawl.warc.zst", try Web.reader())
        #expect(docs.count == 50)
    }
}

@Suite struct WARCStreamingTests {
    /// Records of `path` as (offset, id) through a scanner whose whole-member limit is `limit`.
    func records(_ path: String, largestMember limit: Int) throws -> ([String], [WARCProblem]) {
        let s = try WARCScanner(path: path, largestMember: limit)
        var out: [String] = []
        var problems: [WARCProblem] = []
        while let h = try s.next() {
            if try s.skipContent() { out.append("\(h.offset) \(h.recordID)") }
            problems += s.takeProblems()
        }
        return (out, problems + s.takeProblems())
    }

    // Members larger than the limit go through zlib in pieces; the records are the same.
    @Test(arguments: [1 << 10, 4 << 10, 64 << 10, 64 << 20])
    func streamedMembersGiveTheSameRecords(limit: Int) throws {
        let path = TestSupport.fixture("warc/commoncrawl-excerpt.warc.gz")
        let (whole, p1) = try records(path, largestMember: 64 << 20)
        let (streamed, p2) = try records(path, largestMember: limit)
        #expect(streamed == whole && whole.count == 50)
        #expect(p1.isEmpty && p2.isEmpty)
        let (one, p3) = try records(TestSupport.fixture("warc/whole-file-gzip.warc.gz"), largestMember: limit)
        #expect(one.count == 6 && p3.isEmpty)
    }

    @Test func loadedContentIsIdenticalWhenStreamed() throws {
        let path = TestSupport.fixture("warc/wget-crawl-excerpt.warc.gz")
        func payloads(_ limit: Int) throws -> [[UInt8]] {
            let s = try WARCScanner(path: path, largestMember: limit)
            var out: [[UInt8]] = []
            while try s.next() != nil { out.append(Array(try #require(try s.loadContent()))) }
            return out
        }
        #expect(try payloads(1 << 10) == payloads(64 << 20))
    }

    @Test func oversizedPayloadsAreSkippedAndCounted() throws {
        let r = try Web.reader([("max_payload", Web.scalar("20KB"))])
        let (docs, c) = try Web.read(TestSupport.fixture("warc/commoncrawl-excerpt.warc.gz"), r)
        let skipped = c.stats.stages[0].counters["skipped_too_large", default: 0]
        #expect(skipped > 0 && docs.count + skipped == 16)
        #expect(docs.allSatisfy { ($0.raw?.count ?? 0) <= 20_000 })
    }

    @Test func oversizedRecordIsStreamedPastAndTheRecordsAfterItKept() throws {
        // An 80 MB response (larger than a member the input holds whole, so zlib streams it and the
        // scanner sheds it as it goes) between real records: skipped, counted, the rest read.
        var records = try WARCReaderTests.plainRecords(TestSupport.fixture("warc/commoncrawl-excerpt.warc.gz"))
        let big = WARCReaderTests.response(
            Array("<html>".utf8) + [UInt8](repeating: 0x61, count: 80 << 20), headers: "Content-Type: text/html")
        records.insert(big, at: 5)
        let path = try TestSupport.temporaryFile("big.warc.gz", try WARCReaderTests.gzipMembers(records))
        let (docs, c) = try Web.read(path, try Web.reader())
        #expect(docs.count == 16)
        #expect(c.stats.stages[0].counters["skipped_too_large"] == 1)
        #expect(c.stats.stages[0].errors.isEmpty)
        #expect(try Web.inspect(path).records.count == 51)
    }
}
