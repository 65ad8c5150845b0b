// Finds WARC records in a decoded byte window: parses each header block, hands out the content
// block on request, checks the record trailer, and resynchronises on the next `WARC/` line after
// damage (a Content-Length that lies, a truncated record, garbage, a broken gzip member). It does
// not interpret payloads (HTTP parsing is in HTTPMessage.swift) and never throws for bad data.
import Foundation
import SluiceCore

/// The named header fields of one WARC record, in file order (repeated names kept).
public struct WARCHeaders: Sendable {
    /// `WARC/1.0`, `WARC/1.1`.
    public var version: String
    public var fields: [(name: String, value: String)]

    /// The first value of `name` (ASCII case-insensitive), or nil.
    public func value(_ name: String) -> String? {
        for f in fields where asciiCaseEqual(f.name, name) { return f.value }
        return nil
    }
}

/// One record's header as found in the file.
public struct WARCRecordHead: Sendable {
    /// Offset of the record in the file as stored: for gzip files the start of the member that
    /// holds the record, for plain files its byte offset, for zstd its offset in the decoded stream.
    public var offset: Int
    /// Offset in the decoded stream.
    public var streamOffset: Int
    public var headers: WARCHeaders
    /// `WARC-Type` (`response`, `request`, …; "" when missing).
    public var type: String
    /// `WARC-Record-ID` as written (`<urn:uuid:…>`).
    public var recordID: String
    /// `WARC-Target-URI` as written, or nil.
    public var targetURI: String?
    /// `WARC-Date`.
    public var date: String
    /// `Content-Type` of the record (not of the HTTP payload).
    public var contentType: String
    /// `Content-Length`: bytes in the content block.
    public var contentLength: Int
}

/// A problem the scanner met, with where it was.
public struct WARCProblem: Sendable, CustomStringConvertible {
    /// `warc:truncated_record`, `warc:content_length_mismatch`, `warc:bad_header`, …
    public var reason: String
    public var file: String
    public var offset: Int
    public var message: String
    public var description: String { "\(reason): \(message) (\(file):\(offset))" }
}

/// Iterates the records of one WARC file.
public final class WARCScanner {
    let input: WARCInput
    public var path: String { input.path }
    /// Window index of the next unread byte.
    private var pos = 0
    /// The current record's content block, as window indices (`contentEnd` may lie beyond the window).
    private var contentStart = 0
    private var contentEnd = 0
    private var recordOffset = 0
    private enum Content { case none, pending, done }
    private var content = Content.none
    /// Problems found since the consumer last took them.
    private var problems: [WARCProblem] = []
    /// Set after a reported mismatch: the garbage that follows is the same problem, not a new one.
    private var quietGarbage = false
    /// A header block larger than this is not a header block.
    static let maxHeaderBytes = 1 << 20

    /// Opens `path` (plain, gzip or zstd WARC, sniffed from the first bytes).
    /// - Throws: `SluiceError(.io)` for an unreadable file, `.corruptInput` for an unsupported container.
    public init(path: String) throws {
        input = try WARCInput(path: path)
        // ARC (the format before WARC) starts with a `filedesc://` record.
        _ = try available(11)
        if input.count >= 11, String(decoding: UnsafeRawBufferPointer(start: input.bytes, count: 11), as: UTF8.self) == "filedesc://" {
            throw SluiceError(.corruptInput, "ARC files (filedesc://) are not supported, only WARC", file: path, offset: 0)
        }
    }

    /// Problems found so far (each once), in file order; clears the list.
    public func takeProblems() -> [WARCProblem] {
        for p in input.problems {
            problems.append(WARCProblem(reason: p.reason, file: input.path, offset: p.offset, message: p.message))
        }
        input.problems.removeAll()
        defer { problems.removeAll() }
        return problems
    }

    private func report(_ reason: String, at index: Int, _ message: String) {
        // Input-layer problems found during the fill come first, in file order.
        for p in input.problems {
            problems.append(WARCProblem(reason: p.reason, file: input.path, offset: p.offset, message: p.message))
        }
        input.problems.removeAll()
        problems.append(WARCProblem(reason: reason, file: input.path, offset: input.compressedOffset(of: index), message: message))
    }

    /// Makes the window hold indices below `end` if the input has them. Returns whether it does.
    private func available(_ end: Int) throws -> Bool {
        while input.count < end {
            if try !input.fill() { return false }
        }
        return true
    }

    private func byte(_ i: Int) -> UInt8 { input.bytes.load(fromByteOffset: i, as: UInt8.self) }

    // MARK: - Records

    /// The next record's header, or nil at the end of the file. The previous record's content is
    /// skipped if it was not loaded.
    /// - Throws: only `SluiceError(.io)`-class failures of the underlying stream.
    public func next() throws -> WARCRecordHead? {
        if content == .pending { try finishContent() }
        content = .none
        // Let a gzip window shed what is behind us so it does not grow with the file.
        if pos > (1 << 20) && pos * 2 > input.count {
            pos -= input.discard(before: pos)
        }
        while true {
            guard try skipSeparators() else { return nil }
            if let head = try parseHeader() { return head }
        }
    }

    /// Skips blank lines and NUL padding between records, then garbage up to the next `WARC/`
    /// line (reported once). Returns false at the end of the input.
    private func skipSeparators() throws -> Bool {
        while true {
            if pos >= input.count, try !available(pos + 1) { return false }
            let b = byte(pos)
            if b == 0x0d || b == 0x0a || b == 0 || b == 0x20 {
                pos += 1
                continue
            }
            if try isWARCLine(at: pos) {
                quietGarbage = false
                return true
            }
            let start = pos
            let quiet = quietGarbage
            quietGarbage = false
            guard let k = try findWARCLine(from: pos + 1) else {
                if !quiet {
                    report("warc:garbage", at: start, "\(input.count - start) bytes without a WARC record skipped up to the end")
                }
                pos = input.count
                return false
            }
            if !quiet { report("warc:garbage", at: start, "\(k - start) bytes before the next WARC record skipped") }
            pos = k
            return true
        }
    }

    /// `WARC/` followed by a digit at `i`.
    private func isWARCLine(at i: Int) throws -> Bool {
        guard try available(i + 6) else { return false }
        return byte(i) == 0x57 && byte(i + 1) == 0x41 && byte(i + 2) == 0x52 && byte(i + 3) == 0x43
            && byte(i + 4) == 0x2f && byte(i + 5) >= 0x30 && byte(i + 5) <= 0x39
    }

    /// The next index at or after `from` where a line starts with `WARC/<digit>` (a damaged spot
    /// also counts as a line start), or nil at the end.
    private func findWARCLine(from: Int, before limit: Int = .max) throws -> Int? {
        var i = from
        while true {
            if i + 6 > input.count, try !available(i + 6) { return nil }
            let end = min(input.count - 5, limit)
            if i >= end { return nil }
            guard let p = memchr(input.bytes + i, 0x57, end - i) else {
                i = end
                if end == limit { return nil }
                continue
            }
            let j = input.bytes.distance(to: UnsafeRawPointer(p))
            let lineStart = j == 0 || byte(j - 1) == 0x0a || input.memberStarts(at: j) || input.damage(after: j - 1, through: j) != nil
            if lineStart, try isWARCLine(at: j) { return j }
            i = j + 1
        }
    }

    /// Parses the header block at `pos` (which starts with `WARC/`). On success `pos` is the
    /// content start; on failure the block is reported, skipped and nil returned.
    private func parseHeader() throws -> WARCRecordHead? {
        let start = pos
        // The block ends at the first empty line ("\n\n" or "\n\r\n"), scanned once.
        var i = start
        var end = -1
        while end < 0 {
            if i >= input.count {
                if i - start > WARCScanner.maxHeaderBytes { break }
                if try !available(i + 1) { break }
            }
            let limit = input.count
            guard let p = memchr(input.bytes + i, 0x0a, limit - i) else {
                i = limit
                continue
            }
            let j = input.bytes.distance(to: UnsafeRawPointer(p))
            _ = try available(j + 3)
            if j + 1 < input.count, byte(j + 1) == 0x0a {
                end = j + 2
            } else if j + 2 < input.count, byte(j + 1) == 0x0d, byte(j + 2) == 0x0a {
                end = j + 3
            }
            i = j + 1
        }
        if let d = input.damage(after: start, through: end < 0 ? input.count : end) {
            // The member holding this header is damaged (already reported by the input layer).
            pos = d
            return nil
        }
        guard end > 0 else {
            report("warc:bad_header", at: start, "header block does not end (no empty line)")
            pos = start + 5
            return nil
        }
        // Lines.
        var version = ""
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(16)
        var lineStart = start
        var first = true
        let base = input.bytes.assumingMemoryBound(to: UInt8.self)
        while lineStart < end {
            var lineEnd = lineStart
            while lineEnd < end && base[lineEnd] != 0x0a { lineEnd += 1 }
            var e = lineEnd
            if e > lineStart && base[e - 1] == 0x0d { e -= 1 }
            let line = UnsafeBufferPointer(start: base + lineStart, count: e - lineStart)
            lineStart = lineEnd + 1
            if first {
                version = String(decoding: line, as: UTF8.self)
                first = false
                continue
            }
            if line.isEmpty { break }
            if line[0] == 0x20 || line[0] == 0x09, !fields.isEmpty {
                // Continuation line (RFC 2616 folding, allowed by WARC 1.0).
                fields[fields.count - 1].value += " " + trimmedString(line)
                continue
            }
            guard let colon = line.firstIndex(of: 0x3a) else { continue }  // not a field: ignored
            let name = trimmedString(UnsafeBufferPointer(rebasing: line[..<colon]))
            let value = trimmedString(UnsafeBufferPointer(rebasing: line[(colon + 1)...]))
            fields.append((name, value))
        }
        let headers = WARCHeaders(version: version, fields: fields)
        guard let lengthText = headers.value("Content-Length"), let length = Int(lengthText), length >= 0 else {
            report("warc:bad_header", at: start, "record without a valid Content-Length")
            pos = end
            return nil
        }
        pos = end
        contentStart = end
        contentEnd = end + length
        recordOffset = start
        content = .pending
        return WARCRecordHead(
            offset: input.compressedOffset(of: start), streamOffset: input.streamOffset(of: start), headers: headers,
            type: headers.value("WARC-Type") ?? "", recordID: headers.value("WARC-Record-ID") ?? "",
            targetURI: headers.value("WARC-Target-URI"), date: headers.value("WARC-Date") ?? "",
            contentType: headers.value("Content-Type") ?? "", contentLength: length)
    }

    // MARK: - Content

    /// Up to `limit` leading bytes of the current record's content (fewer if the record or the
    /// input is shorter). Valid until the next call on this scanner.
    public func peekContent(_ limit: Int) throws -> UnsafeRawBufferPointer {
        precondition(content == .pending, "peekContent outside a record")
        let want = min(contentEnd, contentStart + limit)
        _ = try available(want)
        var e = min(want, input.count)
        if let d = input.damage(after: contentStart, through: e) { e = d }
        return UnsafeRawBufferPointer(start: input.bytes + contentStart, count: e - contentStart)
    }

    /// The whole content block of the current record, or nil when the record is broken (then
    /// reported, and the scanner has moved on to the next record). Valid until the next call.
    public func loadContent() throws -> UnsafeRawBufferPointer? {
        precondition(content == .pending, "loadContent outside a record")
        content = .done
        _ = try available(contentEnd + 4)
        guard try checkEnd() else { return nil }
        return UnsafeRawBufferPointer(start: input.bytes + contentStart, count: contentEnd - contentStart)
    }

    /// Skips the current record's content without keeping it and checks that the record is whole;
    /// returns false (after reporting) when it is broken.
    public func skipContent() throws -> Bool {
        precondition(content == .pending, "skipContent outside a record")
        return try finishContent()
    }

    /// Skips the rest of the current record without keeping it (bounded memory for huge records).
    @discardableResult
    private func finishContent() throws -> Bool {
        content = .done
        // Shed the window while skipping a block larger than what is buffered.
        while input.count < contentEnd + 4 {
            if input.damage(after: contentStart, through: input.count) != nil { break }
            let shift = input.discard(before: input.count)
            contentStart = max(0, contentStart - shift)
            contentEnd -= shift
            recordOffset -= shift
            pos = 0
            if try !input.fill() { break }
        }
        return try checkEnd()
    }

    /// Checks that the content block is whole and followed by the record trailer; sets `pos`
    /// to the next record. Returns false (after reporting) when the record is broken.
    private func checkEnd() throws -> Bool {
        let e = contentEnd
        // Damage inside the record or right after it (corrupt deflate data can decode to wrong
        // bytes before zlib notices): the record is not trusted.
        if let d = input.damage(after: contentStart, through: min(e + 64, input.count)) {
            // A broken gzip member cut the record (reported by the input layer).
            _ = takeInputProblemsIntoList()
            pos = d
            return false
        }
        if input.count < e {
            report(
                "warc:truncated_record", at: recordOffset,
                "the input ends \(e - input.count) bytes before the end of the record's Content-Length")
            // Another record may begin inside what we have (a lying Content-Length).
            if let k = try findWARCLine(from: contentStart, before: input.count) { pos = k } else { pos = input.count }
            return false
        }
        let n = input.count - e
        let b0 = n > 0 ? byte(e) : 0
        let b1 = n > 1 ? byte(e + 1) : 0
        let b2 = n > 2 ? byte(e + 2) : 0
        let b3 = n > 3 ? byte(e + 3) : 0
        if n == 0 || input.memberStarts(at: e) || input.damage(after: e - 1, through: e) != nil {
            pos = e  // end of input or of the gzip member: the trailer is missing, the record whole
            return true
        }
        if b0 == 0x0d && b1 == 0x0a && b2 == 0x0d && b3 == 0x0a {
            pos = e + 4
            return true
        }
        if (b0 == 0x0a && b1 == 0x0a) || (b0 == 0x0d && b1 == 0x0a && (n == 2 || b2 == 0x57)) {
            pos = e + 2
            return true
        }
        // Lenient: any run of line breaks (writers disagree on them) followed by the next record.
        var k = e
        while k < input.count && k < e + 64 && (byte(k) == 0x0d || byte(k) == 0x0a) { k += 1 }
        if k == input.count || input.memberStarts(at: k), k < e + 64 {
            pos = k
            return true
        }
        if try isWARCLine(at: k) {
            pos = k
            return true
        }
        // The trailer is not where Content-Length says: the length lies.
        if let k = try findWARCLine(from: contentStart, before: e) {
            report(
                "warc:content_length_mismatch", at: recordOffset,
                "Content-Length says \(contentEnd - contentStart) bytes but the next record starts after \(k - contentStart)")
            pos = k
        } else {
            report(
                "warc:content_length_mismatch", at: recordOffset,
                "no record trailer after Content-Length (\(contentEnd - contentStart)) bytes")
            pos = e
            quietGarbage = true
        }
        return false
    }

    private func takeInputProblemsIntoList() -> Int {
        let n = input.problems.count
        for p in input.problems {
            problems.append(WARCProblem(reason: p.reason, file: input.path, offset: p.offset, message: p.message))
        }
        input.problems.removeAll()
        return n
    }
}

/// ASCII case-insensitive equality (header names).
@inline(__always)
func asciiCaseEqual(_ a: String, _ b: String) -> Bool {
    var x = a.utf8.makeIterator()
    var y = b.utf8.makeIterator()
    while true {
        let p = x.next()
        let q = y.next()
        guard let p, let q else { return p == nil && q == nil }
        if p != q && (p | 0x20) != (q | 0x20) { return false }
        if p != q && !((p | 0x20) >= 0x61 && (p | 0x20) <= 0x7a) { return false }
    }
}

/// A header value without surrounding spaces and tabs, as a String (invalid UTF-8 replaced).
@inline(__always)
func trimmedString(_ line: UnsafeBufferPointer<UInt8>) -> String {
    var s = 0
    var e = line.count
    while s < e && (line[s] == 0x20 || line[s] == 0x09) { s += 1 }
    while e > s && (line[e - 1] == 0x20 || line[e - 1] == 0x09 || line[e - 1] == 0x0d) { e -= 1 }
    return String(decoding: UnsafeBufferPointer(rebasing: line[s..<e]), as: UTF8.self)
}
