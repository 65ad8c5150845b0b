// Streaming byte sources and sinks. Compression is chosen by file extension (.gz, .zst, .bz2);
// nothing ever loads a whole file. Implementations: Streams/{Plain,Gzip,Zstd,Bzip2}*.swift.

/// A pull source of decompressed bytes.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 at the end. After a corrupt or truncated
    /// stream it first returns every byte decoded before the damage, then throws
    /// `SluiceError(.corruptInput)` naming the file and compressed offset.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Bytes of the underlying (compressed) file consumed so far.
    var compressedOffset: Int { get }
    /// The path, for messages.
    var path: String { get }
}

/// A push sink of bytes, compressing as its file extension says.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Flushes, ends the compressed stream and closes the file. Further writes are bugs.
    func close() throws
}

/// A sink that can bring its file to a consistent point on disk in the middle of a stream, for
/// task checkpoints (Engine/TaskCheckpoint.swift): the compressed stream ends there (a zstd frame,
/// a gzip member) and the next write starts a new one, so the file, cut to the returned size and
/// reopened with `resumeAt`, goes on with exactly the bytes an uninterrupted writer would write.
public protocol CheckpointingSink: ByteSink {
    /// Ends the current frame or member, flushes, fsyncs, and returns the file's size.
    func checkpoint() throws -> Int
}

/// Compression formats chosen by extension.
public enum Compression: String, Sendable, CaseIterable {
    case none, gzip, zstd, bzip2

    /// `.gz` → gzip, `.zst` → zstd, `.bz2` → bzip2, anything else none.
    public init(path: String) {
        if path.hasSuffix(".gz") {
            self = .gzip
        } else if path.hasSuffix(".zst") || path.hasSuffix(".zstd") {
            self = .zstd
        } else if path.hasSuffix(".bz2") {
            self = .bzip2
        } else {
            self = .none
        }
    }

    /// The extension appended for this compression (`.zst`), "" for none.
    public var fileExtension: String {
        switch self {
        case .none: ""
        case .gzip: ".gz"
        case .zstd: ".zst"
        case .bzip2: ".bz2"
        }
    }
}
