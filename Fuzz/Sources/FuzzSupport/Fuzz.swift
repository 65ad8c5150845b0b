import CLibFuzzer
import Foundation
import Logging
import SluiceCore

// What every fuzz target shares: a private folder for the files a parser reads (readers take paths),
// a quiet task context, and a loop that reads every document of a file.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

public enum Fuzz {
    /// The signature libFuzzer calls once per input.
    public typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    /// Runs libFuzzer (with this process's command line) over `test`; every target's `main`.
    public static func main(_ test: TestOneInput) -> Never {
        // Swift's backtracer catches a runtime trap (an overflow, a failed precondition) before
        // libFuzzer and AddressSanitizer see it, so no input would be saved: run without it.
        if getenv("SWIFT_BACKTRACE") == nil {
            setenv("SWIFT_BACKTRACE", "enable=no", 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
        }
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, test))
    }

    /// A folder of this process's input files: in /dev/shm when there is one (no disk writes per
    /// input), removed at exit.
    public static let directory: String = {
        var isDirectory: ObjCBool = false
        let base =
            FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory) && isDirectory.boolValue
            ? "/dev/shm" : NSTemporaryDirectory()
        let dir = "\(base)/sluice-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: Fuzz.directory) }
        return dir
    }()

    /// The input as a buffer (libFuzzer may pass a null pointer for an empty input).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
        size == 0 ? UnsafeRawBufferPointer(start: nil, count: 0) : UnsafeRawBufferPointer(start: data, count: size)
    }

    /// Writes `data` to `name` in `directory` (replacing the previous input of that name); returns the path.
    @discardableResult
    public static func write(_ data: UnsafeRawBufferPointer, name: String) -> String {
        let path = directory + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "fuzz: cannot create \(path): \(String(cString: strerror(errno)))")
        var done = 0
        while done < data.count {
            let n = Glibc.write(fd, data.baseAddress! + done, data.count - done)
            precondition(n > 0, "fuzz: cannot write \(path)")
            done += n
        }
        close(fd)
        return path
    }

    /// The extension that makes Sluice read `data` as the compressed file its first bytes say it is
    /// (readers choose the decoder by name): `.gz`, `.zst`, `.bz2`, or "" for anything else.
    public static func compressionSuffix(_ data: UnsafeRawBufferPointer) -> String {
        guard data.count >= 3 else { return "" }
        if data[0] == 0x1f && data[1] == 0x8b { return ".gz" }
        if data[0] == 0x42 && data[1] == 0x5a && data[2] == 0x68 { return ".bz2" }
        if data.count >= 4 && data[0] == 0x28 && data[1] == 0xb5 && data[2] == 0x2f && data[3] == 0xfd { return ".zst" }
        return ""
    }

    /// A task context whose logger discards everything (bad records are the normal case here).
    public static func context(stages: [String] = ["reader"]) -> TaskContext {
        TaskContext(
            taskIndex: 0, taskCount: 1, outputDirectory: directory + "/out", temporaryDirectory: directory + "/tmp",
            stageNames: stages, logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// Opens `path` with `reader` and pulls every document (at most `limit`), handing each to
    /// `body`. Errors are the documented answer to bad input; only a crash, a hang or a memory
    /// blow-up is a finding.
    /// - Returns: the number of documents read.
    @discardableResult
    public static func drain(
        _ reader: any DocumentReader, path: String, limit: Int = 1_000_000, _ body: (Document) -> Void = { _ in }
    ) -> Int {
        let context = context()
        var count = 0
        do {
            var iterator = try reader.open(path, context: context)
            while count < limit, let document = try iterator.next() {
                body(document)
                count += 1
            }
        } catch {}
        return count
    }

    /// Options for a stage from YAML text (`{mime_types: []}`); a mistake here is a bug in the target.
    public static func options(_ stage: String, yaml: String = "{}") -> StageOptions {
        do {
            let values = try ConfigValue.parseYAML(yaml, file: "fuzz target").mapValue ?? []
            return StageOptions(stageName: stage, values: values, file: nil)
        } catch {
            fatalError("fuzz target options for \(stage) do not parse: \(error)")
        }
    }
}
