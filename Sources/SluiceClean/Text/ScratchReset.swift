// Clearing reusable hash tables between documents. `removeAll(keepingCapacity:)` costs O(capacity),
// so after one huge document every later small one would pay for its table; these resets shrink a
// table that is far larger than the next document needs.

extension Set {
    /// Empties the set, keeping its storage unless it is much larger than `expected` elements need.
    mutating func reset(expecting expected: Int) {
        if capacity > Swift.max(1024, 4 * expected) {
            self = Set(minimumCapacity: expected)
        } else {
            removeAll(keepingCapacity: true)
        }
    }
}

extension Dictionary {
    /// Empties the dictionary, keeping its storage unless it is much larger than `expected` needs.
    mutating func reset(expecting expected: Int) {
        if capacity > Swift.max(1024, 4 * expected) {
            self = Dictionary(minimumCapacity: expected)
        } else {
            removeAll(keepingCapacity: true)
        }
    }
}
