// Hands freed heap pages back to the system after the bursts a pipeline makes. glibc keeps a
// freed block's pages in its arena (one per worker thread): the free space at an arena's top up to
// a trim threshold that grows to twice the largest mapped block freed so far, and every page in the
// middle. The tree of a large HTML page (about 15 times the page, in small blocks) or a finished
// task's buffers then stay resident, and what one worker keeps adds up with another's burst. On the
// FineWeb pipeline of BENCHMARKS.md#pipeline (5 tasks, 2 workers), peak RSS read 227–286 MiB in 8
// runs; trimming after each task and after each page of 1 MiB or more, 211–213 in 6 of 8 (229 and
// 257 in the others).
//
// Holding glibc's thresholds at their 128 KiB defaults instead read 209–211 in 8 runs, but sent
// every OpenBLAS work buffer (516 KiB, dozens per forward pass) and every activation set to mmap
// and fresh page faults: the perplexity step's system time rose by a third.
import CHeap

public enum Heap {
    /// Returns the free pages of every arena to the system (`malloc_trim`). It walks every arena's
    /// free lists, so it belongs after large bursts, not after every document.
    public static func releaseFreePages() { sluice_heap_trim() }
}
