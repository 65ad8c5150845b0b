// Completion markers: a task is done only when its marker names every file it wrote with the size
// and xxHash64 of the bytes written. `sluice run` redoes a task whose files are missing or have
// another size; `sluice verify` also recomputes the checksums. Checksums of files written through
// the stream sinks are taken while writing (WrittenFileLedger); other files are read once at commit.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// The size and xxHash64 of a file's bytes.
public struct FileChecksum: Equatable, Sendable {
    public var size: Int
    public var xxh64: UInt64

    public init(size: Int, xxh64: UInt64) {
        self.size = size
        self.xxh64 = xxh64
    }

    /// Reads `path` once, in 1 MB blocks.
    /// - Throws: `SluiceError(.io)` when it cannot be read.
    public static func of(path: String) throws -> FileChecksum {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SluiceError(.io, "cannot open: \(String(cString: strerror(errno)))", file: path) }
        defer { close(fd) }
        let block = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { block.deallocate() }
        var hash = XXHash64Stream()
        while true {
            let n = read(fd, block, 1 << 20)
            if n < 0 {
                if errno == EINTR { continue }
                throw SluiceError(.io, "read failed: \(String(cString: strerror(errno)))", file: path)
            }
            if n == 0 { break }
            hash.update(UnsafeRawBufferPointer(start: block, count: n))
        }
        return FileChecksum(size: hash.count, xxh64: hash.digest())
    }

    /// 16 lower-case hex digits.
    public var hex: String {
        let s = String(xxh64, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

/// What a completion marker (`_markers/<pass>/<task>.done`) records.
///
/// ```
/// sluice 3f9c0e…            the plan's fingerprint
/// task segment-0 3 8        pass, task, task count
/// file 48213 9a0c…e1 _work/segment-0/00003.jsonl.zst    size, xxHash64, path under the output folder
/// ```
/// A marker of one line (written before files were recorded) is trusted as it is.
public struct CompletionMarker: Equatable, Sendable {
    public struct File: Equatable, Sendable {
        /// Relative to the output folder.
        public var path: String
        public var checksum: FileChecksum
        public init(path: String, checksum: FileChecksum) {
            self.path = path
            self.checksum = checksum
        }
    }
    public var fingerprint: String
    public var pass: String?
    public var task: Int?
    public var taskCount: Int?
    public var files: [File] = []

    /// The marker's text.
    public var text: String {
        var s = "sluice \(fingerprint)\n"
        if let pass, let task, let taskCount { s += "task \(pass) \(task) \(taskCount)\n" }
        for f in files { s += "file \(f.checksum.size) \(f.checksum.hex) \(f.path)\n" }
        return s
    }

    /// Parses a marker; nil when it is not one.
    public init?(text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)[...]
        guard let first = lines.popFirst(), first.hasPrefix("sluice ") else { return nil }
        fingerprint = String(first.dropFirst(7))
        for line in lines {
            let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            if parts.first == "task", parts.count == 4, let t = Int(parts[2]), let n = Int(parts[3]) {
                pass = String(parts[1])
                task = t
                taskCount = n
            } else if parts.first == "file", parts.count == 4, let size = Int(parts[1]),
                let h = UInt64(parts[2], radix: 16), !parts[3].isEmpty
            {
                files.append(File(path: String(parts[3]), checksum: FileChecksum(size: size, xxh64: h)))
            } else {
                return nil
            }
        }
    }

    public init(fingerprint: String, pass: String, task: Int, taskCount: Int, files: [File]) {
        self.fingerprint = fingerprint
        self.pass = pass
        self.task = task
        self.taskCount = taskCount
        self.files = files
    }

    /// Reads the marker at `path`; nil when missing or not a marker.
    public static func load(_ path: String) -> CompletionMarker? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return CompletionMarker(text: String(decoding: data, as: UTF8.self))
    }

    /// One line per recorded file that is missing or differs, checked against the folder `root`.
    /// - Parameter checksums: also reread each file and compare its xxHash64 (else sizes only).
    public func problems(root: String, checksums: Bool) -> [String] {
        var result: [String] = []
        for f in files {
            let path = root + "/" + f.path
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                result.append("\(path): missing")
                continue
            }
            if Int(st.st_size) != f.checksum.size {
                result.append("\(path): \(st.st_size) bytes, the marker recorded \(f.checksum.size)")
                continue
            }
            if checksums {
                do {
                    let actual = try FileChecksum.of(path: path)
                    if actual != f.checksum {
                        result.append("\(path): xxHash64 \(actual.hex), the marker recorded \(f.checksum.hex)")
                    }
                } catch {
                    result.append("\(path): \(error)")
                }
            }
        }
        return result
    }
}

/// Sizes and checksums of files written through `FileOutput` inside watched folders (the
/// temporary folders of running tasks), so a task's commit need not read its outputs back.
final class WrittenFileLedger: @unchecked Sendable {
    // @unchecked: every field is guarded by `lock`.
    static let shared = WrittenFileLedger()
    private let lock = NSLock()
    private var folders: [String] = []
    private var entries: [String: FileChecksum] = [:]

    /// Starts recording files written under `folder`.
    func watch(_ folder: String) {
        lock.withLock { folders.append(folder.hasSuffix("/") ? folder : folder + "/") }
    }

    /// Stops recording under `folder` and forgets its entries.
    func unwatch(_ folder: String) {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        lock.withLock {
            if let i = folders.firstIndex(of: prefix) { folders.remove(at: i) }
            entries = entries.filter { !$0.key.hasPrefix(prefix) }
        }
    }

    /// Whether a file at `path` should be hashed while it is written.
    func wants(_ path: String) -> Bool {
        lock.withLock { folders.contains { path.hasPrefix($0) } }
    }

    func record(_ path: String, _ checksum: FileChecksum) {
        lock.withLock { entries[path] = checksum }
    }

    /// The checksum recorded for `path`, removed from the ledger.
    func take(_ path: String) -> FileChecksum? {
        lock.withLock { entries.removeValue(forKey: path) }
    }
}
