// Reading and writing classifier model files (format "SLCM" version 1, docs/classifier-model.md):
// a little-endian header, the labels, the biases, the non-zero weight rows, and an xxHash64 of
// everything before it. Anything else — wrong magic, other version, truncation, bad checksum —
// is a clear error naming the file.
import Foundation
import SluiceCore

extension TextClassifier {
    /// The four bytes every model file starts with.
    public static let magic: [UInt8] = Array("SLCM".utf8)
    /// The format version this code writes and reads.
    public static let formatVersion: UInt32 = 1
    /// The most weights (buckets × labels) a model may hold: 2^28 floats, 1 GiB. The file stores
    /// only non-zero rows, so without this bound a few hundred bytes could ask for any amount of
    /// memory (Fuzz/regressions/classifier). The trainer refuses the same.
    public static let maxWeights = 1 << 28

    /// The model file's bytes.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func f32(_ v: Float) { u32(v.bitPattern) }
        out.append(contentsOf: Self.magic)
        u32(Self.formatVersion)
        u32(config.lowercase ? 1 : 0)
        u32(UInt32(config.buckets))
        u32(UInt32(config.wordNgrams))
        u32(UInt32(config.minn))
        u32(UInt32(config.maxn))
        u32(UInt32(labels.count))
        for l in labels {
            u32(UInt32(l.utf8.count))
            out.append(contentsOf: l.utf8)
        }
        for b in bias { f32(b) }
        let k = labels.count
        var rows: [Int] = []
        for r in 0..<config.buckets where (0..<k).contains(where: { weights[r * k + $0] != 0 }) { rows.append(r) }
        u32(UInt32(rows.count))
        for r in rows {
            u32(UInt32(r))
            for l in 0..<k { f32(weights[r * k + l]) }
        }
        let h = out.withUnsafeBytes { xxHash64($0) }
        withUnsafeBytes(of: h.littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// Writes the model to `path` (through a temporary name and a rename).
    /// - Throws: `SluiceError(.io)` when the file cannot be written.
    public func write(to path: String) throws {
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(serialized())) else {
            throw SluiceError(.io, "cannot write the model", file: path)
        }
        do {
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: tmp, toPath: path)
        } catch {
            throw SluiceError(.io, "cannot move the model into place: \(error.localizedDescription)", file: path)
        }
    }

    /// Loads a model file.
    /// - Throws: `SluiceError(.io)` if unreadable, `.corruptInput` if it is not a valid model file.
    public static func load(path: String) throws -> TextClassifier {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SluiceError(.io, "cannot read the model file", file: path)
        }
        return try parse([UInt8](data), path: path)
    }

    /// Parses model bytes; `path` only names the file in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws -> TextClassifier {
        func bad(_ message: String, _ offset: Int? = nil) -> SluiceError {
            SluiceError(.corruptInput, message, file: path, offset: offset)
        }
        guard bytes.count >= 4, Array(bytes[0..<4]) == magic else {
            throw bad("not a sluice classifier model (the file does not start with 'SLCM')")
        }
        guard bytes.count >= 8 + 36 else { throw bad("model file is truncated (\(bytes.count) bytes)") }
        let body = bytes.count - 8
        let stored = bytes.withUnsafeBytes {
            UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: body, as: UInt64.self))
        }
        let computed = bytes.withUnsafeBytes { xxHash64(UnsafeRawBufferPointer(rebasing: $0[0..<body])) }
        var at = 4
        func u32() throws -> UInt32 {
            guard at + 4 <= body else { throw bad("model file is truncated", at) }
            defer { at += 4 }
            return bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        }
        let version = try u32()
        guard version == formatVersion else {
            throw bad("model format version \(version) is not supported (this sluice reads version \(formatVersion))")
        }
        guard stored == computed else { throw bad("model file is corrupt (checksum mismatch)") }
        let flags = try u32()
        let buckets = Int(try u32())
        let wordNgrams = Int(try u32())
        let minn = Int(try u32())
        let maxn = Int(try u32())
        let k = Int(try u32())
        guard buckets > 0, buckets & (buckets - 1) == 0, buckets <= 1 << 26, k >= 2, k <= 10_000, wordNgrams >= 1,
            wordNgrams <= 10, minn <= maxn, maxn <= 20
        else { throw bad("model header has impossible values (buckets \(buckets), labels \(k))", 8) }
        guard buckets * k <= maxWeights else {
            throw bad("model header asks for \(buckets) buckets × \(k) labels, more than \(maxWeights) weights", 8)
        }
        var labels: [String] = []
        for _ in 0..<k {
            let n = Int(try u32())
            guard at + n <= body else { throw bad("model file is truncated in the labels", at) }
            labels.append(String(decoding: bytes[at..<(at + n)], as: UTF8.self))
            at += n
        }
        var bias: [Float] = []
        for _ in 0..<k { bias.append(Float(bitPattern: try u32())) }
        let rows = Int(try u32())
        guard rows <= buckets, at + rows * (4 + 4 * k) == body else {
            throw bad("model weights have the wrong size", at)
        }
        var weights = [Float](repeating: 0, count: buckets * k)
        for _ in 0..<rows {
            let r = Int(try u32())
            guard r < buckets else { throw bad("weight row \(r) is out of range", at - 4) }
            for l in 0..<k { weights[r * k + l] = Float(bitPattern: try u32()) }
        }
        let config = FeatureConfig(
            buckets: buckets, wordNgrams: wordNgrams, minn: minn, maxn: maxn, lowercase: flags & 1 != 0)
        return TextClassifier(labels: labels, config: config, weights: weights, bias: bias)
    }
}
