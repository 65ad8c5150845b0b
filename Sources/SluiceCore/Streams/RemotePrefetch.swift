// Read-ahead for remote inputs: a thread drives the HTTP transfer into a few fixed blocks while
// the caller decodes the blocks already received, so on two cores the network copy and the
// decoder overlap instead of taking turns. Memory is bounded (blocks × block size, on top of the
// transfer's own buffer); bytes and errors reach the caller in the order the transfer gave them.
import Foundation

/// A `RemoteStream` read ahead on its own thread. `read` has the stream's contract: up to
/// `count` bytes, 0 at the end, and a failure after every byte received before it.
final class PrefetchingRemoteStream {
    private let shared: Shared

    /// Starts reading `stream` ahead. The stream is used only by the read-ahead thread from here on.
    init(_ stream: RemoteStream, blocks: Int = 8, blockSize: Int = 1 << 18) {
        shared = Shared(blocks: blocks, blockSize: blockSize)
        let shared = shared
        let box = StreamBox(stream)
        let thread = Thread { shared.produce(from: box) }
        thread.name = "sluice-http"
        thread.start()
    }

    deinit { shared.cancel() }

    func read(_ p: UnsafeMutableRawPointer, _ count: Int) throws -> Int {
        try shared.read(p, count)
    }

    /// Hands the stream to the thread (it is never touched by two threads at once).
    private final class StreamBox: @unchecked Sendable {
        var stream: RemoteStream?
        init(_ stream: RemoteStream) { self.stream = stream }
    }

    /// The blocks and their hand-over, owned jointly by the reader and the read-ahead thread.
    private final class Shared: @unchecked Sendable {
        private let condition = NSCondition()
        private let blockSize: Int
        private let memory: [UnsafeMutableRawPointer]
        /// Blocks the thread may fill, and filled blocks (pointer, byte count) in order.
        private var free: [UnsafeMutableRawPointer]
        private var filled: [(UnsafeMutableRawPointer, Int)] = []
        private var filledHead = 0
        /// The block the reader is taking bytes from.
        private var current: UnsafeMutableRawPointer?
        private var currentStart = 0, currentEnd = 0
        private var ended = false
        private var failure: Error?
        private var cancelled = false

        init(blocks: Int, blockSize: Int) {
            self.blockSize = blockSize
            memory = (0..<blocks).map { _ in .allocate(byteCount: blockSize, alignment: 64) }
            free = memory
        }

        deinit { for m in memory { m.deallocate() } }

        func cancel() {
            condition.lock()
            cancelled = true
            condition.broadcast()
            condition.unlock()
        }

        /// The thread: fills free blocks until the end, a failure or cancellation. The stream is
        /// released before the end is announced, so its transfer stats are recorded by then.
        func produce(from box: StreamBox) {
            while true {
                condition.lock()
                while free.isEmpty && !cancelled { condition.wait() }
                if cancelled {
                    condition.unlock()
                    break
                }
                let block = free.removeLast()
                condition.unlock()
                var n = 0
                var error: Error?
                do {
                    while n < blockSize {
                        let k = try box.stream!.read(block + n, blockSize - n)
                        if k == 0 { break }
                        n += k
                    }
                } catch let e {
                    error = e
                }
                let last = error != nil || n < blockSize
                if last { box.stream = nil }
                condition.lock()
                if n > 0 { filled.append((block, n)) } else { free.append(block) }
                if last {
                    failure = error
                    ended = true
                }
                condition.broadcast()
                condition.unlock()
                if last { break }
            }
            box.stream = nil
        }

        func read(_ p: UnsafeMutableRawPointer, _ count: Int) throws -> Int {
            guard count > 0 else { return 0 }
            if currentStart == currentEnd {
                condition.lock()
                defer { condition.unlock() }
                if let done = current {
                    free.append(done)
                    current = nil
                    condition.broadcast()
                }
                while filledHead == filled.count && !ended { condition.wait() }
                if filledHead == filled.count {
                    if let e = failure {
                        failure = nil
                        throw e
                    }
                    return 0
                }
                let (block, n) = filled[filledHead]
                filledHead += 1
                if filledHead == filled.count {
                    filled.removeAll(keepingCapacity: true)
                    filledHead = 0
                }
                current = block
                currentStart = 0
                currentEnd = n
            }
            let n = min(count, currentEnd - currentStart)
            p.copyMemory(from: current! + currentStart, byteCount: n)
            currentStart += n
            return n
        }
    }
}
