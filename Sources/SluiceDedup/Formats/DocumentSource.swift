// Opens an intermediate document file for reading. Until Core's stream factory is merged, plain
// files only; a compressed file is a clear error rather than garbage.
import Foundation
import SluiceCore

/// Opens `path` as a byte source.
/// - Throws: `SluiceError(.io)` when it cannot be opened or is compressed.
func openDocumentSource(_ path: String) throws -> any ByteSource {
    guard Compression(path: path) == .none else {
        throw SluiceError(.io, "compressed document files need Core's streams", file: path)
    }
    return try PlainDocumentSource(path: path)
}

final class PlainDocumentSource: ByteSource {
    let path: String
    private let file: UnsafeMutablePointer<FILE>
    private(set) var compressedOffset = 0

    init(path: String) throws {
        guard let f = fopen(path, "rb") else { throw SluiceError(.io, "cannot open: \(String(cString: strerror(errno)))", file: path) }
        self.path = path
        self.file = f
    }

    deinit { fclose(file) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let n = fread(base, 1, buffer.count, file)
        if n == 0 && ferror(file) != 0 { throw SluiceError(.io, "read failed", file: path, offset: compressedOffset) }
        compressedOffset += n
        return n
    }
}
