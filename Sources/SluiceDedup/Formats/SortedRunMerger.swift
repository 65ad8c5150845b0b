// A k-way merge of sorted record files (RecordFile.swift) into one sorted stream, over a binary
// heap of file indices with one read block per file. It does not sort a run; passes write runs sorted.
import Foundation
import SluiceCore

/// Merges sorted record files into one sorted stream (records compare word by word).
///
/// Memory: one read block per file (16 K records) plus a heap of file indices.
public struct SortedRunMerger {
    private var readers: [RecordFileReader]
    private var heads: [UnsafePointer<UInt64>?]
    private var heap: [Int] = []
    private let width: Int

    /// - Throws: errors opening any run.
    public init(paths: [String], width: Int, magic: StaticString) throws {
        self.width = width
        readers = try paths.map { try RecordFileReader(path: $0, width: width, magic: magic, blockRecords: 1 << 13) }
        heads = Array(repeating: nil, count: readers.count)
    }

    /// Calls `body` with every record of every run, in ascending order (ties by run order).
    public mutating func forEach(_ body: (UnsafePointer<UInt64>) throws -> Void) throws {
        heap.removeAll()
        for i in readers.indices {
            heads[i] = try readers[i].next()
            if heads[i] != nil { push(i) }
        }
        while let top = heap.first {
            try body(heads[top]!)
            heads[top] = try readers[top].next()
            if heads[top] == nil {
                let last = heap.removeLast()
                if !heap.isEmpty {
                    heap[0] = last
                    siftDown(0)
                }
            } else {
                siftDown(0)
            }
        }
    }

    @inline(__always) private func less(_ a: Int, _ b: Int) -> Bool {
        let x = heads[a]!
        let y = heads[b]!
        for k in 0..<width where x[k] != y[k] { return x[k] < y[k] }
        return a < b
    }

    private mutating func push(_ i: Int) {
        heap.append(i)
        var c = heap.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            guard less(heap[c], heap[p]) else { break }
            heap.swapAt(c, p)
            c = p
        }
    }

    private mutating func siftDown(_ start: Int) {
        var p = start
        let n = heap.count
        while true {
            let l = 2 * p + 1
            if l >= n { return }
            var m = l
            if l + 1 < n, less(heap[l + 1], heap[l]) { m = l + 1 }
            guard less(heap[m], heap[p]) else { return }
            heap.swapAt(m, p)
            p = m
        }
    }
}
