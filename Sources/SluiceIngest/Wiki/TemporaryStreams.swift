// TEMPORARY until SluiceCore's streams land in main: plain files only. Delete on merge.
import Foundation
import SluiceCore

final class TemporaryPlainSource: ByteSource {
    let path: String
    private let handle: UnsafeMutablePointer<FILE>
    private(set) var compressedOffset = 0
    init(path: String) throws {
        guard let f = fopen(path, "rb") else { throw SluiceError(.io, "cannot open", file: path) }
        handle = f
        self.path = path
    }
    deinit { fclose(handle) }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = fread(buffer.baseAddress, 1, buffer.count, handle)
        compressedOffset += n
        return n
    }
}

func openByteSource(_ path: String) throws -> any ByteSource {
    if Compression(path: path) != .none { throw SluiceError(.io, "compressed input not yet supported", file: path) }
    return try TemporaryPlainSource(path: path)
}
