// Opening streams by file extension: `.gz` → gzip, `.zst`/`.zstd` → zstd, `.bz2` → bzip2,
// anything else a plain file. Content sniffing is deliberately not done: names decide.

/// Opens `path` for streaming reads, decompressing as its extension says.
/// - Throws: `SluiceError(.io)` when the file cannot be opened.
public func openByteSource(_ path: String) throws -> any ByteSource {
    switch Compression(path: path) {
    case .none: try PlainFileSource(path: path)
    case .gzip: try GzipSource(path: path)
    case .zstd: try ZstdSource(path: path)
    case .bzip2: try Bzip2Source(path: path)
    }
}

/// Creates (or truncates) `path` for streaming writes, compressing as its extension says.
/// - Parameters:
///   - level: the compression level; nil takes each format's default (zstd 3, gzip 6, bzip2 9).
/// - Throws: `SluiceError(.io)` when the file cannot be created, `.config` for a level out of range.
public func createByteSink(_ path: String, level: Int? = nil) throws -> any ByteSink {
    let compression = Compression(path: path)
    if let level {
        let range: ClosedRange<Int> =
            switch compression {
            case .none: Int.min...Int.max
            case .gzip, .bzip2: 1...9
            case .zstd: -7...22
            }
        guard range.contains(level) else {
            throw SluiceError(
                .config, "compression level \(level) is outside \(range.lowerBound)...\(range.upperBound)", file: path)
        }
    }
    return switch compression {
    case .none: try PlainFileSink(path: path)
    case .gzip: try GzipSink(path: path, level: level ?? 6)
    case .zstd: try ZstdSink(path: path, level: level ?? 3)
    case .bzip2: try Bzip2Sink(path: path, level: level ?? 9)
    }
}

/// Reopens `path`, written by a checkpointing sink, cut to `size` bytes, to append to it.
/// - Throws: `SluiceError(.io)` when the file is missing or shorter than `size`; `.config` for
///   bzip2, whose sink cannot checkpoint.
public func resumeCheckpointingSink(_ path: String, level: Int? = nil, size: Int) throws -> any CheckpointingSink {
    switch Compression(path: path) {
    case .none: try PlainFileSink(path: path, resumeAt: size)
    case .gzip: try GzipSink(path: path, level: level ?? 6, resumeAt: size)
    case .zstd: try ZstdSink(path: path, level: level ?? 3, resumeAt: size)
    case .bzip2: throw SluiceError(.config, "bzip2 outputs cannot be checkpointed", file: path)
    }
}

extension ByteSource {
    /// Reads to the end into an array (for small files and tests; streaming code reads in blocks).
    public func readAll() throws -> [UInt8] {
        var result: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try block.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return result }
            result.append(contentsOf: block[0..<n])
        }
    }
}

extension ByteSink {
    /// Writes the bytes of an array.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}
