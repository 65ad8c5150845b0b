// Shared helpers for every test target: where the fixtures, the shared corpus, the Python
// reference environment and the built `sluice` binary are; temporary folders; running processes.
import Foundation

/// Paths and helpers the tests share.
public enum TestSupport {
    /// The package root (the folder holding Package.swift).
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url.path
            }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// `Fixtures/<relative>`.
    public static func fixture(_ relative: String) -> String { packageRoot + "/Fixtures/" + relative }

    /// The shared corpus beside the project (`../shared/corpus`), or `SLUICE_CORPUS`.
    public static let corpusRoot: String =
        ProcessInfo.processInfo.environment["SLUICE_CORPUS"] ?? (packageRoot + "/../shared/corpus")

    /// Whether the corpus suite can run. In CI (CI=true) the corpus must be there: a missing
    /// corpus is a failure, not a skip.
    public static let corpusAvailable: Bool = {
        let present = FileManager.default.fileExists(atPath: corpusRoot + "/MANIFEST.md")
        if !present && ProcessInfo.processInfo.environment["CI"] == "true" {
            fatalError("CI=true but the shared corpus is missing at \(corpusRoot)")
        }
        return present
    }()

    /// The reason printed when the corpus suite does not run.
    public static let corpusMissingReason = "../shared/corpus is not beside this clone (set SLUICE_CORPUS)"

    /// `<corpus>/<relative>`.
    public static func corpus(_ relative: String) -> String { corpusRoot + "/" + relative }

    /// The Python of the reference virtual environment (`make test` sets `SLUICE_PYTHON`).
    /// Interop tests need it; without it they fail with this message rather than pass unseen.
    public static func python() throws -> String {
        if let p = ProcessInfo.processInfo.environment["SLUICE_PYTHON"], FileManager.default.isExecutableFile(atPath: p)
        {
            return p
        }
        let venv = packageRoot + "/.venv/bin/python"
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        throw TestSupportError("no reference Python: run `make test` (it builds .venv) or set SLUICE_PYTHON")
    }

    /// The `sluice` binary built beside the test bundle.
    public static func sluiceBinary() throws -> String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let p = candidate.appendingPathComponent("sluice").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        for config in ["debug", "release"] {
            let p = packageRoot + "/.build/\(config)/sluice"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw TestSupportError("sluice binary not found near \(dir.path); run `swift build` first")
    }

    /// A fresh temporary folder, removed by the caller if it wants.
    public static func temporaryDirectory(_ label: String = "test") throws -> String {
        let path = NSTemporaryDirectory() + "sluice-\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The result of a finished process.
    /// Every regular file under `root` (relative path → bytes), leaving out the top folders and
    /// files named in `excluding` (engine bookkeeping such as `_stats`), for comparing output trees.
    public static func regularFiles(under root: String, excluding: [String]) -> [String: Data] {
        var result: [String: Data] = [:]
        guard let e = FileManager.default.enumerator(atPath: root) else { return result }
        while let rel = e.nextObject() as? String {
            if excluding.contains(where: { rel == $0 || rel.hasPrefix($0 + "/") }) { continue }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                result[rel] = FileManager.default.contents(atPath: root + "/" + rel)
            }
        }
        return result
    }

    public struct ProcessResult: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `executable` with `arguments`, waits, and returns its exit status and output.
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String], input: Data? = nil, environment: [String: String]? = nil,
        directory: String? = nil
    ) throws -> ProcessResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let environment {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        let inPipe = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inPipe
        try p.run()
        // Read both pipes concurrently so a chatty child never blocks on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = (try? err.fileHandleForReading.readToEndRetryingInterrupts()) ?? Data()
            group.leave()
        }
        if let input { inPipe.fileHandleForWriting.write(input) }
        try? inPipe.fileHandleForWriting.close()
        let outData = try out.fileHandleForReading.readToEndRetryingInterrupts()
        group.wait()
        p.waitUntilExit()
        return ProcessResult(
            status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A test-environment problem (missing tool or binary), reported as a failure.
public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

// MARK: - Stage conformance

import SluiceCore

/// Problems with a library's stage list: names that are not snake_case, empty summaries, stages
/// that cannot be built with their defaults in describing mode, options that are not snake_case.
public func stageListProblems(_ stages: [any Stage.Type]) -> [String] {
    var problems: [String] = []
    let snake = { (s: String) in
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }
    for s in stages {
        if !snake(s.name) { problems.append("\(s.name): name is not snake_case") }
        if s.summary.isEmpty { problems.append("\(s.name): empty summary") }
        do {
            let specs = try StageBuilder.options(of: s)
            for spec in specs where !snake(spec.key) { problems.append("\(s.name).\(spec.key): not snake_case") }
            for spec in specs where spec.help.isEmpty { problems.append("\(s.name).\(spec.key): no help") }
        } catch {
            problems.append("\(s.name): cannot describe its options: \(error)")
        }
    }
    return problems
}
