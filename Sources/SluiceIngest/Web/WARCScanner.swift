// Finds WARC records in a decoded byte window: parses each header block, hands out the content
// block on request, checks the record trailer, and resynchronises on the next `WARC/` line after
// damage (a Content-Length that lies, a truncated record, garbage, a broken gzip member). A record
// cut short or mis-sized is handed out as far as it goes, marked; skipping and loading a block end
// it at the same place. It does not interpret payloads (HTTPMessage.swift) and never throws for bad data.
import Foundation
import SluiceCore

/// Iterates the records of one WARC file.
public final class WARCScanner {
    let input: WARCInput
    public var path: String { input.path }
    // The state below is internal, not private, for the ARC record parser (WARCScanner+ARC.swift).
    /// Window index of the next unread byte.
    var pos = 0
    /// The current record's content block, as window indices (`contentEnd` may lie beyond the window).
    var contentStart = 0
    var contentEnd = 0
    /// The current record's offset in the file as stored (taken at its header: window indices
    /// shift as a skipped block is shed, and the member holding the record may be gone by then).
    var recordOffset = 0
    /// The current record's Content-Length as declared (window indices shift; this does not).
    var declaredLength = 0
    enum Content { case none, pending, done }
    var content = Content.none
    /// Problems found since the consumer last took them.
    private var problems: [WARCProblem] = []
    /// Set after a reported mismatch: the garbage that follows is the same problem, not a new one.
    private var quietGarbage = false
    /// Window index before which no empty line exists past the last failed header scan.
    private var noBlankLineBefore = 0
    /// A header block larger than this is not a header block.
    static let maxHeaderBytes = 1 << 20

    /// Opens `path` (plain, gzip or zstd WARC, sniffed from the first bytes).
    /// - Throws: `SluiceError(.io)` for an unreadable file, `.corruptInput` for an unsupported container.
    public convenience init(path: String) throws {
        try self.init(path: path, largestMember: 64 << 20)
    }

    /// `largestMember`: gzip members that decode larger than this are streamed through zlib.
    init(path: String, largestMember: Int) throws {
        input = try WARCInput(path: path, largestMember: largestMember)
        // ARC (the format before WARC) starts with a `filedesc://` record.
        _ = try available(11)
        isARC =
            input.count >= 11
            && String(decoding: UnsafeRawBufferPointer(start: input.bytes, count: 11), as: UTF8.self) == "filedesc://"
    }

    /// Whether the file is ARC v1 (Internet Archive, before WARC): records are `arc_header` (the
    /// `filedesc://` record) and `response`, with no record ids.
    public private(set) var isARC = false

    /// Problems found so far (each once), in file order; clears the list.
    public func takeProblems() -> [WARCProblem] {
        for p in input.problems {
            problems.append(WARCProblem(reason: p.reason, file: input.path, offset: p.offset, message: p.message))
        }
        input.problems.removeAll()
        defer { problems.removeAll() }
        return problems
    }

    func report(_ reason: String, at index: Int, _ message: String) {
        report(reason, fileOffset: input.compressedOffset(of: index), message)
    }

    private func report(_ reason: String, fileOffset: Int, _ message: String) {
        // Input-layer problems found during the fill come first, in file order.
        for p in input.problems {
            problems.append(WARCProblem(reason: p.reason, file: input.path, offset: p.offset, message: p.message))
        }
        input.problems.removeAll()
        problems.append(WARCProblem(reason: reason, file: input.path, offset: fileOffset, message: message))
    }

    /// Makes the window hold indices below `end` if the input has them. Returns whether it does.
    func available(_ end: Int) throws -> Bool {
        while input.count < end {
            if try !input.fill() { return false }
        }
        return true
    }

    func byte(_ i: Int) -> UInt8 { input.bytes.load(fromByteOffset: i, as: UInt8.self) }

    // MARK: - Records

    /// The next record's header, or nil at the end of the file. The previous record's content is
    /// skipped if it was not loaded.
    /// - Throws: only `SluiceError(.io)`-class failures of the underlying stream.
    public func next() throws -> WARCRecordHead? {
        if content == .pending { _ = try finishContent(keep: false) }
        content = .none
        // Let a gzip window shed what is behind us so it does not grow with the file.
        if pos > (1 << 20) && pos * 2 > input.count {
            pos -= input.discard(before: pos)
            noBlankLineBefore = 0
        }
        while true {
            if isARC {
                guard try skipBlankLines() else { return nil }
                if let head = try parseARCHeader() { return head }
                continue
            }
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
                    report(
                        "warc:garbage", at: start,
                        "\(input.count - start) bytes without a WARC record skipped up to the end")
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
            let lineStart =
                j == 0 || byte(j - 1) == 0x0a || input.memberStarts(at: j)
                || input.damage(after: j - 1, through: j) != nil
            if lineStart, try isWARCLine(at: j) { return j }
            i = j + 1
        }
    }

    /// Parses the header block at `pos` (which starts with `WARC/`). On success `pos` is the
    /// content start; on failure the block is reported, skipped and nil returned.
    private func parseHeader() throws -> WARCRecordHead? {
        let start = pos
        // The block ends at the first empty line ("\n\n" or "\n\r\n"), scanned once.
        // Bytes before `noBlankLineBefore` are known to hold no empty line: never scan them twice.
        var i = max(start, noBlankLineBefore - 2)
        var end = -1
        let cap = start + WARCScanner.maxHeaderBytes
        while end < 0 {
            // Bounded: a "header" that runs on past 1 MiB is not one.
            if i >= cap { break }
            if i >= input.count, try !available(i + 1) { break }
            let limit = min(input.count, cap)
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
        if end < 0 { noBlankLineBefore = max(noBlankLineBefore, i) }
        if let d = input.damage(after: start, through: end < 0 ? input.count : end) {
            // The member holding this header is damaged (already reported by the input layer).
            pos = d
            return nil
        }
        guard end > 0 else {
            report("warc:bad_header", at: start, "header block does not end (no empty line)")
            // Nothing up to where the scan stopped can hold a whole header: skip it all at once.
            pos = max(start + 5, min(i, input.count))
            quietGarbage = true
            return nil
        }
        // Lines: the version, then fields. The fields every caller needs are read here, on bytes.
        let base = input.bytes.assumingMemoryBound(to: UInt8.self)
        var lineEnd = start
        while base[lineEnd] != 0x0a { lineEnd += 1 }
        var versionEnd = lineEnd
        if versionEnd > start && base[versionEnd - 1] == 0x0d { versionEnd -= 1 }
        let version = String(
            decoding: UnsafeBufferPointer(start: base + start, count: versionEnd - start), as: UTF8.self)
        let fieldsStart = lineEnd + 1
        var type: String?
        var recordID: String?
        var targetURI: String?
        var date: String?
        var contentType: String?
        var length: Int?
        var badLength = false
        var language: String?
        var truncated: String?
        forEachHeaderLine(UnsafeBufferPointer(start: base + fieldsStart, count: max(0, end - fieldsStart))) { line in
            guard line[0] != 0x20 && line[0] != 0x09, let colon = line.firstIndex(of: 0x3a) else { return true }
            var ne = colon
            while ne > 0 && (line[ne - 1] == 0x20 || line[ne - 1] == 0x09) { ne -= 1 }
            let name = UnsafeBufferPointer(rebasing: line[..<ne])
            let value = UnsafeBufferPointer(rebasing: line[(colon + 1)...])
            switch name.count {
            case 9:
                if type == nil, bytesEqualLower(name, "warc-type") {
                    type = trimmedString(value)
                } else if date == nil, bytesEqualLower(name, "warc-date") {
                    date = trimmedString(value)
                }
            case 12:
                if contentType == nil, bytesEqualLower(name, "content-type") { contentType = trimmedString(value) }
            case 14:
                if recordID == nil, bytesEqualLower(name, "warc-record-id") {
                    recordID = trimmedString(value)
                } else if truncated == nil, bytesEqualLower(name, "warc-truncated") {
                    truncated = trimmedString(value)
                } else if length == nil, !badLength, bytesEqualLower(name, "content-length") {
                    var n = 0
                    var digits = 0
                    for c in value where c != 0x20 && c != 0x09 && c != 0x0d {
                        guard c >= 0x30 && c <= 0x39, digits < 18 else {
                            badLength = true
                            return true
                        }
                        n = n * 10 + Int(c - 0x30)
                        digits += 1
                    }
                    if digits > 0 { length = n } else { badLength = true }
                }
            case 15:
                if targetURI == nil, bytesEqualLower(name, "warc-target-uri") { targetURI = trimmedString(value) }
            case 32:
                if language == nil, bytesEqualLower(name, "warc-identified-content-language") {
                    language = trimmedString(value)
                }
            default: break
            }
            return true
        }
        guard let length, !badLength else {
            report("warc:bad_header", at: start, "record without a valid Content-Length")
            pos = end
            return nil
        }
        let headers = WARCHeaders(
            version: version,
            block: Array(UnsafeBufferPointer(start: base + fieldsStart, count: max(0, end - fieldsStart))))
        pos = end
        contentStart = end
        contentEnd = end + length
        declaredLength = length
        recordOffset = input.compressedOffset(of: start)
        content = .pending
        return WARCRecordHead(
            offset: input.compressedOffset(of: start), streamOffset: input.streamOffset(of: start), headers: headers,
            type: type ?? "", recordID: recordID ?? "", targetURI: targetURI, date: date ?? "",
            contentType: contentType ?? "", contentLength: length, identifiedLanguage: language, truncated: truncated)
    }

    // MARK: - Content

    /// Why the current record's content is incomplete, when it is kept anyway (warcio and
    /// fastwarc yield such records too): `truncated_record` (the input ends inside it),
    /// `truncated_gzip_member` (the file ends inside its gzip member) or `content_length_mismatch`
    /// (no trailer where Content-Length says, so the block may be cut or run on). nil when whole.
    /// Set by `loadContent` and `skipContent`; the problem itself is reported once, as usual.
    public private(set) var contentTruncation: String?

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

    /// The content block of the current record, or nil when the record is broken beyond use
    /// (a corrupt gzip member; then reported, and the scanner has moved on to the next record).
    /// A block cut short or with a wrong Content-Length is returned as far as it goes, with
    /// `contentTruncation` set. Valid until the next call.
    public func loadContent() throws -> UnsafeRawBufferPointer? {
        precondition(content == .pending, "loadContent outside a record")
        guard let end = try finishContent(keep: true) else { return nil }
        return UnsafeRawBufferPointer(start: input.bytes + contentStart, count: max(0, end - contentStart))
    }

    /// Skips the current record's content without keeping it (bounded memory) and checks the
    /// record exactly as `loadContent` does, so both find the same records. Returns false (after
    /// reporting) when the record is broken beyond use; a kept incomplete record returns true with
    /// `contentTruncation` set.
    public func skipContent() throws -> Bool {
        precondition(content == .pending, "skipContent outside a record")
        return try finishContent(keep: false) != nil
    }

    /// How far past a possible record start inside a claimed block the window may grow while
    /// looking for the block's end; beyond it the Content-Length is taken to lie.
    static let resyncLookahead = 64 << 20

    /// Brings the record's end (and its trailer) into the window, then checks it. With `keep`
    /// false the window sheds what is behind while no `WARC/` line has been seen inside the
    /// block, so a huge record streams past in bounded memory; once a record may start inside
    /// the block, the bytes from there on are kept, so skipping and loading resynchronise at the
    /// same place. Returns the window index where the usable content ends, or nil when broken.
    private func finishContent(keep: Bool) throws -> Int? {
        content = .done
        contentTruncation = nil
        var scanned = contentStart  // no record start inside the block before this index
        var candidate: Int?
        var gaveUp = false
        while input.count < contentEnd + 4 {
            if input.damage(after: contentStart, through: input.count) != nil { break }
            if candidate == nil {
                let limit = min(input.count, contentEnd)
                if limit > scanned {
                    candidate = try findWARCLine(from: scanned, before: limit)
                    scanned = max(scanned, limit - 6)
                }
            }
            if let c = candidate, input.count - c > WARCScanner.resyncLookahead {
                gaveUp = true
                break
            }
            if !keep && candidate == nil && scanned > 1 {
                // Keep the byte before `scanned`, so a line start there is still recognised.
                let shift = input.discard(before: scanned - 1)
                noBlankLineBefore = 0
                contentStart = max(0, contentStart - shift)
                contentEnd -= shift
                scanned -= shift
                pos = 0
            }
            if try !input.fill() { break }
        }
        return try checkEnd(gaveUp: gaveUp)
    }

    /// The index before the CR/LF run that ends at `k` (a record cut where the next one starts).
    private func trimmedEnd(_ k: Int) -> Int {
        // Only a whole trailer: a CR or LF before it may be the block's own last byte.
        func at(_ i: Int, _ c: UInt8) -> Bool { i >= contentStart && byte(i) == c }
        if at(k - 4, 0x0d) && at(k - 3, 0x0a) && at(k - 2, 0x0d) && at(k - 1, 0x0a) { return k - 4 }
        if at(k - 2, 0x0a) && at(k - 1, 0x0a) { return k - 2 }
        return k
    }

    /// Checks that the content block is whole and followed by the record trailer; sets `pos` to
    /// the next record. Returns where the usable content ends (`contentEnd` for a whole record),
    /// or nil (after reporting) when the record is broken beyond use.
    private func checkEnd(gaveUp: Bool) throws -> Int? {
        let e = contentEnd
        let declared = declaredLength
        // Damage inside the record or right after it.
        if let d = input.damage(after: contentStart, through: min(e + 64, input.count)) {
            _ = takeInputProblemsIntoList()
            pos = d
            // The file ends inside the member: what decoded is sound, keep it (marked when cut).
            if d == input.truncationBreak {
                if d >= e { return e }
                contentTruncation = input.container == .gzip ? "truncated_gzip_member" : "truncated_stream"
                return d
            }
            // Corrupt deflate data can decode to wrong bytes before zlib notices: not trusted.
            return nil
        }
        if input.count < e {
            // Another record may begin inside what we have (a lying Content-Length).
            if let k = try findWARCLine(from: contentStart, before: input.count) {
                let lookahead = "\(WARCScanner.resyncLookahead >> 20) MiB"
                let why = gaveUp ? "its end is not within \(lookahead) of a record start" : "the input ends first"
                report(
                    "warc:content_length_mismatch", fileOffset: recordOffset,
                    "Content-Length says \(declared) bytes but \(why); a record starts after \(k - contentStart)")
                pos = k
                contentTruncation = "content_length_mismatch"
                return trimmedEnd(k)
            }
            report(
                "warc:truncated_record", fileOffset: recordOffset,
                "the input ends \(e - input.count) bytes before the end of the record's Content-Length (\(declared))")
            pos = input.count
            contentTruncation = "truncated_record"
            return input.count
        }
        if isARC {
            pos = e  // ARC has no record trailer to check; line breaks are skipped before the next header
            return e
        }
        let n = input.count - e
        let b0 = n > 0 ? byte(e) : 0
        let b1 = n > 1 ? byte(e + 1) : 0
        let b2 = n > 2 ? byte(e + 2) : 0
        let b3 = n > 3 ? byte(e + 3) : 0
        if n == 0 || input.memberStarts(at: e) || input.damage(after: e - 1, through: e) != nil {
            pos = e  // end of input or of the gzip member: the trailer is missing, the record whole
            return e
        }
        if b0 == 0x0d && b1 == 0x0a && b2 == 0x0d && b3 == 0x0a {
            pos = e + 4
            return e
        }
        if (b0 == 0x0a && b1 == 0x0a) || (b0 == 0x0d && b1 == 0x0a && (n == 2 || b2 == 0x57)) {
            pos = e + 2
            return e
        }
        // Lenient: another run of line breaks, then the next record (or the end). The block is
        // whole as far as it was declared, but the length is off by the extra line breaks (warcio's
        // example-wrong-chunks: one byte short): kept, marked and counted.
        var k = e
        while k < input.count && k < e + 64 && (byte(k) == 0x0d || byte(k) == 0x0a) { k += 1 }
        let nextRecord = try isWARCLine(at: k)
        if (k == input.count || input.memberStarts(at: k)) && k < e + 64 || nextRecord {
            report(
                "warc:content_length_mismatch", fileOffset: recordOffset,
                "Content-Length says \(declared) bytes but \(k - e) line-break bytes follow before the next record")
            contentTruncation = "content_length_mismatch"
            pos = k
            return e
        }
        // The trailer is not where Content-Length says: the length lies. The block is kept as far
        // as the next record (or as declared), marked, as warcio and fastwarc yield it.
        contentTruncation = "content_length_mismatch"
        if let k = try findWARCLine(from: contentStart, before: e) {
            report(
                "warc:content_length_mismatch", fileOffset: recordOffset,
                "Content-Length says \(declared) bytes but the next record starts after \(k - contentStart)")
            pos = k
            return trimmedEnd(k)
        }
        report(
            "warc:content_length_mismatch", fileOffset: recordOffset,
            "no record trailer after Content-Length (\(declared)) bytes")
        pos = e
        quietGarbage = true
        return e
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
