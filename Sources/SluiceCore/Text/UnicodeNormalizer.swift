// Unicode normalization (NFC, NFD, NFKC, NFKD, NFKC_Casefold) and case folding through ICU, with an
// ASCII fast path: ASCII text is already in every form, so it is returned without a copy.
internal import CICUShim

/// A Unicode normalization form.
public enum NormalizationForm: String, Sendable, CaseIterable {
    case nfc = "NFC", nfd = "NFD", nfkc = "NFKC", nfkd = "NFKD"
    /// NFKC with full case folding and default-ignorable removal (`NFKC_Casefold`).
    case nfkcCasefold = "NFKC_Casefold"

    var icuForm: Int32 {
        switch self {
        case .nfc: Int32(SLUICE_NFC)
        case .nfd: Int32(SLUICE_NFD)
        case .nfkc: Int32(SLUICE_NFKC)
        case .nfkd: Int32(SLUICE_NFKD)
        case .nfkcCasefold: Int32(SLUICE_NFKC_CASEFOLD)
        }
    }
}

/// Normalizes UTF-8 text. Keeps a scratch buffer, so use one per task, not per document.
public final class UnicodeNormalizer {
    public let form: NormalizationForm
    private var scratch: [UInt8] = []

    public init(form: NormalizationForm) { self.form = form }

    /// `text` in this form. ASCII input comes back unchanged without copying; for
    /// `.nfkcCasefold`, ASCII is only lowercased.
    /// - Throws: `SluiceError(.library)` if ICU fails (it does not fail on valid UTF-8).
    public func normalize(_ text: String) throws -> String {
        var text = text
        return try text.withUTF8 { src in
            if isASCII(src) {
                if form != .nfkcCasefold { return nil }
                return asciiLowercased(src)
            }
            return try run(src) { s, d, cap, st in
                sluice_icu_normalize(self.form.icuForm, s.baseAddress, Int32(s.count), d, cap, &st)
            }
        } ?? text
    }

    /// Full Unicode case folding (`ß` → `ss`), with an ASCII fast path.
    public func foldCase(_ text: String) throws -> String {
        var text = text
        return try text.withUTF8 { src in
            if isASCII(src) { return asciiLowercased(src) }
            return try run(src) { s, d, cap, st in sluice_icu_fold_case(s.baseAddress, Int32(s.count), d, cap, &st) }
        }
    }

    /// Whether `text` is already in this form (ICU quick check).
    public func isNormalized(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { src in
            if isASCII(src) { return form != .nfkcCasefold || !src.contains { $0 >= 65 && $0 <= 90 } }
            var status: Int32 = 0
            return sluice_icu_is_normalized(form.icuForm, src.baseAddress, Int32(src.count), &status) == 1
        }
    }

    private func run(
        _ src: UnsafeBufferPointer<UInt8>,
        _ call: (UnsafeBufferPointer<UInt8>, UnsafeMutablePointer<UInt8>?, Int32, inout Int32) -> Int32
    ) throws -> String {
        // Output rarely exceeds 3× the input; one retry with the exact size covers the rest.
        if scratch.count < src.count * 3 + 16 { scratch = [UInt8](repeating: 0, count: src.count * 3 + 16) }
        var status: Int32 = 0
        var n = scratch.withUnsafeMutableBufferPointer { call(src, $0.baseAddress, Int32($0.count), &status) }
        if n > scratch.count {
            scratch = [UInt8](repeating: 0, count: Int(n) + 16)
            status = 0
            n = scratch.withUnsafeMutableBufferPointer { call(src, $0.baseAddress, Int32($0.count), &status) }
        }
        guard n >= 0, status <= 0 else {
            throw SluiceError(.library, "ICU \(form.rawValue) failed (UErrorCode \(status))")
        }
        return String(decoding: scratch[0..<Int(n)], as: UTF8.self)
    }
}

/// True when every byte is ASCII (checks 8 bytes at a time): the fast-path test of every text
/// primitive that has an ASCII shortcut.
@inline(__always)
public func isASCII(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let p = b.baseAddress else { return true }
    var i = 0
    let n = b.count
    while i + 8 <= n {
        if UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
        i += 8
    }
    while i < n {
        if p[i] >= 0x80 { return false }
        i += 1
    }
    return true
}

private func asciiLowercased(_ b: UnsafeBufferPointer<UInt8>) -> String {
    String(unsafeUninitializedCapacity: b.count) { out in
        for i in 0..<b.count {
            let c = b[i]
            out[i] = c &+ ((c >= 65 && c <= 90) ? 32 : 0)
        }
        return b.count
    }
}
