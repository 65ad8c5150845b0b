// Fixed-width binary record files that dedup passes exchange (signature runs, candidate pairs,
// hashes, cluster members; layout in docs/dedup.md): the format and whole-file writes, and the
// listing of a pass's files. Streaming reads, writes and merges are RecordFileReader.swift,
// RecordStreamWriter.swift, SortedRunMerger.swift. No compression: the records are random hashes.
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
