// Reading a child process's pipe to its end. Foundation's `readDataToEndOfFile()` traps when a
// `read` is interrupted by a signal (EINTR), which happens whenever another child of the process
// exits meanwhile (Foundation's `Process` handles SIGCHLD): this loop retries instead.
import Foundation

extension FileHandle {
    /// Every byte until end of file, retrying reads a signal interrupted.
    /// - Throws: `SluiceError(.io)` for any other read error.
    public func readToEndRetryingInterrupts() throws -> Data {
        var data = Data()
        let chunk = 1 << 16
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let n = Glibc.read(fileDescriptor, buffer, chunk)
            if n > 0 {
                data.append(buffer.assumingMemoryBound(to: UInt8.self), count: n)
            } else if n == 0 {
                return data
            } else if errno != EINTR {
                throw SluiceError(.io, "cannot read a pipe: \(String(cString: strerror(errno)))")
            }
        }
    }
}
