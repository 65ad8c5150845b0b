// SHA-1 (FIPS 180-4) and the digest spellings found in WARC-Block-Digest / WARC-Payload-Digest
// (`sha1:` + base32, also base64 and URL-safe base64 and hex). For checking digests only: SHA-1
// is not used here for anything that needs collision resistance.
import SluiceCore

/// Incremental SHA-1.
struct SHA1 {
    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0
    )
    private var block = [UInt8](repeating: 0, count: 64)
    private var used = 0
    private var length: UInt64 = 0
    private var w = [UInt32](repeating: 0, count: 80)

    mutating func update(_ data: UnsafeRawBufferPointer) {
        let b = data.bindMemory(to: UInt8.self)
        length &+= UInt64(b.count)
        var i = 0
        if used > 0 {
            while used < 64 && i < b.count {
                block[used] = b[i]
                used += 1
                i += 1
            }
            if used == 64 {
                block.withUnsafeBufferPointer { compress($0.baseAddress!) }
                used = 0
            }
        }
        while i + 64 <= b.count {
            compress(b.baseAddress! + i)
            i += 64
        }
        while i < b.count {
            block[used] = b[i]
            used += 1
            i += 1
        }
    }

    mutating func finish() -> [UInt8] {
        let bits = length &* 8
        var pad: [UInt8] = [0x80]
        let rem = (Int(length % 64) + 1) % 64
        pad += [UInt8](repeating: 0, count: rem <= 56 ? 56 - rem : 120 - rem)
        for k in (0..<8).reversed() { pad.append(UInt8(truncatingIfNeeded: bits >> (UInt64(k) * 8))) }
        let saved = length
        pad.withUnsafeBytes { update($0) }
        length = saved
        precondition(used == 0, "SHA-1 padding left a partial block")
        var out = [UInt8]()
        for v in [h.0, h.1, h.2, h.3, h.4] {
            out += [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
        }
        return out
    }

    private mutating func compress(_ p: UnsafePointer<UInt8>) {
        for t in 0..<16 {
            w[t] =
                UInt32(p[4 * t]) << 24 | UInt32(p[4 * t + 1]) << 16 | UInt32(p[4 * t + 2]) << 8 | UInt32(p[4 * t + 3])
        }
        for t in 16..<80 {
            let x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]
            w[t] = (x << 1) | (x >> 31)
        }
        var (a, b, c, d, e) = h
        for t in 0..<80 {
            let f: UInt32
            let k: UInt32
            switch t {
            case 0..<20:
                f = (b & c) | (~b & d)
                k = 0x5A82_7999
            case 20..<40:
                f = b ^ c ^ d
                k = 0x6ED9_EBA1
            case 40..<60:
                f = (b & c) | (b & d) | (c & d)
                k = 0x8F1B_BCDC
            default:
                f = b ^ c ^ d
                k = 0xCA62_C1D6
            }
            let temp = ((a << 5) | (a >> 27)) &+ f &+ e &+ k &+ w[t]
            e = d
            d = c
            c = (b << 30) | (b >> 2)
            b = a
            a = temp
        }
        h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
    }

    /// The SHA-1 of `data`.
    static func digest(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        var s = SHA1()
        s.update(data)
        return s.finish()
    }
}

/// A WARC digest header value, decoded.
enum WARCDigest {
    /// The expected SHA-1 bytes of `value` (`sha1:BASE32`, base64, URL-safe base64 or hex), or
    /// nil when the algorithm is not SHA-1 or the encoding is not recognised.
    static func expectedSHA1(_ value: String) -> [UInt8]? {
        let parts = value.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "sha1" || parts[0].lowercased() == "sha-1" else { return nil }
        let v = String(parts[1]).trimmingASCIIWhitespace()
        if v.utf8.count == 32, let b = base32(v) { return b }
        if v.utf8.count == 40, let b = hex(v) { return b }
        if let b = base64(v), b.count == 20 { return b }
        return []  // a SHA-1 digest that does not decode never matches
    }

    static func base32(_ s: String) -> [UInt8]? {
        var out = [UInt8]()
        var buffer: UInt64 = 0
        var bits = 0
        for c in s.utf8 {
            let v: UInt64
            switch c {
            case 0x41...0x5a: v = UInt64(c - 0x41)
            case 0x61...0x7a: v = UInt64(c - 0x61)
            case 0x32...0x37: v = UInt64(c - 0x32 + 26)
            case 0x3d: continue
            default: return nil
            }
            buffer = (buffer << 5) | v
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> UInt64(bits - 8)) & 0xff))
                bits -= 8
            }
        }
        return out
    }

    static func hex(_ s: String) -> [UInt8]? {
        var out = [UInt8]()
        var hi: UInt8?
        for c in s.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            case 0x41...0x46: v = c - 0x41 + 10
            default: return nil
            }
            if let h = hi {
                out.append(h << 4 | v)
                hi = nil
            } else {
                hi = v
            }
        }
        return hi == nil ? out : nil
    }

    /// Standard or URL-safe base64, padding optional.
    static func base64(_ s: String) -> [UInt8]? {
        var out = [UInt8]()
        var buffer: UInt32 = 0
        var bits = 0
        for c in s.utf8 {
            let v: UInt32
            switch c {
            case 0x41...0x5a: v = UInt32(c - 0x41)
            case 0x61...0x7a: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case 0x2b, 0x2d: v = 62
            case 0x2f, 0x5f: v = 63
            case 0x3d: continue
            default: return nil
            }
            buffer = (buffer << 6) | v
            bits += 6
            if bits >= 8 {
                out.append(UInt8((buffer >> UInt32(bits - 8)) & 0xff))
                bits -= 8
            }
        }
        return out
    }
}
