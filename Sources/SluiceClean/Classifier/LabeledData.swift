// Reads labelled examples (text + label) from CSV (RFC 4180: quoted fields with commas, quotes and
// newlines), TSV (tab-separated, no quoting, as the SMS Spam Collection) and JSONL. Columns are
// picked by header name. A missing column or field is an error naming the file and line; the
// whole file is read into memory (label sets are small), which is what training needs anyway.
import Foundation
import SluiceCore

/// One labelled text.
public struct LabeledExample: Sendable, Equatable {
    public var text: String
    public var label: String
    public init(text: String, label: String) {
        self.text = text
        self.label = label
    }
}

/// The file formats `LabeledData` reads.
public enum LabeledFormat: String, Sendable, CaseIterable {
    case csv, tsv, jsonl

    /// The format named by a path's extension (`.csv`, `.tsv`, `.jsonl`/`.json`), or nil.
    public static func guess(path: String) -> LabeledFormat? {
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".tsv") || lower.hasSuffix(".txt") { return .tsv }
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".json") { return .jsonl }
        return nil
    }
}

/// Reads labelled examples.
public enum LabeledData {
    /// Reads `path`.
    /// - Parameters:
    ///   - textField: header name (CSV/TSV) or key (JSONL) of the text.
    ///   - labelField: header name or key of the label; nil reads texts only (label "").
    ///   - format: nil guesses from the extension.
    /// - Throws: `SluiceError(.io)` for an unreadable file, `.config` for an unknown format,
    ///   `.corruptInput` for a missing column or field, naming file and line.
    public static func read(
        path: String, textField: String, labelField: String?, format: LabeledFormat? = nil
    ) throws -> [LabeledExample] {
        guard let format = format ?? LabeledFormat.guess(path: path) else {
            throw SluiceError(
                .config, "cannot tell the format from the extension; pass --format csv|tsv|jsonl", file: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SluiceError(.io, "cannot read the file", file: path)
        }
        let bytes = [UInt8](data)
        switch format {
        case .csv: return try readDelimited(bytes, path: path, separator: 0x2C, quoted: true, textField, labelField)
        case .tsv: return try readDelimited(bytes, path: path, separator: 0x09, quoted: false, textField, labelField)
        case .jsonl: return try readJSONL(bytes, path: path, textField, labelField)
        }
    }

    /// Splits delimited text into records of fields; `quoted` enables RFC 4180 quoting.
    /// Each record carries the 1-based line it starts on.
    static func records(_ b: [UInt8], separator: UInt8, quoted: Bool) -> [(line: Int, fields: [String])] {
        var out: [(Int, [String])] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var i = 0
        var line = 1
        var recordLine = 1
        let n = b.count
        // A UTF-8 byte-order mark is not part of the first header name.
        if n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }
        var atFieldStart = true
        var sawAny = false
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            atFieldStart = true
        }
        while i < n {
            let c = b[i]
            if quoted && atFieldStart && c == 0x22 {
                // Quoted field: up to the closing quote; "" is a literal quote.
                i += 1
                sawAny = true
                while i < n {
                    if b[i] == 0x22 {
                        if i + 1 < n && b[i + 1] == 0x22 {
                            field.append(0x22)
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    if b[i] == 0x0A { line += 1 }
                    field.append(b[i])
                    i += 1
                }
                atFieldStart = false
                continue
            }
            if c == separator {
                endField()
                sawAny = true
                i += 1
            } else if c == 0x0A || c == 0x0D {
                if sawAny || !field.isEmpty || !fields.isEmpty {
                    endField()
                    out.append((recordLine, fields))
                    fields = []
                }
                sawAny = false
                if c == 0x0D && i + 1 < n && b[i + 1] == 0x0A { i += 1 }
                i += 1
                line += 1
                recordLine = line
            } else {
                field.append(c)
                atFieldStart = false
                sawAny = true
                i += 1
            }
        }
        if sawAny || !field.isEmpty || !fields.isEmpty {
            endField()
            out.append((recordLine, fields))
        }
        return out
    }

    static func readDelimited(
        _ b: [UInt8], path: String, separator: UInt8, quoted: Bool, _ textField: String, _ labelField: String?
    ) throws -> [LabeledExample] {
        let rows = records(b, separator: separator, quoted: quoted)
        guard let header = rows.first else {
            throw SluiceError(.corruptInput, "the file is empty (no header row)", file: path)
        }
        func column(_ name: String) throws -> Int {
            guard let k = header.fields.firstIndex(of: name) else {
                let known = header.fields.map { "'\($0)'" }.joined(separator: ", ")
                throw SluiceError(
                    .corruptInput, "no column '\(name)' in the header (columns: \(known))", file: path, line: 1)
            }
            return k
        }
        let textColumn = try column(textField)
        let labelColumn = try labelField.map(column)
        var out: [LabeledExample] = []
        out.reserveCapacity(rows.count)
        for row in rows.dropFirst() {
            let need = max(textColumn, labelColumn ?? 0)
            guard row.fields.count > need else {
                throw SluiceError(
                    .corruptInput, "row has \(row.fields.count) fields, needs at least \(need + 1)", file: path,
                    line: row.line)
            }
            out.append(LabeledExample(text: row.fields[textColumn], label: labelColumn.map { row.fields[$0] } ?? ""))
        }
        return out
    }

    static func readJSONL(_ b: [UInt8], path: String, _ textField: String, _ labelField: String?) throws
        -> [LabeledExample]
    {
        var out: [LabeledExample] = []
        var lineNumber = 0
        var start = 0
        while start < b.count {
            var end = start
            while end < b.count && b[end] != 0x0A { end += 1 }
            lineNumber += 1
            defer { start = end + 1 }
            let slice = b[start..<end]
            if slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(slice))) as? [String: Any] else {
                throw SluiceError(.corruptInput, "line is not a JSON object", file: path, line: lineNumber)
            }
            guard let text = object[textField] as? String else {
                throw SluiceError(.corruptInput, "no string field '\(textField)'", file: path, line: lineNumber)
            }
            var label = ""
            if let labelField {
                switch object[labelField] {
                case let s as String: label = s
                case let n as NSNumber: label = n.stringValue
                default:
                    throw SluiceError(.corruptInput, "no label field '\(labelField)'", file: path, line: lineNumber)
                }
            }
            out.append(LabeledExample(text: text, label: label))
        }
        return out
    }
}
