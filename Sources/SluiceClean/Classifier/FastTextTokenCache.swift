// The input rows of recently seen tokens, so that a repeated token costs one probe instead of a
// dictionary probe plus, for a word the model does not know, every character n-gram's FNV hash,
// bucket modulo and pruned-index probe (lid.176 knows 7,235 words, so most words of a crawl page
// take that path). A hit replays the same row ids in the same order, so predictions stay bit for bit
// fastText's. Bounded: when its table or arenas fill, it starts over empty.
import CPrefetch
import Foundation

/// What a token contributes to a fastText input line: its rows, and whether it takes part in word
/// n-grams (a label token does not).
struct FastTextTokenCache {
    /// Tokens longer than this are not cached (long URLs, base64 runs: rarely repeated).
    static let maxTokenBytes = 48
    /// 2^18 slots, half of them used: about 6 MB of slots and up to about 15 MB of arenas, room for
    /// the distinct words of a few thousand pages. 2^16 (about 5 MB) cost the crawl-page and Tatoeba
    /// rows of BENCHMARKS.md#quality a quarter to a third of their speed.
    static let defaultSlotBits = 18
    private let slotBits: Int
    private let maxEntries: Int
    private let maxKeyBytes: Int
    private let maxRows: Int

    private struct Slot {
        /// A token of at most 8 bytes itself (zero-padded), so that most hits touch one cache line;
        /// a longer one's offset in `keys`.
        var key: UInt64 = 0
        var hash: UInt32 = 0
        var rowStart: Int32 = 0
        var rowCount: Int32 = 0
        /// −1: empty.
        var keyLength: Int8 = -1
        var takesPartInNgrams = false
    }

    @inline(__always)
    private static func inlineKey(_ token: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var v: UInt64 = 0
        withUnsafeMutableBytes(of: &v) { $0.copyMemory(from: UnsafeRawBufferPointer(token)) }
        return v
    }

    private let slots: UnsafeMutableBufferPointer<Slot>
    private let mask: Int
    private var entries = 0
    private var keys: [UInt8] = []
    /// Row ids of every cached token, back to back; a token looked up for the first time appends
    /// its rows here before `commit`.
    private(set) var rows: [Int32] = []

    init(slotBits: Int = FastTextTokenCache.defaultSlotBits) {
        precondition((2...30).contains(slotBits), "token cache of 2^\(slotBits) slots")
        self.slotBits = slotBits
        maxEntries = (1 << slotBits) / 2
        maxKeyBytes = maxEntries * 12
        maxRows = maxEntries * 24
        // Reserved once, at the bound where the cache starts over: memory is touched only as it
        // fills, and never copied by growth.
        keys.reserveCapacity(maxKeyBytes)
        rows.reserveCapacity(maxRows + 4096)
        slots = .allocate(capacity: 1 << slotBits)
        slots.initialize(repeating: Slot())
        mask = (1 << slotBits) - 1
    }

    /// Frees the slot table (the owner calls this once, when it is done with the cache).
    func deallocate() { slots.deallocate() }

    @inline(__always)
    private func home(_ hash: UInt32) -> Int { Int((hash &* 2_654_435_761) >> UInt32(32 - slotBits)) }

    /// Asks for the home slot of a token that comes a few tokens later, so that its cache line is
    /// on its way when the token's turn comes (the slots are megabytes: a cold probe waits on memory).
    @inline(__always)
    func prefetch(_ hash: UInt32) { sluice_prefetch(slots.baseAddress! + home(hash)) }

    /// The cached rows of `token` (FNV hash `hash`): (first row in `rows`, count, takes part in n-grams).
    @inline(__always)
    func lookup(_ token: UnsafeBufferPointer<UInt8>, hash: UInt32) -> (start: Int, count: Int, ngrams: Bool)? {
        let n = token.count
        guard n <= Self.maxTokenBytes else { return nil }
        let short = n <= 8 ? Self.inlineKey(token) : 0
        var slot = home(hash)
        while true {
            let s = slots[slot]
            if s.keyLength < 0 { return nil }
            if s.hash == hash && Int(s.keyLength) == n {
                let same =
                    n <= 8
                    ? s.key == short
                    : keys.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(s.key), token.baseAddress!, n) == 0 }
                if same { return (Int(s.rowStart), Int(s.rowCount), s.takesPartInNgrams) }
            }
            slot = (slot + 1) & mask
        }
    }

    /// Starts a token's rows: call `append` for each, then `commit`.
    @inline(__always)
    func begin() -> Int { rows.count }

    @inline(__always)
    mutating func append(_ row: Int32) { rows.append(row) }

    /// Caches `token` with the rows appended since `start`; starts over first when full (the rows
    /// of this token are kept, moved to the front). A token too long to cache has its rows dropped.
    mutating func commit(_ token: UnsafeBufferPointer<UInt8>, hash: UInt32, from start: Int, ngrams: Bool) {
        guard token.count <= Self.maxTokenBytes else {
            rows.removeSubrange(start...)
            return
        }
        var start = start
        if entries >= maxEntries || keys.count + token.count > maxKeyBytes || rows.count > maxRows {
            let mine = Array(rows[start...])
            rows.removeAll(keepingCapacity: true)
            rows.append(contentsOf: mine)
            keys.removeAll(keepingCapacity: true)
            for i in slots.indices { slots[i].keyLength = -1 }
            entries = 0
            start = 0
        }
        var slot = home(hash)
        while slots[slot].keyLength >= 0 { slot = (slot + 1) & mask }
        let short = token.count <= 8
        slots[slot] = Slot(
            key: short ? Self.inlineKey(token) : UInt64(keys.count), hash: hash, rowStart: Int32(start),
            rowCount: Int32(rows.count - start), keyLength: Int8(token.count), takesPartInNgrams: ngrams)
        if !short { keys.append(contentsOf: token) }
        entries += 1
    }
}
