// The MPI world of a data-parallel run: whether mpirun or srun started this process (read from
// the launcher's environment; MPI_Init is called only then), and the few collectives the trainer
// needs. The one file that sees CMPI's C types; it knows nothing of models or batches.
internal import CMPI
import Foundation
import SluiceCore

/// The ranks of a run started by an MPI launcher (`mpirun -np N`, `srun --mpi=pmix`), over
/// `MPI_COMM_WORLD`. Without a launcher there is no group and Sluice runs as one process.
///
/// Calls must come from one thread at a time (`MPI_THREAD_SERIALIZED`); every rank must make
/// the same collective calls in the same order.
public final class ProcessGroup: @unchecked Sendable {
    /// This process's rank, 0..<size; rank 0 writes checkpoints, metrics and logs.
    public let rank: Int
    /// Ranks in the run.
    public let size: Int
    /// How the launcher was recognised (`OMPI_COMM_WORLD_SIZE` from mpirun, `PMIX_RANK` from srun --mpi=pmix).
    public let launcher: String
    /// Seconds spent inside gradient and loss reductions (starting, progressing, waiting) since
    /// the last `takeCommunicationSeconds()`.
    private(set) var communicationSeconds = 0.0
    /// True once every rank has learnt of a failure together (`agree`): rank 0 prints it, the
    /// others exit quietly, and no rank needs `MPI_Abort`.
    public private(set) var failureIsShared = false
    private var requests: [MPI_Request?] = []
    private var finished = false

    /// The environment variables by which launchers announce a rank.
    static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK"]

    /// Which launcher started this process, or nil when none did.
    /// - Throws: a config error when `srun` started several tasks without an MPI plugin (each
    ///   would train alone and overwrite the others' run folder), or with PMI-2 (`--mpi=pmi2`), which
    ///   Debian's OpenMPI cannot join (MPI_Init would abort with a page of OpenMPI's text).
    public static func launcher(in environment: [String: String]) throws -> String? {
        if let v = launcherVariables.first(where: { environment[$0] != nil }) { return v }
        if environment["PMI_RANK"] != nil {
            throw SluiceError(
                .config,
                "started through PMI-2 (PMI_RANK is set, as by srun --mpi=pmi2), which this OpenMPI does not speak: "
                    + "launch with `srun --mpi=pmix sluice train …`, or with mpirun")
        }
        if let n = environment["SLURM_STEP_NUM_TASKS"].flatMap(Int.init), n > 1 {
            throw SluiceError(
                .config,
                "srun started \(n) tasks but no MPI process manager (no PMIX_RANK or PMI_RANK in the environment): "
                    + "launch with `srun --mpi=pmix sluice train …`, or with mpirun")
        }
        return nil
    }

    /// Joins the MPI world when a launcher started this process (`MPI_Init_thread`); nil otherwise,
    /// without touching MPI at all, so a plain `sluice train` runs exactly as a single process.
    /// - Throws: `launcher(in:)`'s error, or a library error when MPI cannot start.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> ProcessGroup?
    {
        guard let launcher = try launcher(in: environment) else { return nil }
        return try ProcessGroup(launcher: launcher)
    }

    private init(launcher: String) throws {
        self.launcher = launcher
        if sluice_mpi_initialized() == 0 {
            var provided: Int32 = 0
            try mpiCheck(sluice_mpi_init(&provided), "MPI_Init_thread")
            if provided < sluice_mpi_thread_serialized() {
                throw SluiceError(
                    .library, "the MPI library gives thread level \(provided), Sluice needs MPI_THREAD_SERIALIZED")
            }
        }
        try mpiCheck(sluice_mpi_errors_return(), "MPI_Comm_set_errhandler")
        var r: Int32 = 0, s: Int32 = 0
        try mpiCheck(sluice_mpi_rank(&r), "MPI_Comm_rank")
        try mpiCheck(sluice_mpi_size(&s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
    }

    /// The MPI library's version line (`Open MPI v4.1.4, …`).
    public var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: Int(sluice_mpi_max_library_version_string()) + 1)
        var n: Int32 = 0
        _ = sluice_mpi_version(&buffer, &n)
        let s = String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return s.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? s
    }

    /// Leaves MPI cleanly (`MPI_Finalize`); every rank must call it. Later calls do nothing.
    public func finish() {
        guard !finished else { return }
        finished = true
        if sluice_mpi_finalized() == 0 { _ = sluice_mpi_finalize() }
    }

    /// Ends every rank of the run at once (`MPI_Abort`): for a failure on one rank while the
    /// others may be waiting in a collective.
    public func abort(code: Int32 = 1) -> Never {
        _ = sluice_mpi_abort(code)
        exit(code)
    }

    // MARK: - Gradient buckets

    /// Starts summing `count` floats at `buffer` in place over all ranks (`MPI_Iallreduce`) and
    /// lets earlier buckets progress (`MPI_Testall`: OpenMPI moves a nonblocking collective on
    /// only inside MPI calls). The buffer must not be touched until `waitForSums()`.
    func startSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
        var offset = 0
        while offset < count {
            let n = min(count - offset, Int(Int32.max))
            var request: MPI_Request? = nil
            try mpiCheck(sluice_mpi_iallreduce_sum_float(buffer + offset, Int32(n), &request), "MPI_Iallreduce")
            requests.append(request)
            offset += n
        }
        var done: Int32 = 0
        try requests.withUnsafeMutableBufferPointer { r in
            try mpiCheck(sluice_mpi_testall(Int32(r.count), r.baseAddress, &done), "MPI_Testall")
        }
    }

    /// Waits for every bucket `startSum` started (`MPI_Waitall`).
    func waitForSums() throws {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
        guard !requests.isEmpty else { return }
        try requests.withUnsafeMutableBufferPointer { r in
            try mpiCheck(sluice_mpi_waitall(Int32(r.count), r.baseAddress), "MPI_Waitall")
        }
        requests.removeAll(keepingCapacity: true)
    }

    /// The reduction time since the last call, and resets it.
    func takeCommunicationSeconds() -> Double {
        defer { communicationSeconds = 0 }
        return communicationSeconds
    }

    // MARK: - Small collectives

    /// Element-wise sums of `values` over all ranks (`MPI_Allreduce`, counted as communication time).
    public func sum(_ values: [Double]) throws -> [Double] {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
        var v = values
        try v.withUnsafeMutableBufferPointer {
            try mpiCheck(sluice_mpi_allreduce_sum_double($0.baseAddress, Int32($0.count)), "MPI_Allreduce")
        }
        return v
    }

    /// Element-wise sums of `count` floats at `buffer`, in place, blocking (`MPI_Allreduce`).
    func sumInPlace(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
        var offset = 0
        while offset < count {
            let n = min(count - offset, Int(Int32.max))
            try mpiCheck(sluice_mpi_allreduce_sum_float(buffer + offset, Int32(n)), "MPI_Allreduce")
            offset += n
        }
    }

    /// Every rank's `value`, indexed by rank (`MPI_Allgather`).
    public func gather(_ value: UInt64) throws -> [UInt64] {
        var all = [UInt64](repeating: 0, count: size)
        try all.withUnsafeMutableBufferPointer {
            try mpiCheck(sluice_mpi_allgather_uint64(value, $0.baseAddress), "MPI_Allgather")
        }
        return all
    }

    /// `root`'s string on every rank (`MPI_Bcast` of the length, then of the bytes).
    public func broadcast(_ text: String, from root: Int) throws -> String {
        var length = [Int64(text.utf8.count)]
        try length.withUnsafeMutableBytes {
            try mpiCheck(sluice_mpi_bcast_bytes($0.baseAddress, Int32($0.count), Int32(root)), "MPI_Bcast")
        }
        var bytes = rank == root ? Array(text.utf8) : [UInt8](repeating: 0, count: Int(length[0]))
        if !bytes.isEmpty {
            try bytes.withUnsafeMutableBytes {
                try mpiCheck(sluice_mpi_bcast_bytes($0.baseAddress, Int32($0.count), Int32(root)), "MPI_Bcast")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `root`'s floats copied over `buffer` on every rank (`MPI_Bcast`).
    func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, from root: Int) throws {
        var offset = 0
        while offset < count {
            let n = min(count - offset, Int(Int32.max))
            try mpiCheck(sluice_mpi_bcast_float(buffer + offset, Int32(n), Int32(root)), "MPI_Bcast")
            offset += n
        }
    }

    /// Waits until every rank has arrived (`MPI_Barrier`).
    public func barrier() throws { try mpiCheck(sluice_mpi_barrier(), "MPI_Barrier") }

    // MARK: - Agreement

    /// Makes a failure on any rank a failure of all, collectively: every rank calls it with its own
    /// outcome. When all succeeded it returns; otherwise every rank throws the lowest failing rank's
    /// error (prefixed `rank K:` when K ≠ 0) and `failureIsShared` is set.
    public func agree(_ failure: (any Error)?) throws {
        let all = try gather(failure == nil ? 0 : 1)
        guard let first = all.firstIndex(of: 1) else { return }
        let text = try broadcast(failure.map(Self.oneLine) ?? "", from: first)
        failureIsShared = true
        if first == rank, let failure { throw failure }
        throw SluiceError(.config, "rank \(first) of \(size): " + text)
    }

    /// Every rank calls it with a description of its run (`key: value` fields joined by "; "): when
    /// they differ, every rank throws an error naming the first rank and field that differ from rank 0's.
    public func agree(onDescription description: String) throws {
        let hash = fnv1a64(description)
        let all = try gather(hash)
        guard all.contains(where: { $0 != all[0] }) else { return }
        let reference = try broadcast(description, from: 0)
        let odd = all.firstIndex { $0 != all[0] }!
        var difference = ""
        if rank == odd {
            let mine = description.components(separatedBy: "; "), theirs = reference.components(separatedBy: "; ")
            let i =
                (0..<min(mine.count, theirs.count)).first { mine[$0] != theirs[$0] } ?? min(mine.count, theirs.count)
            let m = i < mine.count ? mine[i] : "(nothing)", t = i < theirs.count ? theirs[i] : "(nothing)"
            difference = "rank \(rank) runs with \(Self.clip(m)) where rank 0 has \(Self.clip(t))"
        }
        let text = try broadcast(difference, from: odd)
        failureIsShared = true
        throw SluiceError(
            .config, "the ranks of this run disagree: \(text); every rank must get the same configuration and data")
    }

    static func oneLine(_ error: any Error) -> String {
        "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    static func clip(_ s: String) -> String { s.count > 160 ? String(s.prefix(160)) + "…" : s }
}

/// 64-bit FNV-1a of a string's UTF-8 bytes.
func fnv1a64(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

/// Throws a library error naming the MPI function unless `code` is MPI_SUCCESS.
private func mpiCheck(_ code: Int32, _ function: String) throws {
    guard code != sluice_mpi_success() else { return }
    var buffer = [CChar](repeating: 0, count: Int(sluice_mpi_max_error_string()) + 1)
    var n: Int32 = 0
    sluice_mpi_error_string(code, &buffer, &n)
    let text = String(decoding: buffer.prefix(Int(max(0, n))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    throw SluiceError(.library, "\(function) failed: \(text) (MPI error \(code))")
}
