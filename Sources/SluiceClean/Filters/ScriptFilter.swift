// Filter `script`: the dominant Unicode script of a document (ICU `uscript_getScript`), counted over
// letters only (Common and Inherited characters such as digits, punctuation and combining marks
// do not vote). Writes `script` (ISO 15924 code, e.g. Latn) and `script_fraction` into metadata
// and, with a keep list, drops documents whose letters are mostly in other scripts. This is
// script detection, not language identification: English and French are both Latn.
internal import CICUShim
import SluiceCore

/// Annotates the dominant script and keeps documents written in the listed scripts.
public struct ScriptFilter: Filter {
    public static let name = "script"
    public static let summary = "dominant Unicode script (ICU); keep listed scripts above a minimum letter fraction"

    public static let noLetters = DropReason("script:no_letters")
    public static let otherScript = DropReason("script:other_script")

    /// ISO 15924 codes to keep (Latn, Cyrl, Hani, Hira, Kana …); empty keeps everything.
    public var keep: [String]
    public var minFraction: Double
    public var dropWithoutLetters: Bool
    private var keepCodes: Set<Int32> = []
    private var counts: [Int32: Int] = [:]

    public init(options: inout StageOptions) throws {
        keep = try options.stringList(
            "keep", default: [], "ISO 15924 codes (or ICU long names) to keep; Japanese is [Hani, Hira, Kana]")
        minFraction = try options.double(
            "min_fraction", default: 0.5, range: 0...1, "min fraction of letters in the kept scripts")
        dropWithoutLetters = try options.bool(
            "drop_without_letters", default: true, "drop documents with no letters at all (when keep is set)")
        if !options.describing {
            for name in keep {
                guard let code = Self.scriptCode(name) else {
                    throw options.error("keep", "'\(name)' is not a script code")
                }
                keepCodes.insert(code)
            }
        }
    }

    /// The UScriptCode whose short (Latn) or long (Latin) name is `name`, case-insensitively.
    static func scriptCode(_ name: String) -> Int32? {
        let wanted = name.lowercased()
        for code in Int32(0)..<Int32(220) {
            if let s = sluice_icu_script_short_name(code), String(cString: s).lowercased() == wanted { return code }
            if let s = sluice_icu_script_name(code), String(cString: s).lowercased() == wanted { return code }
        }
        return nil
    }

    public mutating func verdict(for document: inout Document, context: TaskContext) throws -> Verdict {
        counts.removeAll(keepingCapacity: true)
        var letters = 0
        withUTF8Bytes(document.text) { b in
            var i = 0
            while i < b.count {
                let (c, l) = decodeScalar(b, at: i)
                i += l
                if c < 0x80 {
                    if (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A {
                        counts[25, default: 0] += 1  // USCRIPT_LATIN
                        letters += 1
                    }
                    continue
                }
                guard isLetter(c) else { continue }
                let s = sluice_icu_script(c)
                guard s > 1 else { continue }  // Common, Inherited
                counts[s, default: 0] += 1
                letters += 1
            }
        }
        guard letters > 0,
            let top = counts.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) })
        else {
            return keepCodes.isEmpty || !dropWithoutLetters ? .keep : .drop(Self.noLetters)
        }
        let name = sluice_icu_script_short_name(top.key).map { String(cString: $0) } ?? "Zyyy"
        document.metadata["script"] = .string(name)
        document.metadata["script_fraction"] = .double((Double(top.value) / Double(letters) * 1e4).rounded() / 1e4)
        guard !keepCodes.isEmpty else { return .keep }
        var kept = 0
        for (code, n) in counts where keepCodes.contains(code) { kept += n }
        return Double(kept) / Double(letters) >= minFraction ? .keep : .drop(Self.otherScript)
    }
}
