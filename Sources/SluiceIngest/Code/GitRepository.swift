// Reading a git repository (bare or work tree) through the `git` command: `rev-parse` for the
// revision, `ls-tree -r -z -l` for the file list with sizes, and one long-lived
// `git cat-file --batch` process for contents, fed requests in batches so that pipes never
// deadlock. It does not read packfiles itself and never writes to the repository.
import Foundation
import SluiceCore

#if canImport(Glibc)
    import Glibc
#endif

/// One blob, tree link or submodule in a `git ls-tree -r -l` listing.
struct GitTreeEntry {
    var mode: String
    /// `blob` or `commit` (a submodule).
    var type: String
    var object: String
    /// Bytes (0 for submodules).
    var size: Int
    var path: String
}

/// A repository read through the `git` command.
struct GitRepository {
    let path: String

    /// Whether `path` looks like a bare repository or a work tree.
    static func isRepository(_ path: String) -> Bool {
        let fm = FileManager.default
        if fm.fileExists(atPath: path + "/.git") { return true }
        var isDir: ObjCBool = false
        return fm.fileExists(atPath: path + "/HEAD") && fm.fileExists(atPath: path + "/objects", isDirectory: &isDir)
            && isDir.boolValue
    }

    /// Runs `git -C path args…` and returns its standard output.
    /// - Throws: `SluiceError(.io)` with git's message when it fails or cannot start.
    func run(_ args: [String]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.gitExecutable())
        process.arguments = ["-C", path] + args
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw SluiceError(.io, "cannot run git: \(error)", file: path)
        }
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = (try? err.fileHandleForReading.readToEndRetryingInterrupts()) ?? Data()
            group.leave()
        }
        let data = try out.fileHandleForReading.readToEndRetryingInterrupts()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errData, as: UTF8.self).trimmingASCIIWhitespace()
            throw SluiceError(.io, "git \(args.first ?? ""): \(message.isEmpty ? "failed" : message)", file: path)
        }
        return Array(data)
    }

    static func gitExecutable() throws -> String {
        for p in ["/usr/bin/git", "/usr/local/bin/git", "/opt/homebrew/bin/git", "/bin/git"]
        where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        if let paths = ProcessInfo.processInfo.environment["PATH"] {
            for dir in paths.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/git") {
                return "\(dir)/git"
            }
        }
        throw SluiceError(.io, "the `git` command is not installed (apt-get install git)")
    }

    /// The commit id `revision` names.
    func resolve(_ revision: String) throws -> String {
        let out = try run(["rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"])
        let sha = String(decoding: out, as: UTF8.self).trimmingASCIIWhitespace()
        guard sha.utf8.count >= 40 else { throw SluiceError(.io, "unknown revision '\(revision)'", file: path) }
        return sha
    }

    /// Every file of `commit`, recursively, in git's (byte) order.
    func listTree(_ commit: String) throws -> [GitTreeEntry] {
        let out = try run(["ls-tree", "-r", "-z", "-l", "--full-tree", commit])
        var entries: [GitTreeEntry] = []
        // Each record: `<mode> SP <type> SP <object> SP+ <size>\t<path>\0`.
        var start = 0
        while start < out.count {
            guard let end = out[start...].firstIndex(of: 0) else { break }
            let record = out[start..<end]
            start = end + 1
            guard let tab = record.firstIndex(of: 9) else { continue }
            let fields = record[..<tab].split(separator: 32)
            guard fields.count == 4 else { continue }
            entries.append(
                GitTreeEntry(
                    mode: String(decoding: fields[0], as: UTF8.self), type: String(decoding: fields[1], as: UTF8.self),
                    object: String(decoding: fields[2], as: UTF8.self),
                    size: Int(String(decoding: fields[3], as: UTF8.self)) ?? 0,
                    path: String(decoding: record[(tab + 1)...], as: UTF8.self)))
        }
        return entries
    }
}

/// A running `git cat-file --batch`: write object ids, read `<id> <type> <size>\n<bytes>\n` back.
final class GitCatFile {
    private let process: Process
    private let input: Int32
    private let output: Int32
    private let inputPipe: Pipe
    private let outputPipe: Pipe
    private var buffer: [UInt8] = []
    private var position = 0
    private var closed = false
    let repository: String

    init(repository: GitRepository) throws {
        // A dead git must not kill us with SIGPIPE while we write requests.
        signal(SIGPIPE, SIG_IGN)
        process = Process()
        process.executableURL = URL(fileURLWithPath: try GitRepository.gitExecutable())
        process.arguments = ["-C", repository.path, "cat-file", "--batch"]
        inputPipe = Pipe()
        outputPipe = Pipe()
        process.standardInput = inputPipe
        process.standardOutput = outputPipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw SluiceError(.io, "cannot run git cat-file: \(error)", file: repository.path)
        }
        input = inputPipe.fileHandleForWriting.fileDescriptor
        output = outputPipe.fileHandleForReading.fileDescriptor
        self.repository = repository.path
        buffer.reserveCapacity(1 << 20)
    }

    deinit { close() }

    /// Sends object ids; keep each batch well under the pipe size (64 KB) before reading answers.
    func request(_ objects: [String]) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(objects.count * 41)
        for o in objects {
            bytes.append(contentsOf: o.utf8)
            bytes.append(10)
        }
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(input, $0.baseAddress! + sent, bytes.count - sent) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SluiceError(.io, "git cat-file stopped accepting requests", file: repository)
            }
            sent += n
        }
    }

    /// Reads the next answer: the object's bytes, or nil when git says it is missing.
    func readObject(into content: inout [UInt8]) throws -> Bool {
        let header = try readLine()
        // `<id> <type> <size>` or `<id> missing`.
        let parts = header.split(separator: 32)
        guard parts.count == 3, let size = Int(String(decoding: parts[2], as: UTF8.self)) else { return false }
        content.removeAll(keepingCapacity: true)
        content.reserveCapacity(size)
        try readExactly(size, into: &content)
        var newline: [UInt8] = []
        try readExactly(1, into: &newline)
        return true
    }

    private func fill() throws {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        }
        let old = buffer.count
        let want = 1 << 16
        buffer.reserveCapacity(old + want)
        var n = 0
        buffer += [UInt8](repeating: 0, count: want)
        repeat {
            n = buffer.withUnsafeMutableBytes { Glibc.read(output, $0.baseAddress! + old, want) }
        } while n < 0 && errno == EINTR
        buffer.removeLast(want - max(n, 0))
        if n <= 0 { throw SluiceError(.io, "git cat-file ended early", file: repository) }
    }

    private func readLine() throws -> [UInt8] {
        while true {
            if let nl = buffer[position...].firstIndex(of: 10) {
                let line = Array(buffer[position..<nl])
                position = nl + 1
                return line
            }
            if position > 0 {
                buffer.removeFirst(position)
                position = 0
            }
            try fill()
        }
    }

    private func readExactly(_ count: Int, into out: inout [UInt8]) throws {
        var remaining = count
        while remaining > 0 {
            if position == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                position = 0
                if remaining >= 1 << 16 {
                    // Large objects: read straight into the destination.
                    let old = out.count
                    out += [UInt8](repeating: 0, count: remaining)
                    var got = 0
                    while got < remaining {
                        let n = out.withUnsafeMutableBytes {
                            Glibc.read(output, $0.baseAddress! + old + got, remaining - got)
                        }
                        if n < 0 && errno == EINTR { continue }
                        if n <= 0 { throw SluiceError(.io, "git cat-file ended early", file: repository) }
                        got += n
                    }
                    return
                }
                try fill()
            }
            let take = min(remaining, buffer.count - position)
            out.append(contentsOf: buffer[position..<(position + take)])
            position += take
            remaining -= take
        }
    }

    /// Closes git's input and waits for it to exit.
    func close() {
        guard !closed else { return }
        closed = true
        try? inputPipe.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
