// WARC files in containers that SluiceCore's streams decode (zstd, bzip2). Offsets of records
// in these files are positions in the decoded stream (documented in docs/readme/web.md).
import SluiceCore

/// Opens a decoded byte source for `path`.
/// - Throws: `SluiceError(.corruptInput)` until SluiceCore's streams are available.
func openDecodedSource(path: String, container: WARCContainer) throws -> any ByteSource {
    throw SluiceError(.corruptInput, "\(container.rawValue)-compressed WARC files need SluiceCore streams", file: path, offset: 0)
}
