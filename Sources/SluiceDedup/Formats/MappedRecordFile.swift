// A record file (RecordFile.swift) mapped into memory for binary search by the first word (cluster
// members, duplicate lists). Read only; the header and size are checked as RecordFileReader checks them.
import Foundation
import SluiceCore

/// A record file mapped into memory, for binary search (cluster members, duplicate lists).
public final class MappedRecordFile {
    public let path: String
    public let width: Int
    public let count: Int
    private let data: Data

    /// - Throws: `SluiceError(.io)` or `.corruptInput` as `RecordFileReader` does.
    public init(path: String, width: Int, magic: StaticString) throws {
        _ = try RecordFileReader(path: path, width: width, magic: magic, blockRecords: 1)  // checks header and size
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw SluiceError(.io, "cannot map: \(error.localizedDescription)", file: path)
        }
        self.path = path
        self.width = width
        count = (data.count - RecordFile.headerBytes) / (8 * width)
    }

    /// Calls `body` with the records as one buffer of `count × width` words.
    public func withRecords<R>(_ body: (UnsafeBufferPointer<UInt64>) throws -> R) rethrows -> R {
        try data.withUnsafeBytes { raw in
            let words = UnsafeRawBufferPointer(rebasing: raw[RecordFile.headerBytes...])
            return try words.withMemoryRebound(to: UInt64.self) { try body($0) }
        }
    }

    /// The index of the first record whose first word is ≥ `value` (records sorted by it).
    public func lowerBound(_ value: UInt64) -> Int {
        withRecords { r in
            var lo = 0
            var hi = count
            while lo < hi {
                let mid = (lo + hi) / 2
                if r[mid * width] < value { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }
}
