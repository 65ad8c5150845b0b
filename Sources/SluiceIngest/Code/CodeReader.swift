// The `code` reader stage: a directory, a git work tree or a bare repository → one document per
// text file, with language, licence, size and revision. Git repositories are read at a revision
// (HEAD by default) through `git ls-tree` and one `git cat-file --batch`; plain directories are
// walked. Binary, vendored, generated, lock, minified and oversized files are skipped and counted.
import Foundation
import SluiceCore

/// Reads source files from a repository or a directory.
///
/// Counters (one per skip reason): `skipped_binary`, `skipped_undecodable`, `skipped_vendored`,
/// `skipped_generated`, `skipped_lock_file`, `skipped_minified`, `skipped_too_large`,
/// `skipped_empty`, `skipped_symlink`, `skipped_submodule`, `skipped_missing`, `skipped_special`
/// (FIFOs, devices); `files_seen`. `max_file_size` (default 1MB) is the per-record cap: git blob
/// sizes are checked before a blob is fetched, and a file on disk is read only up to the cap.
public struct CodeReader: DocumentReader {
    public static let name = "code"
    public static let summary = "source files of a directory, git work tree or bare repository → one document per file"
    /// Bare repositories (`swift-nio.git`) are recognised by name; `/` claims any folder for an
    /// engine that looks readers up as `path + "/"` for directories (today folders need `reader: code`).
    public static let fileExtensions = [".git", "/"]

    /// `auto` reads git repositories through git and other directories from disk.
    public var mode: String
    public var revision: String
    public var maxFileSize: Int
    /// Repository name for ids and metadata; by default the folder name without `.git`.
    public var repositoryName: String?

    public init(options: inout StageOptions) throws {
        mode = try options.choice(
            "from", default: "auto", ["auto", "git", "files"],
            "auto: git for repositories (bare or work tree), the file system otherwise")
        revision = try options.string("revision", default: "HEAD", "the git revision to read (branch, tag or commit)")
        maxFileSize = try options.bytes("max_file_size", default: 1_000_000, "skip files larger than this")
        repositoryName = try options.optionalString("repository", "repository name (default: the folder name)")
        guard maxFileSize > 0 else { throw options.error("max_file_size", "must be positive") }
    }

    public init(
        mode: String = "auto", revision: String = "HEAD", maxFileSize: Int = 1_000_000, repositoryName: String? = nil
    ) {
        self.mode = mode
        self.revision = revision
        self.maxFileSize = maxFileSize
        self.repositoryName = repositoryName
    }

    public func open(_ path: String, context: TaskContext) throws -> any DocumentIterator {
        var root = path
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir) else {
            throw SluiceError(.io, "no such directory or repository", file: path)
        }
        guard isDir.boolValue else {
            throw SluiceError(.io, "the code reader takes a directory or repository", file: path)
        }
        let name = repositoryName ?? Self.repositoryName(of: root)
        let useGit = mode == "git" || (mode == "auto" && GitRepository.isRepository(root))
        if useGit {
            return try GitFileIterator(root: root, repository: name, revision: revision, reader: self, context: context)
        }
        return try DirectoryFileIterator(root: root, repository: name, reader: self, context: context)
    }

    /// `/x/swift-nio.git` → `swift-nio`; `/x/proj/.git` → `proj`.
    static func repositoryName(of root: String) -> String {
        var parts = root.split(separator: "/")
        if parts.last == ".git" { parts.removeLast() }
        var name = String(parts.last ?? "repository")
        if name.hasSuffix(".git") { name.removeLast(4) }
        return name
    }
}

// MARK: - Skip rules

/// Why a file is not read, checked from its path and size before its content.
enum CodeSkip: String {
    case binary, undecodable, vendored, generated, lockFile = "lock_file", minified, tooLarge = "too_large", empty,
        symlink, submodule, missing, special

    var counter: String { "skipped_" + rawValue }

    /// Directories whose contents are someone else's code.
    static let vendoredDirectories: Set<String> = [
        "node_modules", "vendor", "vendors", "third_party", "third-party", "thirdparty", "3rdparty", "external",
        "bower_components", "jspm_packages", "Pods", "Carthage", "site-packages", ".venv", "venv", "Godeps", ".yarn",
    ]
    /// Directories that hold build outputs and caches.
    static let generatedDirectories: Set<String> = [
        "build", "dist", ".build", "target", "__pycache__", "DerivedData", ".gradle", ".tox", ".mypy_cache",
        ".pytest_cache", ".next", ".nuxt", "_build", "bin", "obj", ".eggs", "out", ".cache", "coverage",
    ]
    static let lockFiles: Set<String> = [
        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "Cargo.lock",
        "Gemfile.lock", "poetry.lock", "Pipfile.lock", "composer.lock", "Package.resolved", "go.sum", "mix.lock",
        "pubspec.lock", "flake.lock", "uv.lock", "packages.lock.json", "Podfile.lock", "shrinkwrap.yaml",
    ]
    /// Extensions that are never text.
    static let binaryExtensions: Set<String> = [
        "png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "webp", "tif", "tiff", "psd", "pdf", "zip", "gz", "tgz",
        "bz2", "xz", "zst", "7z", "rar", "tar", "jar", "war", "class", "o", "obj", "a", "so", "dylib", "dll", "exe",
        "lib", "pyc", "pyo", "whl", "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4", "wav", "ogg", "flac", "avi",
        "mov", "mkv", "webm", "bin", "dat", "db", "sqlite", "sqlite3", "pack", "idx", "npy", "npz", "pkl", "pt",
        "onnx", "safetensors", "wasm", "keystore", "jks", "p12", "der",
    ]

    /// The reason to skip `path` from its name alone, or nil.
    static func byPath(_ path: String) -> CodeSkip? {
        let components = path.split(separator: "/")
        guard let fileName = components.last else { return .missing }
        for dir in components.dropLast() {
            let d = String(dir)
            if vendoredDirectories.contains(d) { return .vendored }
            if generatedDirectories.contains(d) { return .generated }
        }
        let name = String(fileName)
        if lockFiles.contains(name) || name.hasSuffix(".lock") { return .lockFile }
        let lower = name.lowercased()
        if lower.hasSuffix(".min.js") || lower.hasSuffix(".min.css") || lower.hasSuffix(".min.mjs")
            || lower.hasSuffix("-min.js") || lower.hasSuffix(".bundle.js")
        {
            return .minified
        }
        if lower.hasSuffix(".pb.go") || lower.hasSuffix("_pb2.py") || lower.hasSuffix("_pb2_grpc.py")
            || lower.hasSuffix(".pb.swift") || lower.hasSuffix(".g.dart") || lower.hasSuffix(".designer.cs")
            || lower.contains(".generated.") || lower.hasSuffix(".pb.cc") || lower.hasSuffix(".pb.h")
        {
            return .generated
        }
        if let dot = lower.lastIndex(of: "."), binaryExtensions.contains(String(lower[lower.index(after: dot)...])) {
            return .binary
        }
        return nil
    }

    /// The reason to skip a file from its bytes, or nil. Binary means a NUL byte in the first
    /// 8000 bytes (git's own test); undecodable means not valid UTF-8.
    static func byContent(_ bytes: UnsafeBufferPointer<UInt8>, language: String) -> CodeSkip? {
        if bytes.isEmpty { return .empty }
        let head = min(bytes.count, 8000)
        if memchr(bytes.baseAddress!, 0, head) != nil { return .binary }
        if !isValidUTF8(bytes) { return .undecodable }
        // Minified JavaScript and CSS under ordinary names: very long average lines.
        if language == "JavaScript" || language == "CSS", bytes.count > 1000 {
            var lines = 1
            for b in bytes where b == 10 { lines += 1 }
            if bytes.count / lines > 500 { return .minified }
        }
        return nil
    }

    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // Fast path: ASCII runs; full validation only past the first non-ASCII byte.
        var i = 0
        let n = bytes.count
        while i < n && bytes[i] < 0x80 { i += 1 }
        if i == n { return true }
        var iterator = UnsafeBufferPointer(rebasing: bytes[i...]).makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}

// MARK: - Shared document building

/// What both iterators share: the repository licence and the document shape.
struct CodeDocumentFactory {
    let repository: String
    let revision: String?
    var repositoryLicense = LicenseGuesser.unknown

    /// The document for one file's bytes, or the reason to skip it.
    func document(path: String, bytes: UnsafeBufferPointer<UInt8>) -> Result<Document, SkipError> {
        let firstLine: Substring? = {
            guard bytes.count > 2, bytes[0] == UInt8(ascii: "#"), bytes[1] == UInt8(ascii: "!") else { return nil }
            var e = 0
            while e < min(bytes.count, 200) && bytes[e] != 10 { e += 1 }
            return Substring(String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<e]), as: UTF8.self))
        }()
        let language = CodeLanguages.language(ofPath: path, firstLine: firstLine)
        if let skip = CodeSkip.byContent(bytes, language: language) { return .failure(SkipError(skip: skip)) }
        let text = String(decoding: bytes, as: UTF8.self)
        var metadata = JSONObject()
        metadata.append("repository", .string(repository))
        metadata.append("path", .string(path))
        metadata.append("revision", revision.map { .string($0) } ?? .null)
        metadata.append("language", .string(language))
        metadata.append("size", .int(Int64(bytes.count)))
        metadata.append("license", .string(LicenseGuesser.fileIdentifier(bytes) ?? repositoryLicense))
        return .success(Document(id: "\(repository):\(path)", text: text, source: "code", metadata: metadata))
    }

    struct SkipError: Error { let skip: CodeSkip }
}

// MARK: - Git

/// Files of one revision of a git repository.
final class GitFileIterator: DocumentIterator {
    private let git: GitRepository
    private let catFile: GitCatFile
    private let context: TaskContext
    private var factory: CodeDocumentFactory
    private var entries: [GitTreeEntry] = []
    private var nextRequest = 0
    private var nextAnswer = 0
    private var content: [UInt8] = []
    private static let batch = 256

    init(root: String, repository: String, revision: String, reader: CodeReader, context: TaskContext) throws {
        git = GitRepository(path: root)
        let commit = try git.resolve(revision)
        let all = try git.listTree(commit)
        self.context = context
        factory = CodeDocumentFactory(repository: repository, revision: commit)
        catFile = try GitCatFile(repository: git)
        // Path and size rules first: skipped files are never fetched.
        var licenseEntries: [GitTreeEntry] = []
        for e in all {
            if e.type == "commit" {
                context.count(CodeSkip.submodule.counter)
                continue
            }
            guard e.type == "blob" else { continue }
            context.count("files_seen")
            if e.mode == "120000" {
                context.count(CodeSkip.symlink.counter)
                continue
            }
            if !e.path.contains("/") && (LicenseGuesser.isLicenseFile(e.path) || LicenseGuesser.isManifest(e.path)) {
                licenseEntries.append(e)
            }
            if let skip = CodeSkip.byPath(e.path) {
                context.count(skip.counter)
                continue
            }
            if e.size > reader.maxFileSize {
                context.count(CodeSkip.tooLarge.counter)
                continue
            }
            entries.append(e)
        }
        factory.repositoryLicense = try repositoryLicense(licenseEntries)
    }

    deinit { catFile.close() }

    private func repositoryLicense(_ files: [GitTreeEntry]) throws -> String {
        guard !files.isEmpty else { return LicenseGuesser.unknown }
        try catFile.request(files.map(\.object))
        var fromManifest: String?
        var fromFiles: [String] = []
        var bytes: [UInt8] = []
        for f in files {
            guard try catFile.readObject(into: &bytes) else { continue }
            let text = String(decoding: bytes.prefix(200_000), as: UTF8.self)
            if LicenseGuesser.isManifest(f.path) {
                if fromManifest == nil { fromManifest = LicenseGuesser.fromManifest(name: f.path, text: text) }
            } else if let id = LicenseGuesser.fromText(text) {
                fromFiles.append(id)
            }
        }
        return fromManifest ?? LicenseGuesser.combine(fromFiles)
    }

    func next() throws -> Document? {
        while nextAnswer < entries.count {
            if nextAnswer == nextRequest {
                let end = min(entries.count, nextRequest + Self.batch)
                try catFile.request(entries[nextRequest..<end].map(\.object))
                nextRequest = end
            }
            let entry = entries[nextAnswer]
            nextAnswer += 1
            guard try catFile.readObject(into: &content) else {
                context.count(CodeSkip.missing.counter)
                continue
            }
            let result = content.withUnsafeBufferPointer { factory.document(path: entry.path, bytes: $0) }
            switch result {
            case .success(let d): return d
            case .failure(let e): context.count(e.skip.counter)
            }
        }
        catFile.close()
        return nil
    }
}

// MARK: - Directories

/// Files under a plain directory: each folder's files in name order, then its sub-folders, depth
/// first; `.git` folders are not entered.
final class DirectoryFileIterator: DocumentIterator {
    private let root: String
    private let context: TaskContext
    private let maxFileSize: Int
    private var factory: CodeDocumentFactory
    /// Directories still to list (a stack of relative paths) and files of the current one.
    private var pendingDirectories: [String] = [""]
    private var pendingFiles: [String] = []
    private var content: [UInt8] = []

    init(root: String, repository: String, reader: CodeReader, context: TaskContext) throws {
        self.root = root
        self.context = context
        maxFileSize = reader.maxFileSize
        factory = CodeDocumentFactory(repository: repository, revision: nil)
        var fromManifest: String?
        var fromFiles: [String] = []
        let top = (try? FileManager.default.contentsOfDirectory(atPath: root))?.sorted() ?? []
        for name in top where LicenseGuesser.isLicenseFile(name) || LicenseGuesser.isManifest(name) {
            guard let data = FileManager.default.contents(atPath: root + "/" + name), data.count < 2_000_000 else {
                continue
            }
            let text = String(decoding: data, as: UTF8.self)
            if LicenseGuesser.isManifest(name) {
                if fromManifest == nil { fromManifest = LicenseGuesser.fromManifest(name: name, text: text) }
            } else if let id = LicenseGuesser.fromText(text) {
                fromFiles.append(id)
            }
        }
        factory.repositoryLicense = fromManifest ?? LicenseGuesser.combine(fromFiles)
    }

    func next() throws -> Document? {
        while true {
            if pendingFiles.isEmpty {
                guard let dir = pendingDirectories.popLast() else { return nil }
                try list(dir)
                continue
            }
            let relative = pendingFiles.removeLast()
            context.count("files_seen")
            if let skip = CodeSkip.byPath(relative) {
                context.count(skip.counter)
                continue
            }
            let full = root + "/" + relative
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: full) else {
                context.count(CodeSkip.missing.counter)
                continue
            }
            let type = attributes[.type] as? FileAttributeType
            if type == .typeSymbolicLink {
                context.count(CodeSkip.symlink.counter)
                continue
            }
            if type != .typeRegular {
                // A FIFO or device would block or never end.
                context.count(CodeSkip.special.counter)
                continue
            }
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            if size > maxFileSize {
                context.count(CodeSkip.tooLarge.counter)
                continue
            }
            // Read at most max_file_size + 1 bytes: a file that grew since it was listed is skipped
            // as too large, never read whole.
            switch Self.readBounded(full, limit: maxFileSize, into: &content) {
            case .missing:
                context.count(CodeSkip.missing.counter)
                continue
            case .tooLarge:
                context.count(CodeSkip.tooLarge.counter)
                continue
            case .read: break
            }
            let result = content.withUnsafeBufferPointer { factory.document(path: relative, bytes: $0) }
            switch result {
            case .success(let d): return d
            case .failure(let e): context.count(e.skip.counter)
            }
        }
    }

    enum ReadOutcome { case read, missing, tooLarge }

    /// Reads the file at `path` into `content` when it holds at most `limit` bytes.
    static func readBounded(_ path: String, limit: Int, into content: inout [UInt8]) -> ReadOutcome {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .missing }
        defer { close(fd) }
        content.removeAll(keepingCapacity: true)
        var block = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = block.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .missing
            }
            if n == 0 { return .read }
            if content.count + n > limit { return .tooLarge }
            content.append(contentsOf: block[0..<n])
        }
    }

    /// Lists one directory: files (reversed, so popping gives sorted order) and sub-directories.
    private func list(_ dir: String) throws {
        let full = dir.isEmpty ? root : root + "/" + dir
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: full).sorted() } catch {
            if dir.isEmpty {
                throw SluiceError(.io, "cannot list directory: \(error.localizedDescription)", file: root)
            }
            context.reportBadRecord("code:unreadable_directory", file: full, "cannot list directory")
            return
        }
        var files: [String] = []
        var dirs: [String] = []
        for name in names where name != ".git" {
            let relative = dir.isEmpty ? name : dir + "/" + name
            var isDir: ObjCBool = false
            let path = full + "/" + name
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            if (attributes?[.type] as? FileAttributeType) == .typeSymbolicLink {
                files.append(relative)  // counted as a symlink when reached
            } else if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                dirs.append(relative)
            } else {
                files.append(relative)
            }
        }
        pendingFiles = files.reversed()
        // Depth first in sorted order: push sub-directories reversed.
        pendingDirectories.append(contentsOf: dirs.reversed())
    }
}
