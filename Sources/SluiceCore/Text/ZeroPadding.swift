// Numbers as fixed-width text, for file names that sort in number order (`00003.done`,
// `step-00000100`) and for 64-bit fingerprints and hashes (`00ab…`, 16 hex digits).

/// `n` in decimal, left-padded with zeros to `width` digits: `zeroPadded(3, width: 5)` is `00003`.
/// A wider number is written whole.
public func zeroPadded(_ n: Int, width: Int) -> String {
    let s = String(n)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

/// `v` as 16 lowercase hex digits: `zeroPaddedHex(0xab)` is `00000000000000ab`.
public func zeroPaddedHex(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}
