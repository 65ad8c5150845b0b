// Keeps glibc's malloc from holding on to what a pipeline frees. glibc raises its mmap threshold to
// the size of the largest mapped block freed so far (up to 32 MB) and its trim threshold to twice
// that; once a task has freed a few megabytes, each worker thread's arena keeps up to tens of
// megabytes of free pages, and the tree of a large page (about 15 times the page, in small blocks)
// on one worker stacks on what the others keep. On the FineWeb pipeline of BENCHMARKS.md#pipeline
// (5 tasks, 2 workers), 8 runs read 227–286 MiB peak RSS with the moving thresholds and 209–211 MiB
// with them held, in the same wall time.
import CHeap

public enum Heap {
    /// glibc's default for both thresholds.
    public static let threshold = 128 << 10

    /// Holds the mmap and trim thresholds at `threshold` for the rest of the process.
    public static func holdThresholds() { sluice_heap_set_thresholds(Int32(threshold)) }
}
