// Writes a record file (RecordFile.swift) of unknown length in blocks: through `path.tmp`, the
// count patched into the header on `finish()`, then a rename. Fixed-size outputs use `RecordFile.write`.
import Foundation
import SluiceCore

/// Writes a record file of unknown length in blocks: to `path.tmp`, the header patched with the
/// count on `finish()`, then renamed to `path`.
public final class RecordStreamWriter {
    public let path: String
    public let width: Int
    private let file: FileBox
    private var block: [UInt64] = []
    public private(set) var count = 0
    private var finished = false

    /// - Throws: `SluiceError(.io)` when the temporary file cannot be created.
    public init(path: String, width: Int, magic: StaticString) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try RecordFile.makeDirectory(dir) }
        guard let f = fopen(path + ".tmp", "wb") else {
            throw SluiceError(.io, "cannot create: \(String(cString: strerror(errno)))", file: path + ".tmp")
        }
        file = FileBox(f)
        self.path = path
        self.width = width
        block.reserveCapacity(1 << 15)
        block.append(RecordFile.magicWord(magic))
        block.append(UInt64(width).littleEndian)
        block.append(0)
    }

    /// Appends a one-word record.
    @inline(__always)
    public func append(_ x: UInt64) {
        block.append(x)
        count += 1
        if block.count >= 1 << 15 { try? flush() }
    }

    /// Appends a three-word record.
    @inline(__always)
    public func append3(_ x: UInt64, _ y: UInt64, _ z: UInt64) {
        block.append(x)
        block.append(y)
        block.append(z)
        count += 1
        if block.count >= 1 << 15 { try? flush() }
    }

    /// Appends two-word records without the variadic array.
    @inline(__always)
    public func append2(_ x: UInt64, _ y: UInt64) {
        block.append(x)
        block.append(y)
        count += 1
        if block.count >= 1 << 15 { try? flush() }
    }

    /// Appends one record of `width` words.
    @inline(__always)
    public func appendRecord(_ words: UnsafeBufferPointer<UInt64>) {
        precondition(words.count == width, "a record is \(width) words")
        block.append(contentsOf: words)
        count += 1
        if block.count >= 1 << 15 { try? flush() }
    }

    private func flush() throws {
        let ok = block.withUnsafeBufferPointer { fwrite($0.baseAddress, 8, $0.count, file.handle) == $0.count }
        block.removeAll(keepingCapacity: true)
        if !ok { failed = true }
    }

    private var failed = false

    /// Writes the rest and the header, closes, and renames to the final name.
    /// - Throws: `SluiceError(.io)` if any write failed.
    public func finish() throws {
        precondition(!finished, "finish called twice")
        finished = true
        try flush()
        var header: [UInt64] = [UInt64(count).littleEndian]
        let f = file.handle
        let ok =
            fseek(f, 16, SEEK_SET) == 0 && header.withUnsafeMutableBytes { fwrite($0.baseAddress, 8, 1, f) == 1 }
            && fflush(f) == 0
        guard ok, !failed else { throw SluiceError(.io, "write failed (disk full?)", file: path + ".tmp") }
        guard rename(path + ".tmp", path) == 0 else {
            throw SluiceError(.io, "cannot rename: \(String(cString: strerror(errno)))", file: path + ".tmp")
        }
    }
}
