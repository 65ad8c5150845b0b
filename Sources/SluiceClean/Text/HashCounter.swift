// An open-addressing table from 64-bit hashes to a count and a first position, for counting lines
// and n-grams within one document. The keys are already well-mixed hashes, so it skips Swift's
// SipHash; linear probing over power-of-two arrays. Reused across documents (reset is O(size used)
// when the table is small, and the table shrinks after a huge document).

/// Counts 64-bit keys (hashes); remembers where each key was first seen.
struct HashCounter {
    /// Power-of-two arrays of one size, `mask + 1` (what makes the unchecked probe below safe).
    private var keys = [UInt64](repeating: 0, count: 16)
    private var counts = [Int32](repeating: 0, count: 16)
    private var firsts = [Int32](repeating: 0, count: 16)
    private var used: [Int32] = []
    private var mask = 15

    /// Empties the table and sizes it for about `expected` distinct keys.
    mutating func reset(expecting expected: Int) {
        var capacity = 16
        while capacity < expected * 2 { capacity <<= 1 }
        if keys.count >= capacity && keys.count <= max(capacity * 4, 1 << 12) {
            // Every slot in `used` is below keys.count: a buffer pointer skips the bounds check per slot (-O).
            let used = self.used
            keys.withUnsafeMutableBufferPointer { keys in for slot in used { keys[Int(slot)] = 0 } }
        } else {
            keys = [UInt64](repeating: 0, count: capacity)
            counts = [Int32](repeating: 0, count: capacity)
            firsts = [Int32](repeating: 0, count: capacity)
        }
        used.removeAll(keepingCapacity: true)
        mask = keys.count - 1
    }

    /// Adds one occurrence of `key` first seen at `position`; returns (count now, first position).
    @inline(__always)
    mutating func add(_ key: UInt64, at position: Int) -> (count: Int, first: Int) {
        let k = key == 0 ? 1 : key
        let (slot, found) = probe(k)
        var i = slot
        if found {
            counts[i] += 1
            return (Int(counts[i]), Int(firsts[i]))
        }
        if used.count * 2 >= keys.count {
            grow()
            i = probe(k).slot
        }
        keys[i] = k
        counts[i] = 1
        firsts[i] = Int32(truncatingIfNeeded: position)
        used.append(Int32(i))
        return (1, position)
    }

    /// The slot holding `k`, or the empty slot where it goes.
    @inline(__always)
    private func probe(_ k: UInt64) -> (slot: Int, found: Bool) {
        let mask = self.mask
        // Through a buffer pointer: an index masked by `mask` (keys.count - 1) is in range, and the
        // checked subscript cost a bounds check per probe under -O.
        return keys.withUnsafeBufferPointer { keys in
            var i = Int(truncatingIfNeeded: k ^ (k >> 29)) & mask
            while true {
                let existing = keys[i]
                if existing == k { return (i, true) }
                if existing == 0 { return (i, false) }
                i = (i &+ 1) & mask
            }
        }
    }

    /// Doubles the table, re-inserting the keys in use.
    @inline(never)
    private mutating func grow() {
        let old = used.map { (keys[Int($0)], counts[Int($0)], firsts[Int($0)]) }
        let capacity = keys.count * 2
        keys = [UInt64](repeating: 0, count: capacity)
        counts = [Int32](repeating: 0, count: capacity)
        firsts = [Int32](repeating: 0, count: capacity)
        used.removeAll(keepingCapacity: true)
        mask = capacity - 1
        for (k, c, f) in old {
            var i = Int(truncatingIfNeeded: k ^ (k >> 29)) & mask
            while keys[i] != 0 { i = (i + 1) & mask }
            keys[i] = k
            counts[i] = c
            firsts[i] = f
            used.append(Int32(i))
        }
    }
}
