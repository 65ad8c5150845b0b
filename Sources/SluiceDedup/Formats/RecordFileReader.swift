// Streaming reads of one record file (RecordFile.swift) in blocks of records, with the header
// checked against the file's size. It does not write or merge (RecordStreamWriter.swift,
// SortedRunMerger.swift).
import Foundation
import SluiceCore

/// Reads the records of one record file in blocks.
public final class RecordFileReader {
    public let path: String
    public let width: Int
    /// Records in the file, from its header.
    public let count: Int
    private let file: FileBox
    private let block: UnsafeMutablePointer<UInt64>
    private let blockWords: Int
    private var position = 0
    private var filled = 0
    private var remaining: Int

    /// Opens `path` and checks its header.
    /// - Throws: `SluiceError(.io)` if it cannot be opened, `.corruptInput` for a wrong magic,
    ///   width, or a size that does not match the header.
    public init(path: String, width: Int, magic: StaticString, blockRecords: Int = 1 << 14) throws {
        guard let f = fopen(path, "rb") else {
            throw SluiceError(.io, "cannot open: \(String(cString: strerror(errno)))", file: path)
        }
        file = FileBox(f)
        self.path = path
        self.width = width
        var header = [UInt64](repeating: 0, count: 3)
        let got = header.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        guard got == RecordFile.headerBytes, header[0] == RecordFile.magicWord(magic) else {
            throw SluiceError(.corruptInput, "not a \(magic) record file", file: path)
        }
        guard Int(UInt64(littleEndian: header[1])) == width else {
            throw SluiceError(.corruptInput, "record width \(header[1]) where \(width) was expected", file: path)
        }
        count = Int(UInt64(littleEndian: header[2]))
        var st = stat()
        if fstat(fileno(f), &st) == 0, Int(st.st_size) != RecordFile.headerBytes + count * width * 8 {
            throw SluiceError(.corruptInput, "file size \(st.st_size) does not match \(count) records", file: path)
        }
        remaining = count
        blockWords = max(1, blockRecords) * width
        block = .allocate(capacity: blockWords)
    }

    deinit { block.deallocate() }

    /// The next record (valid until the next call), or nil at the end.
    public func next() throws -> UnsafePointer<UInt64>? {
        if position == filled {
            guard remaining > 0 else { return nil }
            let want = min(remaining, blockWords / width)
            let got = fread(block, 8 * width, want, file.handle)
            guard got == want else { throw SluiceError(.corruptInput, "truncated record file", file: path) }
            remaining -= want
            position = 0
            filled = want * width
        }
        let p = UnsafePointer(block + position)
        position += width
        return p
    }
}
