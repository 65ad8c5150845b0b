// A `FILE*` owned by a class that closes it once, for the record file reader and writer.
import Foundation

/// Owns a `FILE*` and closes it once.
final class FileBox {
    let handle: UnsafeMutablePointer<FILE>
    init(_ handle: UnsafeMutablePointer<FILE>) { self.handle = handle }
    deinit { fclose(handle) }
}
