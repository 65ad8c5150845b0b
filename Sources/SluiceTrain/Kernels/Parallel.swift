// Splitting a loop over the machine's cores. The kernels partition *independent* rows or
// columns, never a reduction, so results are bit-identical whatever the thread count.
import Dispatch

/// Runs `body` on `threads` contiguous, disjoint sub-ranges of `0..<count` concurrently.
///
/// Every index is visited exactly once; each range is visited by one thread in order, so a body
/// that writes only the rows of its range is race-free and deterministic.
/// - Parameters:
///   - count: number of independent items.
///   - threads: at most this many ranges (1 runs inline).
///   - grain: fewest items worth a thread of their own.
@inline(__always)
func parallelRanges(_ count: Int, threads: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    let t = max(1, min(threads, count / max(1, grain)))
    if t <= 1 {
        if count > 0 { body(0..<count) }
        return
    }
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let run = body
        DispatchQueue.concurrentPerform(iterations: t) { i in
            run((count * i / t)..<(count * (i + 1) / t))
        }
    }
}

/// A raw float pointer that may cross into the worker threads of `parallelRanges`.
typealias FloatPointer = UnsafeMutablePointer<Float>
