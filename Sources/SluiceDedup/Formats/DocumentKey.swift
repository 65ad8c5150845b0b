// The 64-bit key by which dedup passes name a document: its input file's index and its ordinal in
// that file, so that sorting keys sorts documents in the engine's order.

/// A document's key: its file index in the high 24 bits, its ordinal in the low 40.
/// Sorting keys sorts documents in the engine's deterministic order.
public enum DocumentKey {
    public static let ordinalBits: UInt64 = 40
    public static let ordinalMask: UInt64 = (1 << 40) - 1

    @inline(__always) public static func make(file: Int, ordinal: Int) -> UInt64 {
        UInt64(file) << ordinalBits | UInt64(ordinal)
    }
    @inline(__always) public static func file(_ key: UInt64) -> Int { Int(key >> ordinalBits) }
    @inline(__always) public static func ordinal(_ key: UInt64) -> Int { Int(key & ordinalMask) }
    /// `3:1207` for messages and reports.
    public static func describe(_ key: UInt64) -> String { "\(file(key)):\(ordinal(key))" }
}
