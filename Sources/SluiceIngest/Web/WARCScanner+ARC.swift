// ARC v1 (the Internet Archive's format before WARC) in the WARC scanner: a one-line record header
// `URL IP DATE MIME LENGTH`, the `filedesc://` version block read as part of its header, as warcio
// does. Content, trailers and resynchronisation are WARCScanner.swift's.
import Foundation
import SluiceCore

extension WARCScanner {
    /// Skips line breaks, spaces and NULs. Returns false at the end of the input.
    func skipBlankLines() throws -> Bool {
        while true {
            if pos >= input.count, try !available(pos + 1) { return false }
            let b = byte(pos)
            guard b == 0x0d || b == 0x0a || b == 0 || b == 0x20 else { return true }
            pos += 1
        }
    }

    /// The next line from `i` (without its line break) and the index after it, or nil at the end.
    private func line(from i: Int) throws -> (UnsafeBufferPointer<UInt8>, Int)? {
        var j = i
        while true {
            if j >= input.count, try !available(j + 1) { break }
            if byte(j) == 0x0a { break }
            j += 1
            if j - i > 65536 { break }
        }
        guard j > i || j < input.count else { return nil }
        var e = j
        if e > i && byte(e - 1) == 0x0d { e -= 1 }
        let base = input.bytes.assumingMemoryBound(to: UInt8.self)
        return (UnsafeBufferPointer(start: base + i, count: e - i), min(j + 1, max(input.count, j)))
    }

    /// Parses an ARC v1 record header line `URL IP DATE MIME LENGTH` (v2 lines have more fields;
    /// the length is the last). The `filedesc://` record's version block (two lines) is read as
    /// part of its header, as warcio does. An unreadable length counts as 0.
    func parseARCHeader() throws -> WARCRecordHead? {
        let start = pos
        guard let (first, afterFirst) = try line(from: start) else { return nil }
        let fields = first.split(separator: 0x20, omittingEmptySubsequences: true)
        guard fields.count >= 5 else {
            report("warc:bad_header", at: start, "ARC header line without its five fields")
            pos = afterFirst
            return nil
        }
        func text(_ f: Slice<UnsafeBufferPointer<UInt8>>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: f), as: UTF8.self)
        }
        // A v1 line is `URL IP DATE MIME LENGTH`; a URL with literal spaces splits into more
        // fields, recognised (as warcio does) by the 14-digit date fourth from the end.
        var urlFields = 1
        var dateField = 2
        if fields.count > 5, fields[fields.count - 3].count == 14,
            fields[fields.count - 3].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            !(fields[2].count == 14 && fields[2].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }))
        {
            urlFields = fields.count - 4
            dateField = fields.count - 3
        }
        let url = fields[0..<urlFields].map(text).joined(separator: " ")
        let lengthText = text(fields[fields.count - 1])
        let declared = Int(lengthText) ?? 0
        var contentStart = afterFirst
        var length = max(0, declared)
        let isHeader = url.hasPrefix("filedesc:")
        if isHeader {
            // Version line and field-names line belong to the header record.
            for _ in 0..<2 {
                guard let (_, next) = try line(from: contentStart) else { break }
                length = max(0, length - (next - contentStart))
                contentStart = next
            }
        }
        pos = contentStart
        self.contentStart = contentStart
        contentEnd = contentStart + length
        declaredLength = length
        recordOffset = input.compressedOffset(of: start)
        content = .pending
        return WARCRecordHead(
            offset: input.compressedOffset(of: start), streamOffset: input.streamOffset(of: start),
            headers: WARCHeaders(version: "ARC/1.0", block: []), type: isHeader ? "arc_header" : "response",
            recordID: "", targetURI: url, date: text(fields[dateField]),
            contentType: fields.count > dateField + 1 ? text(fields[dateField + 1]) : "", contentLength: declared)
    }
}
