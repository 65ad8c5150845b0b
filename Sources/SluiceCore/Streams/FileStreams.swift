// Plain files through POSIX read(2)/write(2) with large buffers, and the buffered file input and
// output that the compressed streams sit on. No compression here; see Gzip/Zstd/Bzip2Streams.swift.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The text of `errno`, for messages.
func errnoMessage(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

// Free-function aliases, so that types with `close()`/`write()` methods can still call POSIX.
private func sysClose(_ fd: Int32) -> Int32 { close(fd) }
private func sysWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }

// MARK: - File input

/// A file read in large blocks into one buffer, for decoders that consume it piecemeal.
///
/// `pointer + position ..< pointer + end` holds the bytes read but not yet consumed.
final class FileInput {
    let path: String
    private let fd: Int32
    /// The remote stream when `path` is a URL (RemoteStreams.swift); `fd` is -1 then.
    private let remote: PrefetchingRemoteStream?
    let pointer: UnsafeMutableRawPointer
    let capacity: Int
    private(set) var position = 0
    private(set) var end = 0
    /// Bytes read from the file so far.
    private(set) var fileOffset = 0
    private(set) var atEOF = false

    /// Opens `path` for reading.
    /// - Throws: `SluiceError(.io)` when the file cannot be opened.
    init(path: String, capacity: Int = 1 << 18) throws {
        self.path = path
        if RemoteLocation.isRemote(path) {
            remote = PrefetchingRemoteStream(try RemoteStream(path: path))
            fd = -1
        } else {
            remote = nil
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SluiceError(.io, "cannot open for reading: \(errnoMessage())", file: path) }
            self.fd = fd
        }
        self.capacity = capacity
        pointer = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit {
        if fd >= 0 { _ = sysClose(fd) }
        pointer.deallocate()
    }

    /// Unconsumed bytes in the buffer.
    var available: Int { end - position }
    var current: UnsafeMutableRawPointer { pointer + position }
    /// The offset in the file of the first unconsumed byte.
    var consumedOffset: Int { fileOffset - available }

    func consume(_ n: Int) {
        precondition(n <= available, "consumed more than was read")
        position += n
    }

    /// Reads more bytes once the buffer is used up; sets `atEOF` at the end of the file.
    func refill() throws {
        guard position == end, !atEOF else { return }
        position = 0
        end = 0
        let n = try remote?.read(pointer, capacity) ?? readFully(fd, pointer, capacity, path: path)
        end = n
        fileOffset += n
        if n == 0 { atEOF = true }
    }

    /// Reads straight into `buffer`, bypassing the block buffer (for plain files).
    func readDirect(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if available > 0 {
            let n = min(available, buffer.count)
            buffer.baseAddress!.copyMemory(from: current, byteCount: n)
            position += n
            return n
        }
        let n =
            try remote?.read(buffer.baseAddress!, buffer.count)
            ?? readFully(fd, buffer.baseAddress!, buffer.count, path: path)
        fileOffset += n
        if n == 0 { atEOF = true }
        return n
    }
}

/// Reads up to `count` bytes, retrying on EINTR; returns fewer only at the end of the file.
private func readFully(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ count: Int, path: String) throws -> Int {
    var total = 0
    while total < count {
        let n = read(fd, p + total, count - total)
        if n < 0 {
            if errno == EINTR { continue }
            throw SluiceError(.io, "read failed: \(errnoMessage())", file: path, offset: total)
        }
        if n == 0 { break }
        total += n
    }
    return total
}

// MARK: - File output

/// A file written through a large buffer. Compressed sinks hand it their output blocks.
final class FileOutput {
    let path: String
    private var fd: Int32
    private let pointer: UnsafeMutableRawPointer
    private let capacity: Int
    private var count = 0
    /// Bytes written to the file so far (including those still buffered).
    private(set) var bytesWritten = 0
    /// xxHash64 of the bytes handed to write(2), when a running task will want the file's checksum.
    private var checksum: XXHash64Stream?

    /// Creates or truncates `path`, making missing parent folders; with `resumeAt`, opens it cut
    /// to that many bytes and appends (a task resuming from a checkpoint, TaskCheckpoint.swift).
    /// - Throws: `SluiceError(.io)` when the file cannot be created, or is shorter than `resumeAt`.
    init(path: String, capacity: Int = 1 << 20, resumeAt: Int? = nil) throws {
        self.path = path
        if let resumeAt {
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SluiceError(.io, "cannot reopen to resume: \(errnoMessage())", file: path) }
            var st = stat()
            guard fstat(fd, &st) == 0, Int(st.st_size) >= resumeAt, ftruncate(fd, off_t(resumeAt)) == 0,
                lseek(fd, off_t(resumeAt), SEEK_SET) == off_t(resumeAt)
            else {
                _ = sysClose(fd)
                throw SluiceError(
                    .io, "cannot resume: the file is shorter than its checkpoint", file: path, offset: resumeAt)
            }
            self.fd = fd
            self.capacity = capacity
            bytesWritten = resumeAt
            pointer = .allocate(byteCount: capacity, alignment: 64)
            return
        }
        var fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 && errno == ENOENT {
            makeParentDirectories(of: path)
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        }
        guard fd >= 0 else { throw SluiceError(.io, "cannot create: \(errnoMessage())", file: path) }
        self.fd = fd
        self.capacity = capacity
        pointer = .allocate(byteCount: capacity, alignment: 64)
        if WrittenFileLedger.shared.wants(path) { checksum = XXHash64Stream() }
    }

    deinit {
        if fd >= 0 { _ = sysClose(fd) }
        pointer.deallocate()
    }

    /// Appends bytes, writing full buffers to the file; large blocks go straight through.
    func write(_ p: UnsafeRawPointer, _ n: Int) throws {
        precondition(fd >= 0, "write after close")
        bytesWritten += n
        if count + n <= capacity {
            (pointer + count).copyMemory(from: p, byteCount: n)
            count += n
            return
        }
        try flush()
        if n >= capacity / 2 {
            try writeAll(p, n)
        } else {
            pointer.copyMemory(from: p, byteCount: n)
            count = n
        }
    }

    func flush() throws {
        if count > 0 {
            try writeAll(pointer, count)
            count = 0
        }
    }

    /// Flushes and waits for the bytes to reach the disk (fsync); returns the file's size.
    func sync() throws -> Int {
        try flush()
        guard fsync(fd) == 0 else { throw SluiceError(.io, "fsync failed: \(errnoMessage())", file: path) }
        return bytesWritten
    }

    /// Flushes and closes the file.
    func close() throws {
        guard fd >= 0 else { return }
        try flush()
        let r = sysClose(fd)
        fd = -1
        if r != 0 { throw SluiceError(.io, "close failed: \(errnoMessage())", file: path) }
        if let checksum {
            WrittenFileLedger.shared.record(path, FileChecksum(size: checksum.count, xxh64: checksum.digest()))
        }
    }

    private func writeAll(_ p: UnsafeRawPointer, _ n: Int) throws {
        checksum?.update(UnsafeRawBufferPointer(start: p, count: n))
        var done = 0
        while done < n {
            let w = sysWrite(fd, p + done, n - done)
            if w < 0 {
                if errno == EINTR { continue }
                throw SluiceError(.io, "write failed: \(errnoMessage())", file: path)
            }
            done += w
        }
    }
}

/// `mkdir -p` of the folder holding `path` (errors surface when the file itself is created).
func makeParentDirectories(of path: String) {
    var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    parts.removeLast()
    var prefix = ""
    for (i, part) in parts.enumerated() {
        prefix += (i == 0 ? "" : "/") + part
        if !prefix.isEmpty { mkdir(prefix, 0o755) }
    }
}

// MARK: - Plain streams

/// An uncompressed file as a `ByteSource`.
public final class PlainFileSource: ByteSource {
    private let input: FileInput
    public var path: String { input.path }
    public var compressedOffset: Int { input.consumedOffset }

    /// - Throws: `SluiceError(.io)` when the file cannot be opened.
    public init(path: String) throws { input = try FileInput(path: path, capacity: 1 << 16) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        return try input.readDirect(buffer)
    }
}

/// An uncompressed file as a `ByteSink`.
public final class PlainFileSink: ByteSink, CheckpointingSink {
    private let output: FileOutput

    /// - Parameters:
    ///   - resumeAt: reopen the file cut to this size and append (see `CheckpointingSink`).
    /// - Throws: `SluiceError(.io)` when the file cannot be created.
    public init(path: String, resumeAt: Int? = nil) throws { output = try FileOutput(path: path, resumeAt: resumeAt) }

    public func checkpoint() throws -> Int { try output.sync() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        try output.write(base, bytes.count)
    }

    public func close() throws { try output.close() }
}
