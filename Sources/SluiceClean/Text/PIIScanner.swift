// Byte-level scanners for personal data in UTF-8 text: e-mail addresses (datatrove's pattern),
// public IPv4 and IPv6 addresses (Python's `ipaddress.is_global`, as datatrove), phone numbers,
// credit-card numbers (Luhn) and IBANs (ISO 13616 mod 97). No regex and no Foundation: one pass
// that tries each scanner where a token can start. A match never spans a line break. It finds
// patterns only: no names, no street addresses (those need an NER model, as Presidio's).
import SluiceCore

/// The kinds of personal data `PIIScanner` finds, with their Presidio entity names.
public enum PIIKind: Int, Sendable, CaseIterable {
    case email, ipAddress, phone, creditCard, iban

    /// The option and counter name (`email`, `ip_address`, `phone`, `credit_card`, `iban`).
    public var key: String {
        switch self {
        case .email: "email"
        case .ipAddress: "ip_address"
        case .phone: "phone"
        case .creditCard: "credit_card"
        case .iban: "iban"
        }
    }

    /// Presidio's entity name, used in placeholders (`<EMAIL_ADDRESS>`) and tags.
    public var entity: String {
        switch self {
        case .email: "EMAIL_ADDRESS"
        case .ipAddress: "IP_ADDRESS"
        case .phone: "PHONE_NUMBER"
        case .creditCard: "CREDIT_CARD"
        case .iban: "IBAN_CODE"
        }
    }
}

/// One found span: byte offsets into the scanned text.
public struct PIIMatch: Sendable, Equatable {
    public var kind: PIIKind
    public var start: Int
    public var end: Int
}

/// Finds personal data in UTF-8 text. Stateless apart from the kinds to look for.
public struct PIIScanner: Sendable {
    /// Which kinds to look for, indexed by `PIIKind.rawValue`.
    public var enabled: [Bool]
    /// Only addresses routable on the public internet count (datatrove's `only_remove_public_ips`).
    public var publicIPsOnly: Bool

    public init(kinds: Set<PIIKind> = Set(PIIKind.allCases), publicIPsOnly: Bool = true) {
        enabled = PIIKind.allCases.map { kinds.contains($0) }
        self.publicIPsOnly = publicIPsOnly
    }

    /// Appends the matches in `b` to `out` (after clearing it), sorted by start and not overlapping:
    /// where two overlap, the earlier one wins, and at the same start the longer one.
    public func scan(_ b: UnsafeBufferPointer<UInt8>, into out: inout [PIIMatch]) {
        out.removeAll(keepingCapacity: true)
        let n = b.count
        var i = 0
        var resume = 0  // the end of the last match: nothing starts before it
        var emailEnd = 0  // the end of the last e-mail: a local part never reaches back past it
        while i < n {
            let c = b[i]
            // E-mail: anchored on '@', its local part extends left (never before `resume`).
            if c == 64, enabled[PIIKind.email.rawValue], let m = scanEmail(b, at: i, notBefore: emailEnd) {
                // An earlier, shorter match inside the local part gives way to the address.
                while let last = out.last, last.end > m.start { out.removeLast() }
                out.append(m)
                resume = m.end
                emailEnd = m.end
                i = m.end
                continue
            }
            guard i >= resume, isTokenStart(b, i) else {
                i += 1
                continue
            }
            var best: PIIMatch?
            func consider(_ m: PIIMatch?) {
                guard let m else { return }
                if best == nil || m.end > best!.end { best = m }
            }
            if isDigit(c) {
                if enabled[PIIKind.creditCard.rawValue] { consider(scanCard(b, at: i)) }
                if enabled[PIIKind.ipAddress.rawValue] { consider(scanIPv4(b, at: i)) }
            }
            if enabled[PIIKind.iban.rawValue], c >= 65 && c <= 90 { consider(scanIBAN(b, at: i)) }
            if enabled[PIIKind.ipAddress.rawValue], best == nil, isHex(c) || c == 58 { consider(scanIPv6(b, at: i)) }
            if enabled[PIIKind.phone.rawValue], best == nil, isDigit(c) || c == 43 || c == 40 {
                consider(scanPhone(b, at: i))
            }
            if let m = best {
                out.append(m)
                resume = m.end
                i = m.end
            } else {
                i += 1
            }
        }
    }

    /// The matches of a string (tests and cold paths).
    public func matches(in text: String) -> [PIIMatch] {
        var out: [PIIMatch] = []
        withUTF8Bytes(text) { scan($0, into: &out) }
        return out
    }

    // MARK: - Character classes

    @inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    @inline(__always) func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= 97 && (c | 0x20) <= 122 }
    @inline(__always) func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) }
    @inline(__always) func isHex(_ c: UInt8) -> Bool { isDigit(c) || ((c | 0x20) >= 97 && (c | 0x20) <= 102) }
    /// A byte that continues a word on either side of a match (letters, digits, `_`, non-ASCII).
    @inline(__always) func isWordByte(_ c: UInt8) -> Bool { isAlnum(c) || c == 95 || c >= 0x80 }

    /// Whether a token may start at `i`: the byte before is not part of a word or a number.
    @inline(__always) func isTokenStart(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        guard i > 0 else { return true }
        let p = b[i - 1]
        if isWordByte(p) { return false }
        // "1.2.3.4" inside "10.1.2.3.4" or a phone inside "x-555…": not a token start.
        if (p == 46 || p == 45 || p == 58) && i > 1 && isAlnum(b[i - 2]) { return false }
        return true
    }

    /// Whether a token may end at `e` (exclusive): the next byte does not continue a word or number.
    @inline(__always) func isTokenEnd(_ b: UnsafeBufferPointer<UInt8>, _ e: Int) -> Bool {
        guard e < b.count else { return true }
        let c = b[e]
        if isWordByte(c) { return false }
        // A trailing '.', '-' or ':' is punctuation unless a digit or letter follows it.
        if (c == 46 || c == 45 || c == 58) && e + 1 < b.count && isAlnum(b[e + 1]) { return false }
        return true
    }

    // MARK: - E-mail

    /// datatrove's pattern: `[L]+(\.[L]+)*@(label\.)+label`, where L is the RFC 5322 atom set and a
    /// label is alphanumeric with inner hyphens; the local part starts at a word boundary.
    func scanEmail(_ b: UnsafeBufferPointer<UInt8>, at at: Int, notBefore: Int) -> PIIMatch? {
        // Local part: the run of atom characters and single dots ending at '@'.
        var s = at
        while s > notBefore, isAtom(b[s - 1]) || b[s - 1] == 46 { s -= 1 }
        guard s < at, b[at - 1] != 46 else { return nil }
        // The match starts after the last ".." (two dots cannot be inside it) and after leading dots.
        var k = at - 1
        while k > s {
            if b[k] == 46 && b[k - 1] == 46 {
                s = k + 1
                break
            }
            k -= 1
        }
        while s < at, b[s] == 46 { s += 1 }
        guard s < at else { return nil }
        // `\b`: a word character cannot start right after another word character (é, say).
        if s > 0, isWordByte(b[s]) || b[s] >= 0x80, b[s - 1] >= 0x80 { return nil }
        // Domain: labels separated by single dots; the last one may be cut back to end alphanumeric.
        let n = b.count
        var labels = 0
        var end = at + 1
        var i = at + 1
        while i < n, isAlnum(b[i]) {
            var j = i
            while j < n, isAlnum(b[j]) || b[j] == 45 { j += 1 }
            var e = j
            while e > i, b[e - 1] == 45 { e -= 1 }  // a label ends alphanumeric
            labels += 1
            end = e
            guard e == j, j + 1 < n, b[j] == 46, isAlnum(b[j + 1]) else { break }
            i = j + 1
        }
        guard labels >= 2 else { return nil }
        return PIIMatch(kind: .email, start: s, end: end)
    }

    /// RFC 5322 atom characters (datatrove's `[A-Za-z0-9!#$%&'*+/=?^_\`{|}~-]`).
    @inline(__always) func isAtom(_ c: UInt8) -> Bool {
        if isAlnum(c) { return true }
        switch c {
        case 33, 35, 36, 37, 38, 39, 42, 43, 45, 47, 61, 63, 94, 95, 96, 123, 124, 125, 126: return true
        default: return false
        }
    }

    // MARK: - IPv4

    /// A dotted quad of decimal octets 0–255 without leading zeros (Python's `ipaddress` rejects
    /// them), public unless `publicIPsOnly` is off.
    func scanIPv4(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> PIIMatch? {
        guard let (value, i) = scanDottedQuad(b, at: start, leadingZeros: false) else { return nil }
        guard isTokenEnd(b, i), !(i < b.count && isDigit(b[i])) else { return nil }
        if publicIPsOnly && !Self.isGlobalIPv4(value) { return nil }
        return PIIMatch(kind: .ipAddress, start: start, end: i)
    }

    /// Python's `IPv4Address.is_global` (3.11): not in the special-purpose registry's private
    /// blocks nor in the shared address space 100.64.0.0/10.
    public static func isGlobalIPv4(_ a: UInt32) -> Bool {
        func inBlock(_ base: UInt32, _ bits: UInt32) -> Bool { bits == 0 || (a ^ base) >> (32 - bits) == 0 }
        if a == 0xC000_0009 || a == 0xC000_000A { return true }  // 192.0.0.9, 192.0.0.10
        let blocks: [(UInt32, UInt32)] = [
            (0x0000_0000, 8), (0x0A00_0000, 8), (0x6440_0000, 10), (0x7F00_0000, 8), (0xA9FE_0000, 16),
            (0xAC10_0000, 12), (0xC000_0000, 24), (0xC000_0200, 24), (0xC0A8_0000, 16), (0xC612_0000, 15),
            (0xC633_6400, 24), (0xCB00_7100, 24), (0xF000_0000, 4), (0xFFFF_FFFF, 32),
        ]
        for (base, bits) in blocks where inBlock(base, bits) { return false }
        return true
    }

    // MARK: - IPv6

    /// RFC 4291 text form: eight groups of 1–4 hex digits, or fewer with one `::`, optionally
    /// ending in a dotted quad. Public per Python's `IPv6Address.is_global` (3.11).
    func scanIPv6(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> PIIMatch? {
        // Cheap rejection first (most words start with a hex letter): a colon within five bytes.
        var k = start
        while k < b.count, k - start < 4, isHex(b[k]) { k += 1 }
        guard k < b.count, b[k] == 58 else { return nil }
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var gap = -1  // index in `groups` where `::` stands
        var i = start
        let n = b.count
        if i + 1 < n, b[i] == 58, b[i + 1] == 58 {
            gap = 0
            i += 2
        } else if b[i] == 58 {
            return nil
        }
        var end = i
        while i < n, groups.count < 8 {
            var j = i
            var v: UInt32 = 0
            while j < n, j - i < 4, isHex(b[j]) {
                v = v << 4 | UInt32(b[j] <= 57 ? b[j] - 48 : (b[j] | 0x20) - 87)
                j += 1
            }
            guard j > i else { break }
            // A dotted-quad tail takes the last two groups.
            if j < n, b[j] == 46, groups.count <= 6, let m = scanDottedQuad(b, at: i) {
                groups.append(UInt16(m.value >> 16))
                groups.append(UInt16(m.value & 0xFFFF))
                end = m.end
                i = m.end
                break
            }
            guard !(j < n && isHex(b[j])) else { return nil }  // a group of five hex digits
            groups.append(UInt16(v))
            end = j
            i = j
            guard i < n, b[i] == 58 else { break }
            if i + 1 < n, b[i + 1] == 58 {
                guard gap < 0 else { break }
                gap = groups.count
                i += 2
                end = i
            } else {
                i += 1
            }
        }
        guard gap >= 0 ? groups.count <= 7 : groups.count == 8 else { return nil }
        guard gap < 0 || !groups.isEmpty else { return nil }
        guard isTokenEnd(b, end), !(end < n && (isHex(b[end]) || b[end] == 58)) else { return nil }
        // A word such as "cafe::" or "add:" is text: the address needs a colon count of two or more.
        var colons = 0
        for k in start..<end where b[k] == 58 { colons += 1 }
        guard colons >= 2 else { return nil }
        var full = [UInt16](repeating: 0, count: 8)
        if gap >= 0 {
            for k in 0..<gap { full[k] = groups[k] }
            let tail = groups.count - gap
            for k in 0..<tail { full[8 - tail + k] = groups[gap + k] }
        } else {
            full = groups
        }
        if publicIPsOnly && !Self.isGlobalIPv6(full) { return nil }
        return PIIMatch(kind: .ipAddress, start: start, end: end)
    }

    /// The dotted quad of decimal octets 0–255 at `start` (its value and end), or nil; an octet
    /// with a leading zero is refused unless `leadingZeros` (the IPv6 tail takes them).
    @inline(__always)
    private func scanDottedQuad(
        _ b: UnsafeBufferPointer<UInt8>, at start: Int, leadingZeros: Bool = true
    ) -> (value: UInt32, end: Int)? {
        var i = start
        var value: UInt32 = 0
        for part in 0..<4 {
            if part > 0 {
                guard i < b.count, b[i] == 46 else { return nil }
                i += 1
            }
            let d0 = i
            var octet = 0
            while i < b.count, isDigit(b[i]), i - d0 < 3 {
                octet = octet * 10 + Int(b[i] - 48)
                i += 1
            }
            let digits = i - d0
            guard digits > 0, octet <= 255, leadingZeros || digits == 1 || b[d0] != 48 else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return (value, i)
    }

    /// Python's `IPv6Address.is_global` (3.11): not in its private list (loopback, unspecified,
    /// IPv4-mapped, discard 100::/64, IETF 2001::/23 bar its global sub-blocks, documentation
    /// 2001:db8::/32, unique-local fc00::/7, link-local fe80::/10, 64:ff9b:1::/48).
    public static func isGlobalIPv6(_ g: [UInt16]) -> Bool {
        let allZeroHead = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0
        if allZeroHead && g[5] == 0 && g[6] == 0 && (g[7] == 0 || g[7] == 1) { return false }
        if allZeroHead && g[5] == 0xFFFF { return false }
        if g[0] == 0x0100 && g[1] == 0 && g[2] == 0 && g[3] == 0 { return false }
        if g[0] == 0x0064 && g[1] == 0xFF9B && g[2] == 0x0001 { return false }
        if g[0] == 0x2001 && g[1] < 0x0200 {
            // Global exceptions inside 2001::/23.
            if g[1] == 0x0001 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0 && g[6] == 0
                && (g[7] == 1 || g[7] == 2)
            {
                return true
            }
            if g[1] == 0x0003 { return true }
            if g[1] == 0x0004 && g[2] == 0x0112 { return true }
            if g[1] >= 0x0020 && g[1] <= 0x003F { return true }
            return false
        }
        if g[0] == 0x2001 && g[1] == 0x0DB8 { return false }
        if g[0] & 0xFE00 == 0xFC00 { return false }
        if g[0] & 0xFFC0 == 0xFE80 { return false }
        return true
    }

    // MARK: - Credit cards

    /// 13–19 digits, bare or in groups separated by single spaces or hyphens (one kind per number),
    /// with an issuer prefix (Visa, Mastercard, Amex, Discover, JCB, Diners) and a valid Luhn sum.
    func scanCard(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> PIIMatch? {
        var digits: InlineArray<20, UInt8> = .init(repeating: 0)
        var count = 0
        var i = start
        var separator: UInt8 = 0
        var group = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if isDigit(c) {
                guard count < 19 else { return nil }
                digits[count] = c - 48
                count += 1
                group += 1
                i += 1
                continue
            }
            guard c == 32 || c == 45, group >= 3, i + 1 < n, isDigit(b[i + 1]), count < 19 else { break }
            if separator == 0 { separator = c } else if separator != c { break }
            group = 0
            i += 1
        }
        guard count >= 13, isTokenEnd(b, i) else { return nil }
        guard Self.hasCardPrefix(digits, count) else { return nil }
        var sum = 0
        for k in 0..<count {
            var d = Int(digits[count - 1 - k])
            if k & 1 == 1 {
                d *= 2
                if d > 9 { d -= 9 }
            }
            sum += d
        }
        guard sum % 10 == 0 else { return nil }
        return PIIMatch(kind: .creditCard, start: start, end: i)
    }

    static func hasCardPrefix(_ d: InlineArray<20, UInt8>, _ count: Int) -> Bool {
        let p2 = Int(d[0]) * 10 + Int(d[1])
        let p4 = p2 * 100 + Int(d[2]) * 10 + Int(d[3])
        switch d[0] {
        case 4: return count == 13 || count == 16 || count == 19  // Visa
        case 5: return p2 >= 51 && p2 <= 55 && count == 16  // Mastercard
        case 2: return p4 >= 2221 && p4 <= 2720 && count == 16  // Mastercard 2-series
        case 3:
            if p2 == 34 || p2 == 37 { return count == 15 }  // Amex
            if p2 == 35 { return count >= 16 }  // JCB
            return (p2 == 36 || p2 == 38 || p2 == 30) && count >= 14  // Diners
        case 6: return (p4 == 6011 || p2 == 65 || (p4 / 10 >= 644 && p4 / 10 <= 649)) && count >= 16  // Discover
        default: return false
        }
    }

    // MARK: - IBAN

    /// ISO 13616: a country code, two check digits and the country's BBAN length of upper-case
    /// letters and digits, bare or in groups of four separated by single spaces; mod 97 must be 1.
    func scanIBAN(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> PIIMatch? {
        let n = b.count
        guard start + 4 < n, b[start + 1] >= 65 && b[start + 1] <= 90, isDigit(b[start + 2]), isDigit(b[start + 3])
        else { return nil }
        guard let length = Self.ibanLength(b[start], b[start + 1]) else { return nil }
        var chars: InlineArray<34, UInt8> = .init(repeating: 0)
        var count = 0
        var i = start
        var spaced = false
        while i < n, count < length {
            let c = b[i]
            if isDigit(c) || (c >= 65 && c <= 90) {
                chars[count] = c
                count += 1
                i += 1
                // Grouped form: a single space after every fourth character.
                if count % 4 == 0, count < length, i + 1 < n, b[i] == 32, isAlnum(b[i + 1]) {
                    if count == 4 { spaced = true }
                    if spaced { i += 1 }
                }
                continue
            }
            break
        }
        guard count == length, isTokenEnd(b, i) else { return nil }
        // Mod 97 over the rearranged string (BBAN, then country and check digits), letters as 10–35.
        var r = 0
        for k in 0..<length {
            let c = chars[(k + 4) % length]
            if c <= 57 {
                r = (r * 10 + Int(c - 48)) % 97
            } else {
                r = (r * 100 + Int(c - 55)) % 97
            }
        }
        guard r == 1 else { return nil }
        return PIIMatch(kind: .iban, start: start, end: i)
    }

    /// IBAN lengths by country (SWIFT IBAN registry, release 95).
    static func ibanLength(_ a: UInt8, _ b: UInt8) -> Int? {
        let code = UInt16(a) << 8 | UInt16(b)
        return ibanLengths[code]
    }

    static let ibanLengths: [UInt16: Int] = {
        let table =
            "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28 "
            + "EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 "
            + "JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 "
            + "NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 "
            + "TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30"
        var out: [UInt16: Int] = [:]
        for entry in table.split(separator: " ") {
            let u = Array(entry.utf8)
            out[UInt16(u[0]) << 8 | UInt16(u[1])] = Int(String(decoding: u[2...], as: UTF8.self))!
        }
        return out
    }()

    // MARK: - Phone numbers

    /// Phone numbers as written in running text: `+` and a country code followed by 6–13 more
    /// digits in groups (or 10–15 digits bare); North American `(202) 555-0143`, `202-555-0143`,
    /// `202.555.0143`; or a national number of 9–11 digits starting with 0 in two or more groups of
    /// two or more digits (`020 7946 0958`, `06 12 34 56 78`).
    /// Groups are separated by one space, hyphen or dot (one kind of separator besides spaces
    /// around parentheses); a bare digit run is not a phone number (it is an id, a price, a year).
    func scanPhone(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> PIIMatch? {
        let n = b.count
        var i = start
        var plus = false
        if b[i] == 43 {
            plus = true
            i += 1
            guard i < n, isDigit(b[i]), b[i] != 48 else { return nil }
        }
        var lengths: InlineArray<8, UInt8> = .init(repeating: 0)
        var firsts: InlineArray<8, UInt8> = .init(repeating: 0)
        var groupCount = 0
        var digits = 0
        var separator: UInt8 = 0
        var parenthesized = -1  // the group written in parentheses
        var end = i
        while i < n, groupCount < 8 {
            var open = false
            if b[i] == 40 {
                guard parenthesized < 0 else { break }
                open = true
                i += 1
            }
            let g0 = i
            while i < n, isDigit(b[i]), i - g0 < 15 { i += 1 }
            let len = i - g0
            guard len > 0 else {
                if open { return nil }
                break
            }
            guard !(i < n && isDigit(b[i])) else { return nil }  // a run of sixteen or more digits
            if open {
                guard i < n, b[i] == 41 else { return nil }
                i += 1
                parenthesized = groupCount
            }
            lengths[groupCount] = UInt8(len)
            firsts[groupCount] = b[g0]
            groupCount += 1
            digits += len
            end = i
            guard i + 1 < n else { break }
            let c = b[i]
            guard c == 32 || c == 45 || c == 46, isDigit(b[i + 1]) || (b[i + 1] == 40 && c == 32) else { break }
            // A space after ")" or before "(" does not fix the separator; any other must stay the same.
            if !(c == 32 && (parenthesized == groupCount - 1 || b[i + 1] == 40)) {
                if separator == 0 { separator = c } else if separator != c { break }
            }
            i += 1
        }
        guard groupCount >= 1, isTokenEnd(b, end) else { return nil }
        // A dotted number followed by more dotted digits is a version or an address, not a phone.
        if separator == 46, end < n, b[end] == 46 { return nil }
        if plus {
            guard digits >= 8 && digits <= 15, groupCount >= 2 || digits >= 10 else { return nil }
            return PIIMatch(kind: .phone, start: start, end: end)
        }
        guard groupCount >= 2 else { return nil }
        // North American 3-3-4, optionally after a 1; area and exchange codes start with 2–9.
        let g = groupCount == 4 && lengths[0] == 1 && firsts[0] == 49 ? 1 : 0
        if groupCount - g == 3 && lengths[g] == 3 && lengths[g + 1] == 3 && lengths[g + 2] == 4 {
            guard firsts[g] >= 50, firsts[g + 1] >= 50 else { return nil }
            return PIIMatch(kind: .phone, start: start, end: end)
        }
        // National numbers with a trunk 0: 9–11 digits in two or more groups of two or more.
        if firsts[0] == 48 && lengths[0] <= 5 {
            guard digits >= 9 && digits <= 11 else { return nil }
            for k in 0..<groupCount where lengths[k] < 2 { return nil }
            return PIIMatch(kind: .phone, start: start, end: end)
        }
        return nil
    }
}
