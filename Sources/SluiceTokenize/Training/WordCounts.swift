// Pre-token counts: the only corpus-sized state of BPE training (bounded by the number of
// distinct pre-tokens, reported by `memoryBytes`). An open-addressing table over one byte arena,
// 64-bit counts; saved to and loaded from a small binary file between corpus passes.
import Foundation
import SluiceCore

/// Distinct byte strings (pre-tokens) with 64-bit counts.
public struct WordCounts: Sendable {
    /// The pre-token bytes, back to back.
    private(set) var arena: [UInt8] = []
    private(set) var starts: [Int] = []
    private(set) var lengths: [Int32] = []
    /// Occurrences of each distinct word.
    public private(set) var counts: [UInt64] = []
    private var hashes: [UInt64] = []
    private var slots: [Int32]
    private var mask: Int

    public init() {
        slots = [Int32](repeating: -1, count: 1 << 12)
        mask = (1 << 12) - 1
    }

    /// Distinct words.
    public var distinct: Int { counts.count }
    /// Sum of all counts.
    public var total: UInt64 { counts.reduce(0, &+) }
    /// Approximate bytes held (arena, entries and table).
    public var memoryBytes: Int {
        arena.capacity + starts.capacity * 8 + lengths.capacity * 4 + counts.capacity * 16 + slots.count * 4
    }

    /// The bytes of word `i`.
    public func word(_ i: Int) -> ArraySlice<UInt8> { arena[starts[i]..<(starts[i] + Int(lengths[i]))] }

    /// Adds `count` occurrences of `p[0..<n]`.
    @inline(__always)
    public mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int, count: UInt64 = 1) {
        add(p, n, hash: stringHash(p, n), count: count)
    }

    @inline(__always)
    mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, count: UInt64) {
        let (i, e) = find(p, n, hash: h)
        if e >= 0 {
            counts.withUnsafeMutableBufferPointer { $0[e] &+= count }  // e < counts.count (see `find`)
            return
        }
        slots[i] = Int32(counts.count)
        starts.append(arena.count)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        lengths.append(Int32(n))
        counts.append(count)
        hashes.append(h)
        if counts.count * 2 > slots.count { grow() }
    }

    /// The slot holding `p[0..<n]` (hash `h`) and its entry; or the empty slot where it goes, and -1.
    ///
    /// Runs once per pre-token of the corpus, so it reads without bounds checks: `& mask` keeps
    /// the slot inside `slots` (mask + 1 of them), and a slot holds an entry below `counts.count`,
    /// which is also the count of `hashes`, `lengths` and `starts`.
    @inline(__always)
    private func find(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> (slot: Int, entry: Int) {
        slots.withUnsafeBufferPointer { slots in
            hashes.withUnsafeBufferPointer { hashes in
                lengths.withUnsafeBufferPointer { lengths in
                    starts.withUnsafeBufferPointer { starts in
                        arena.withUnsafeBufferPointer { arena in
                            var i = Int(truncatingIfNeeded: h) & mask
                            while true {
                                let e = Int(slots[i])
                                if e < 0 { return (i, -1) }
                                if hashes[e] == h && Int(lengths[e]) == n
                                    && memcmp(arena.baseAddress! + starts[e], p, n) == 0
                                {
                                    return (i, e)
                                }
                                i = (i &+ 1) & mask
                            }
                        }
                    }
                }
            }
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for e in 0..<counts.count {
            var i = Int(truncatingIfNeeded: hashes[e]) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(e)
        }
    }

    /// Splits `text` with `pattern` and counts every pre-token.
    public mutating func addText(_ text: UnsafeBufferPointer<UInt8>, pattern: SplitPattern) {
        guard let base = text.baseAddress, text.count > 0 else { return }
        var s = PreTokenSplitter(text, pattern: pattern)
        while let r = s.next() { add(base + r.lowerBound, r.count) }
    }

    /// Adds every word of `other`.
    public mutating func merge(_ other: WordCounts) {
        other.arena.withUnsafeBufferPointer { a in
            for e in 0..<other.counts.count {
                add(
                    a.baseAddress! + other.starts[e], Int(other.lengths[e]), hash: other.hashes[e],
                    count: other.counts[e])
            }
        }
    }

    // MARK: - Files

    static let magic = Array("SLWC0001".utf8)

    /// Writes the counts (`SLWC0001`, u64 entries, then per entry u32 length, bytes, u64 count).
    public func write(to path: String) throws {
        var out = WordCounts.magic
        out.reserveCapacity(arena.count + counts.count * 12 + 16)
        appendLE(&out, UInt64(counts.count), 8)
        for e in 0..<counts.count {
            appendLE(&out, UInt64(lengths[e]), 4)
            out += arena[starts[e]..<(starts[e] + Int(lengths[e]))]
            appendLE(&out, counts[e], 8)
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(out)) else {
            throw SluiceError(.io, "cannot write word counts", file: path)
        }
    }

    /// Reads counts written by `write(to:)`, adding them to this table.
    /// - Throws: `.io` when unreadable; `.corruptInput` naming the file when malformed.
    public mutating func read(from path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SluiceError(.io, "cannot read word counts", file: path)
        }
        try data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
            guard b.count >= 16, b.prefix(8).elementsEqual(WordCounts.magic) else {
                throw SluiceError(.corruptInput, "not a word-count file (wrong magic)", file: path, offset: 0)
            }
            let n = Int(readLE(b, 8, 8))
            var at = 16
            let bytes = b.bindMemory(to: UInt8.self)
            for _ in 0..<n {
                guard at + 4 <= b.count else {
                    throw SluiceError(.corruptInput, "truncated word-count file", file: path, offset: at)
                }
                let len = Int(readLE(b, at, 4))
                guard at + 4 + len + 8 <= b.count else {
                    throw SluiceError(.corruptInput, "truncated word-count file", file: path, offset: at)
                }
                add(bytes.baseAddress! + at + 4, len, count: readLE(b, at + 4 + len, 8))
                at += 4 + len + 8
            }
            guard at == b.count else {
                throw SluiceError(.corruptInput, "trailing bytes in word-count file", file: path, offset: at)
            }
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
