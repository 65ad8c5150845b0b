// WARC files in containers that SluiceCore's streams decode (zstd, bzip2). Offsets of records
// in these files are positions in the decoded stream (documented in docs/web.md).
// Dictionary-compressed .warc.zst (the IIPC proposal's dictionary frame) is not supported.
import SluiceCore

/// Opens a decoded byte source for `path` through SluiceCore's `openByteSource`.
/// - Throws: `SluiceError(.corruptInput)` when the name does not say the container its bytes show.
func openDecodedSource(path: String, container: WARCContainer) throws -> any ByteSource {
    let named = Compression(path: path)
    guard (container == .zstd && named == .zstd) || (container == .bzip2 && named == .bzip2) else {
        throw SluiceError(
            .corruptInput, "the file holds \(container.rawValue) data; name it .\(container == .zstd ? "zst" : "bz2")",
            file: path, offset: 0)
    }
    return try openByteSource(path)
}
