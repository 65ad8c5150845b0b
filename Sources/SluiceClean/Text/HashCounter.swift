// An open-addressing table from 64-bit hashes to a count and a first position, for counting lines
// and n-grams within one document. The keys are already well-mixed hashes, so it skips Swift's
// SipHash; linear probing over power-of-two arrays. Reused across documents (reset is O(size used)
// when the table is small, and the table shrinks after a huge document).

/// Counts 64-bit keys (hashes); remembers where each key was first seen.
struct HashCounter {
    private var keys: [UInt64] = []
    private var counts: [Int32] = []
    private var firsts: [Int32] = []
    private var used: [Int32] = []
    private var mask = 0

    /// Empties the table and sizes it for about `expected` distinct keys.
    mutating func reset(expecting expected: Int) {
        var capacity = 16
        while capacity < expected * 2 { capacity <<= 1 }
        if keys.count >= capacity && keys.count <= max(capacity * 4, 1 << 12) {
            for slot in used { keys[Int(slot)] = 0 }
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
        var i = Int(truncatingIfNeeded: k ^ (k >> 29)) & mask
        while true {
            let existing = keys[i]
            if existing == k {
                counts[i] += 1
                return (Int(counts[i]), Int(firsts[i]))
            }
            if existing == 0 {
                if used.count * 2 >= keys.count { grow(); return add(key, at: position) }
                keys[i] = k
                counts[i] = 1
                firsts[i] = Int32(truncatingIfNeeded: position)
                used.append(Int32(i))
                return (1, position)
            }
            i = (i + 1) & mask
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
