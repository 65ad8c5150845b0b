// A progress line on stderr while a pass runs (documents/s, MB/s, tasks done, ETA from input
// bytes), redrawn in place twice a second. Only when stderr is a terminal: logs stay quiet.
import Foundation
import Synchronization

/// Counters the tasks of a pass add to; a background thread draws them.
public final class ProgressMeter: Sendable {
    private let documents = Atomic<Int>(0)
    private let bytes = Atomic<Int>(0)
    private let inputBytesDone = Atomic<Int>(0)
    private let tasksDone = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let pass: String
    private let taskTotal: Int
    private let inputBytesTotal: Int
    private let started: UInt64

    /// - Parameters:
    ///   - inputBytesTotal: the size of the pass's inputs (0 when unknown: no ETA).
    public init(pass: String, tasks: Int, inputBytesTotal: Int) {
        self.pass = pass
        self.taskTotal = tasks
        self.inputBytesTotal = inputBytesTotal
        self.started = PipelinePlan.now()
    }

    /// Whether progress should be drawn: stderr is a terminal and `SLUICE_NO_PROGRESS` is unset.
    public static var enabled: Bool {
        isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["SLUICE_NO_PROGRESS"] == nil
    }

    public func add(documents n: Int, bytes b: Int) {
        documents.add(n, ordering: .relaxed)
        bytes.add(b, ordering: .relaxed)
    }

    /// An input file of `bytes` bytes was read completely.
    public func finishedInput(bytes b: Int) { inputBytesDone.add(b, ordering: .relaxed) }

    public func finishedTask() { tasksDone.add(1, ordering: .relaxed) }

    /// The current line, e.g. `segment-0  3/8 tasks  120,400 docs  45,000 docs/s  61.2 MB/s  ETA 0:12`.
    public func line() -> String {
        let elapsed = max(1e-3, PipelinePlan.seconds(since: started))
        let d = documents.load(ordering: .relaxed)
        let b = bytes.load(ordering: .relaxed)
        var s = "\(pass)  \(tasksDone.load(ordering: .relaxed))/\(taskTotal) tasks  \(StatsReport.grouped(d)) docs"
        s += "  \(StatsReport.grouped(Int(Double(d) / elapsed))) docs/s"
        s += "  " + String(format: "%.1f MB/s", Double(b) / 1e6 / elapsed)
        let downloaded = RemoteTransfers.totalBytes  // remote inputs (RemoteStreams.swift)
        if downloaded > 0 {
            s += "  download " + String(format: "%.1f MB/s", Double(downloaded) / 1e6 / elapsed)
            let retries = RemoteTransfers.totalRetries
            if retries > 0 { s += " (\(retries) retries)" }
        }
        let done = inputBytesDone.load(ordering: .relaxed)
        if inputBytesTotal > 0 && done > 0 {
            let remaining = elapsed * Double(max(0, inputBytesTotal - done)) / Double(done)
            s += "  ETA " + Self.clock(remaining)
        }
        return s
    }

    static func clock(_ seconds: Double) -> String {
        let t = Int(seconds.rounded())
        return t >= 3600
            ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }

    /// Draws the line every half second until `stop()`.
    public func start() {
        guard !running.exchange(true, ordering: .relaxed) else { return }
        let thread = Thread { [self] in
            while !stopped.load(ordering: .relaxed) {
                draw()
                for _ in 0..<10 where !stopped.load(ordering: .relaxed) { usleep(50_000) }
            }
            draw()
            FileHandle.standardError.write(Data("\n".utf8))
            finished.signal()
        }
        thread.start()
    }

    /// Stops drawing and leaves the last line on the terminal.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed), running.load(ordering: .relaxed) else { return }
        finished.wait()
    }

    private func draw() {
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line()).utf8))
    }
}
