// MinHeap over caller storage and the Array heap operations pop in sorted order.
import SluiceCore
import Testing

@Suite struct MinHeapTests {
    @Test func popsInOrderFromCallerStorage() {
        var g = SplitMix64(seed: 1)
        let values = (0..<500).map { _ in g.next() % 100 }
        let storage = UnsafeMutablePointer<UInt64>.allocate(capacity: values.count)
        defer { storage.deallocate() }
        var heap = MinHeap(storage)
        for v in values { heap.push(v) }
        var out: [UInt64] = []
        while let v = heap.pop() { out.append(v) }
        #expect(out == values.sorted())
    }

    @Test func arrayHeapMatchesSorting() {
        var g = SplitMix64(seed: 2)
        var heap = (0..<300).map { _ in Int(g.next() % 1000) }
        let sorted = heap.sorted()
        heap.heapify()
        heap.heapPush(-1)
        var out: [Int] = []
        while let v = heap.heapPop() { out.append(v) }
        #expect(out == [-1] + sorted)
    }
}
