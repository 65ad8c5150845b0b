// The safetensors format (huggingface/safetensors): 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}, then raw
// little-endian tensor data. We write F32 and read F32, F16 and BF16.
import Foundation
import SluiceCore

/// One tensor read from a safetensors file, converted to Float32.
public struct SafeTensor: Sendable {
    /// Dimensions, outermost first.
    public var shape: [Int]
    /// Row-major values.
    public var values: [Float]
}

/// Reading and writing `.safetensors` files.
public enum Safetensors {
    /// Writes `tensors` (name, shape, float data) as F32 to `path` atomically (temporary name, then rename).
    /// The data of tensor i is `data[ranges[i]]`.
    public static func write(
        path: String, tensors: [(name: String, shape: [Int], range: Range<Int>)], data: [Float],
        metadata: [String: String] = [:]
    ) throws {
        var header: [String: Any] = [:]
        var offset = 0
        for t in tensors {
            precondition(t.shape.reduce(1, *) == t.range.count, "shape of \(t.name) does not match its range")
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.range.count]]
            offset += 4 * t.range.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        data.withUnsafeBufferPointer { buf in
            for t in tensors {
                out.append(UnsafeBufferPointer(rebasing: buf[t.range]))
            }
        }
        try atomicWrite(out, to: path)
    }

    /// Reads every tensor of a safetensors file.
    /// - Throws: `corruptInput` naming the file for a bad header, an unknown dtype or out-of-range offsets.
    public static func read(path: String) throws -> (tensors: [String: SafeTensor], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SluiceError(.io, "cannot read safetensors file", file: path)
        }
        guard data.count >= 8 else {
            throw SluiceError(.corruptInput, "file too short for a safetensors header", file: path)
        }
        let n64 = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard n64 > 0, n64 <= UInt64(data.count - 8) else {
            throw SluiceError(.corruptInput, "safetensors header length \(n64) exceeds the file", file: path, offset: 0)
        }
        let n = Int(n64)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any]
        else {
            throw SluiceError(.corruptInput, "safetensors header is not a JSON object", file: path, offset: 8)
        }
        let base = 8 + n
        var tensors: [String: SafeTensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let t = value as? [String: Any], let dtype = t["dtype"] as? String, let shape = t["shape"] as? [Int],
                let offs = t["data_offsets"] as? [Int], offs.count == 2
            else { throw SluiceError(.corruptInput, "tensor '\(name)' has a malformed header entry", file: path) }
            // Element count without overflow; a negative dimension makes it invalid (-1).
            let count = shape.reduce(1) { c, d in
                let (p, overflow) = c.multipliedReportingOverflow(by: d)
                return c < 0 || d < 0 || overflow ? -1 : p
            }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F16", "BF16": width = 2
            default: throw SluiceError(.corruptInput, "tensor '\(name)' has unsupported dtype \(dtype)", file: path)
            }
            let room = data.count - base
            guard count >= 0, count <= room / width, offs[0] >= 0, offs[1] >= offs[0], offs[1] <= room,
                offs[1] - offs[0] == count * width
            else {
                throw SluiceError(
                    .corruptInput, "tensor '\(name)' data_offsets \(offs) do not match its shape \(shape)", file: path)
            }
            var values = [Float](repeating: 0, count: count)
            data.withUnsafeBytes { raw in
                let src = raw.baseAddress! + base + offs[0]
                values.withUnsafeMutableBufferPointer { dst in
                    switch dtype {
                    case "F32":
                        for i in 0..<count {
                            dst[i] = Float(
                                bitPattern: UInt32(
                                    littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                        }
                    case "BF16":
                        for i in 0..<count {
                            dst[i] = Float(
                                bitPattern: UInt32(
                                    UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                                    << 16)
                        }
                    default:
                        for i in 0..<count {
                            dst[i] = Float(
                                Float16(
                                    bitPattern: UInt16(
                                        littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                        }
                    }
                }
            }
            tensors[name] = SafeTensor(shape: shape, values: values)
        }
        return (tensors, metadata)
    }
}

/// Writes `data` to `path` through a temporary file in the same folder and a rename, so a crash
/// never leaves a half-written file under the final name.
func atomicWrite(_ data: Data, to path: String) throws {
    let tmp = path + ".tmp-\(getpid())"
    guard FileManager.default.createFile(atPath: tmp, contents: data) else {
        throw SluiceError(.io, "cannot write", file: tmp)
    }
    if rename(tmp, path) != 0 {
        unlink(tmp)
        throw SluiceError(.io, "cannot rename into place: \(String(cString: strerror(errno)))", file: path)
    }
}
