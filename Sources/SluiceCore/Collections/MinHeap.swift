// The one binary min-heap: over caller-owned storage (the tokenizer's per-word merge queue, no
// allocation per word) or over an Array (the BPE trainer's pair queue). Smallest by `<` first;
// not a priority queue with updates (stale entries are the caller's to skip).

/// A binary min-heap of `Element`s in storage the caller owns (room for every push).
public struct MinHeap<Element: Comparable> {
    public let storage: UnsafeMutablePointer<Element>
    /// Elements in `storage[0..<count]`.
    public var count = 0

    public init(_ storage: UnsafeMutablePointer<Element>) { self.storage = storage }

    @inlinable @inline(__always)
    public mutating func push(_ e: Element) {
        Self.siftUp(e, at: count, in: storage)
        count += 1
    }

    /// The smallest element, removed; nil when empty.
    @inlinable @inline(__always)
    public mutating func pop() -> Element? {
        guard count > 0 else { return nil }
        let top = storage[0]
        count -= 1
        if count > 0 { Self.siftDown(storage[count], from: 0, in: storage, count: count) }
        return top
    }

    /// Places `e` at the hole `i` or above it: parents after `e` move down.
    @inlinable @inline(__always)
    public static func siftUp(_ e: Element, at hole: Int, in a: UnsafeMutablePointer<Element>) {
        var i = hole
        while i > 0 {
            let parent = (i - 1) >> 1
            if !(e < a[parent]) { break }
            a[i] = a[parent]
            i = parent
        }
        a[i] = e
    }

    /// Places `e` at the hole `start` or below it among `a[0..<count]`: smaller children move up.
    @inlinable @inline(__always)
    public static func siftDown(_ e: Element, from start: Int, in a: UnsafeMutablePointer<Element>, count: Int) {
        var i = start
        while true {
            let l = 2 * i + 1
            if l >= count { break }
            var c = l
            if l + 1 < count && a[l + 1] < a[l] { c = l + 1 }
            if !(a[c] < e) { break }
            a[i] = a[c]
            i = c
        }
        a[i] = e
    }
}

extension Array where Element: Comparable {
    /// Orders the array as a min-heap. - Complexity: O(n).
    public mutating func heapify() {
        withUnsafeMutableBufferPointer { b in
            guard let a = b.baseAddress else { return }
            var i = b.count / 2 - 1
            while i >= 0 {
                MinHeap<Element>.siftDown(a[i], from: i, in: a, count: b.count)
                i -= 1
            }
        }
    }

    /// Adds `e` to a min-heap ordered array. - Complexity: O(log n).
    public mutating func heapPush(_ e: Element) {
        append(e)
        withUnsafeMutableBufferPointer { b in MinHeap<Element>.siftUp(e, at: b.count - 1, in: b.baseAddress!) }
    }

    /// Removes and returns the smallest element of a min-heap ordered array. - Complexity: O(log n).
    public mutating func heapPop() -> Element? {
        guard let top = first else { return nil }
        let last = removeLast()
        if !isEmpty {
            withUnsafeMutableBufferPointer { b in
                MinHeap<Element>.siftDown(last, from: 0, in: b.baseAddress!, count: b.count)
            }
        }
        return top
    }
}
