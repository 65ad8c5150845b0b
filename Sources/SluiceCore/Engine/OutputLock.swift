// Who may write into an output folder: one local run (all tasks) at a time, or any number of
// scheduler tasks (`--task-index`) that each hold their own (pass, task). flock(2) locks, which the
// kernel drops when their holder dies, so a lock left by a killed run is simply taken over.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// A held lock on an output folder; released when the value is deinitialized (or the process ends).
///
/// Scopes:
/// - `exclusive(root:)`: a local run of every task (or of one pass). Holds `OUT/_lock` exclusively,
///   so it fails fast while any other run or scheduler task uses the folder.
/// - `task(root:pass:task:)`: one scheduler task (a Slurm array element). Holds `OUT/_lock` shared,
///   so array elements run side by side, and `OUT/_locks/<pass>/<task>.lock` exclusively, so the
///   same task is never run twice at once.
/// - `shared(root:)`: readers such as `sluice verify`, which must not race a local run.
///
/// The holder writes `pid <n> host <name> since <time>: <command>` into the file it holds
/// exclusively; a refused run quotes it. On a file system without working locks (some network
/// mounts) the lock is not taken and `warning` says so.
public final class OutputLock {
    private var descriptors: [Int32] = []
    /// Set when the file system refused locking altogether; the run goes on unprotected.
    public private(set) var warning: String?

    private init() {}

    deinit {
        // LOCK_UN releases the lock of the open file description, also in a child forked meanwhile
        // that has not yet reached exec (and its O_CLOEXEC close).
        for fd in descriptors {
            _ = flock(fd, LOCK_UN)
            close(fd)
        }
    }

    /// The lock file of the whole folder.
    public static func folderLockPath(_ root: String) -> String { root + "/_lock" }
    /// The lock file of one scheduler task.
    public static func taskLockPath(_ root: String, pass: String, task: Int) -> String {
        "\(root)/_locks/\(pass)/\(OutputLayout.stem(task)).lock"
    }

    /// Locks the whole folder for this process (a local run).
    /// - Throws: `SluiceError(.usage)` naming the other process when the folder is in use;
    ///   `.config` when `root` is a file; `.io` when the folder cannot be made.
    public static func exclusive(root: String) throws -> OutputLock {
        try ensureFolder(root)
        let lock = OutputLock()
        let path = folderLockPath(root)
        let fd = try lock.openFile(path)
        switch lock.take(fd, LOCK_EX) {
        case .taken: stamp(fd)
        case .busy: throw inUse(root, holder: holderOfFolder(root))
        case .unsupported: break
        }
        return lock
    }

    /// Locks one (pass, task) for a scheduler array element; other tasks may run beside it.
    public static func task(root: String, pass: String, task: Int) throws -> OutputLock {
        try ensureFolder(root)
        let lock = OutputLock()
        let folderFD = try lock.openFile(folderLockPath(root))
        switch lock.take(folderFD, LOCK_SH) {
        case .taken, .unsupported: break
        case .busy: throw inUse(root, holder: description(ofFile: folderLockPath(root)))
        }
        guard lock.warning == nil else { return lock }
        let path = taskLockPath(root, pass: pass, task: task)
        makeParentDirectories(of: path)
        let fd = try lock.openFile(path)
        switch lock.take(fd, LOCK_EX) {
        case .taken: stamp(fd)
        case .busy:
            throw SluiceError(
                .usage,
                "task \(task) of pass \(pass) is already running in another sluice process (\(description(ofFile: path) ?? "unknown holder"))",
                file: root)
        case .unsupported: break
        }
        return lock
    }

    /// A shared lock for reading a finished folder (`sluice verify`).
    public static func shared(root: String) throws -> OutputLock {
        let lock = OutputLock()
        let path = folderLockPath(root)
        guard access(path, F_OK) == 0 else { return lock }  // never run, or an older sluice: nothing to wait for
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return lock }
        lock.descriptors.append(fd)
        if case .busy = lock.take(fd, LOCK_SH) { throw inUse(root, holder: description(ofFile: path)) }
        return lock
    }

    // MARK: - Pieces

    private enum Outcome { case taken, busy, unsupported }

    private func openFile(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SluiceError(.io, "cannot open the lock file: \(String(cString: strerror(errno)))", file: path)
        }
        descriptors.append(fd)
        return fd
    }

    private func take(_ fd: Int32, _ operation: Int32) -> Outcome {
        while flock(fd, operation | LOCK_NB) != 0 {
            switch errno {
            case EINTR: continue
            case EWOULDBLOCK: return .busy
            default:
                warning =
                    "the file system does not support locks (\(String(cString: strerror(errno)))); concurrent runs on this output folder are not detected"
                return .unsupported
            }
        }
        return .taken
    }

    /// Checks that `root` is a folder, making it when missing.
    static func ensureFolder(_ root: String) throws {
        var st = stat()
        if stat(root, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw SluiceError(.config, "output: '\(root)' is a file, not a folder; choose another output folder")
            }
            return
        }
        makeParentDirectories(of: root + "/x")
        guard stat(root, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw SluiceError(.io, "cannot create the output folder: \(String(cString: strerror(errno)))", file: root)
        }
    }

    /// Writes who holds the lock into its file.
    private static func stamp(_ fd: Int32) {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostName = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let since = ISO8601DateFormatter().string(from: Date())
        let command = CommandLine.arguments.map { ($0 as NSString).lastPathComponent == "sluice" ? "sluice" : $0 }
            .joined(separator: " ")
        let text = "pid \(getpid()) host \(hostName) since \(since): \(command)\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// The first line of a lock file (who holds or last held it), or nil when empty or unreadable.
    public static func description(ofFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return nil }
        let line = String(decoding: data.prefix { $0 != 0x0A }, as: UTF8.self)
        return line.isEmpty ? nil : line
    }

    /// Who holds the folder: a scheduler task that holds its task lock, else the folder lock's stamp.
    private static func holderOfFolder(_ root: String) -> String? {
        let base = root + "/_locks"
        for pass in ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).sorted() {
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: base + "/" + pass)) ?? []).sorted() {
                let path = base + "/" + pass + "/" + name
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { continue }
                defer { close(fd) }
                if flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK {
                    return description(ofFile: path).map { "a --task-index run, \($0)" }
                }
                _ = flock(fd, LOCK_UN)
            }
        }
        return description(ofFile: folderLockPath(root))
    }

    private static func inUse(_ root: String, holder: String?) -> SluiceError {
        SluiceError(
            .usage,
            "the output folder is in use by another sluice process (\(holder ?? "holder unknown")); wait for it to finish or choose another --output",
            file: root)
    }
}
