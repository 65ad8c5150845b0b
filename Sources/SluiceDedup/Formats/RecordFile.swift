// Fixed-width binary record files that dedup passes exchange (signature runs, candidate pairs,
// hashes, cluster members; layout in docs/dedup.md), written atomically and read in streaming
// blocks, plus a k-way merge of sorted runs. No compression: the records are random hashes.
import Foundation
import SluiceCore

/// A file of fixed-width records of little-endian `UInt64` words:
/// `magic` (8 ASCII bytes), `width` (UInt64, words per record), `count` (UInt64), then the records.
public enum RecordFile {
    static let headerBytes = 24

    /// Writes `words` (a multiple of `width`) to `path` through `path.tmp` and a rename, so a
    /// crash never leaves a partial file under the final name.
    /// - Throws: `SluiceError(.io)`.
    public static func write(_ words: UnsafeBufferPointer<UInt64>, width: Int, magic: StaticString, to path: String)
        throws
    {
        precondition(width > 0 && words.count % width == 0, "record words must be a multiple of the width")
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try makeDirectory(dir) }
        let temporary = path + ".tmp"
        guard let f = fopen(temporary, "wb") else {
            throw SluiceError(.io, "cannot create: \(String(cString: strerror(errno)))", file: temporary)
        }
        var header: [UInt64] = [magicWord(magic), UInt64(width).littleEndian, UInt64(words.count / width).littleEndian]
        var ok = header.withUnsafeMutableBytes { fwrite($0.baseAddress, 1, $0.count, f) == $0.count }
        if ok, let base = words.baseAddress, !words.isEmpty {
            ok = fwrite(base, 8, words.count, f) == words.count
        }
        ok = fclose(f) == 0 && ok
        guard ok else { throw SluiceError(.io, "write failed (disk full?)", file: temporary) }
        guard rename(temporary, path) == 0 else {
            throw SluiceError(.io, "cannot rename to \(path): \(String(cString: strerror(errno)))", file: temporary)
        }
    }

    /// Writes an array of words (see the pointer variant).
    public static func write(_ words: [UInt64], width: Int, magic: StaticString, to path: String) throws {
        try words.withUnsafeBufferPointer { try write($0, width: width, magic: magic, to: path) }
    }

    /// Reads every record of a file into memory (for small files: counts, summaries).
    public static func readAll(_ path: String, width: Int, magic: StaticString) throws -> [UInt64] {
        let reader = try RecordFileReader(path: path, width: width, magic: magic)
        var out: [UInt64] = []
        out.reserveCapacity(reader.count * width)
        while let r = try reader.next() { out.append(contentsOf: UnsafeBufferPointer(start: r, count: width)) }
        return out
    }

    static func magicWord(_ magic: StaticString) -> UInt64 {
        precondition(magic.utf8CodeUnitCount == 8, "record magic is 8 bytes")
        var w: UInt64 = 0
        for i in 0..<8 { w |= UInt64(magic.utf8Start[i]) << (8 * UInt64(i)) }
        return w
    }

    /// `mkdir -p`.
    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SluiceError(.io, "cannot create folder: \(error.localizedDescription)", file: path)
        }
    }
}

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

/// Owns a `FILE*` and closes it once.
final class FileBox {
    let handle: UnsafeMutablePointer<FILE>
    init(_ handle: UnsafeMutablePointer<FILE>) { self.handle = handle }
    deinit { fclose(handle) }
}

/// Merges sorted record files into one sorted stream (records compare word by word).
///
/// Memory: one read block per file (16 K records) plus a heap of file indices.
public struct SortedRunMerger {
    private var readers: [RecordFileReader]
    private var heads: [UnsafePointer<UInt64>?]
    private var heap: [Int] = []
    private let width: Int

    /// - Throws: errors opening any run.
    public init(paths: [String], width: Int, magic: StaticString) throws {
        self.width = width
        readers = try paths.map { try RecordFileReader(path: $0, width: width, magic: magic, blockRecords: 1 << 13) }
        heads = Array(repeating: nil, count: readers.count)
    }

    /// Calls `body` with every record of every run, in ascending order (ties by run order).
    public mutating func forEach(_ body: (UnsafePointer<UInt64>) throws -> Void) throws {
        heap.removeAll()
        for i in readers.indices {
            heads[i] = try readers[i].next()
            if heads[i] != nil { push(i) }
        }
        while let top = heap.first {
            try body(heads[top]!)
            heads[top] = try readers[top].next()
            if heads[top] == nil {
                let last = heap.removeLast()
                if !heap.isEmpty {
                    heap[0] = last
                    siftDown(0)
                }
            } else {
                siftDown(0)
            }
        }
    }

    @inline(__always) private func less(_ a: Int, _ b: Int) -> Bool {
        let x = heads[a]!
        let y = heads[b]!
        for k in 0..<width where x[k] != y[k] { return x[k] < y[k] }
        return a < b
    }

    private mutating func push(_ i: Int) {
        heap.append(i)
        var c = heap.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            guard less(heap[c], heap[p]) else { break }
            heap.swapAt(c, p)
            c = p
        }
    }

    private mutating func siftDown(_ start: Int) {
        var p = start
        let n = heap.count
        while true {
            let l = 2 * p + 1
            if l >= n { return }
            var m = l
            if l + 1 < n, less(heap[l + 1], heap[l]) { m = l + 1 }
            guard less(heap[m], heap[p]) else { return }
            heap.swapAt(m, p)
            p = m
        }
    }
}

/// Lists the files in `directory` whose names end with `suffix`, sorted (none if it is missing).
func listFiles(_ directory: String, suffix: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.filter { $0.hasSuffix(suffix) }.sorted().map { directory + "/" + $0 }
}

/// Removes the files of `directory` whose names start with `prefix` (a task's stale outputs).
func removeFiles(_ directory: String, prefix: String) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    for n in names where n.hasPrefix(prefix) { unlink(directory + "/" + n) }
}


// MARK: - Document keys

/// A document's key: its file index in the high 24 bits, its ordinal in the low 40.
/// Sorting keys sorts documents in the engine's deterministic order.
public enum DocumentKey {
    public static let ordinalBits: UInt64 = 40
    public static let ordinalMask: UInt64 = (1 << 40) - 1

    @inline(__always) public static func make(file: Int, ordinal: Int) -> UInt64 {
        UInt64(file) << ordinalBits | UInt64(ordinal)
    }
    @inline(__always) public static func file(_ key: UInt64) -> Int { Int(key >> ordinalBits) }
    @inline(__always) public static func ordinal(_ key: UInt64) -> Int { Int(key & ordinalMask) }
    /// `3:1207` for messages and reports.
    public static func describe(_ key: UInt64) -> String { "\(file(key)):\(ordinal(key))" }
}

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
