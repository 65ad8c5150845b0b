// An open-addressing table from byte strings to Unigram piece ids (−1 for proper prefixes of a
// piece), used to find lattice nodes (NodeStore.swift). Insert and look up only; no removal.
import Foundation
import SluiceCore

/// Byte string → Int32 over an arena (piece ids, −1 for prefixes), open addressing.
struct PrefixTable: @unchecked Sendable {
    /// Every piece, and every proper prefix (at character boundaries) as −1.
    init(pieces: [[UInt8]]) {
        for (id, p) in pieces.enumerated() {
            p.withUnsafeBufferPointer { b in
                var i = 0
                while i < b.count {
                    i += utf8Length(b[i])
                    insert(b.baseAddress!, min(i, b.count), id: i >= b.count ? Int32(id) : -1)
                }
            }
        }
    }

    init() {}

    private var arena: [UInt8] = []
    private var starts: [Int] = []
    private var lengths: [Int32] = []
    private var ids: [Int32] = []
    private var hashes: [UInt64] = []
    private var slots = [Int32](repeating: -1, count: 1 << 12)
    private var mask = (1 << 12) - 1

    /// Inserts; an id ≥ 0 replaces a −1 (a prefix that is also a piece).
    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, id: Int32) {
        let h = stringHash(p, n)
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 {
            let e = Int(slots[i])
            if hashes[e] == h && Int(lengths[e]) == n
                && arena.withUnsafeBufferPointer({ memcmp($0.baseAddress! + starts[e], p, n) == 0 })
            {
                if id >= 0 { ids[e] = id }
                return
            }
            i = (i + 1) & mask
        }
        slots[i] = Int32(ids.count)
        starts.append(arena.count)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        lengths.append(Int32(n))
        ids.append(id)
        hashes.append(h)
        if ids.count * 2 > slots.count {
            let size = slots.count * 2
            slots = [Int32](repeating: -1, count: size)
            mask = size - 1
            for e in 0..<ids.count {
                var j = Int(truncatingIfNeeded: hashes[e]) & mask
                while slots[j] >= 0 { j = (j + 1) & mask }
                slots[j] = Int32(e)
            }
        }
    }

    @inline(__always)
    func get(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> Int32? {
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[i])
            if e < 0 { return nil }
            if hashes[e] == h && Int(lengths[e]) == n
                && arena.withUnsafeBufferPointer({ memcmp($0.baseAddress! + starts[e], p, n) == 0 })
            {
                return ids[e]
            }
            i = (i + 1) & mask
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
