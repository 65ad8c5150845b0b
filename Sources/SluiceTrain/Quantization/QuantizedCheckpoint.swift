// Quantized checkpoint folders (`sluice quantize`): config.json with a `quantization_config`,
// model.safetensors holding each matrix as I8 (out, in) plus an F32 `<name>_scale` (out) tensor and
// each norm and bias as F32, and the tokenizer.json. The layout is specified in docs/quantize.md.
// Tensor names are Sluice's (GPT-2's) for every architecture; transformers does not load these.
import Foundation
import SluiceCore

/// Writing, reading and producing INT8 checkpoints.
public enum QuantizedCheckpoint {
    /// `quantization_config.quant_method` of our checkpoints.
    public static let method = "sluice_int8"

    /// The scale tensor of matrix `name`: `h.0.attn.c_attn.weight` → `h.0.attn.c_attn.weight_scale`.
    public static func scaleName(_ name: String) -> String { name + "_scale" }

    /// The `quantization_config` object of a checkpoint's config.json, or nil when it has none.
    /// - Throws: an io error when the folder has no readable config.json.
    public static func quantizationConfig(_ dir: String) throws -> [String: Any]? {
        let path = dir + "/config.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SluiceError(.io, "not a checkpoint folder (no config.json)", file: dir)
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SluiceError(.corruptInput, "config.json is not a JSON object", file: path)
        }
        guard let q = json["quantization_config"], !(q is NSNull) else { return nil }
        guard let obj = q as? [String: Any] else {
            throw SluiceError(.corruptInput, "quantization_config is not a JSON object", file: path)
        }
        return obj
    }

    /// Reads config.json: the model shape (GPT-2, Sluice or Llama keys) and the whole JSON object.
    static func readConfig(_ dir: String) throws -> (GPTConfig, [String: Any]) {
        let path = dir + "/config.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SluiceError(.io, "not a checkpoint folder (no config.json)", file: dir)
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SluiceError(.corruptInput, "config.json is not a JSON object", file: path)
        }
        let config =
            json["model_type"] as? String == "llama"
            ? try GPTConfig.fromLlama(json, file: path) : try GPTConfig.fromHuggingFace(data, file: path)
        return (config, json)
    }

    // MARK: - Writing

    /// Writes `model` (INT8) into the folder `dir`, which appears complete or not at all.
    /// - Parameters:
    ///   - configJSON: the source checkpoint's config.json object; `quantization_config` is added.
    ///   - tokenizerPath: a tokenizer.json to copy in, if any.
    ///   - pruneFraction: recorded in `quantization_config`.
    public static func save(
        _ model: DecodeModel, configJSON: [String: Any], to dir: String, tokenizerPath: String?, pruneFraction: Double
    ) throws {
        precondition(model.isQuantized, "save: the model is not quantized")
        let fm = FileManager.default
        let tmp = dir + ".tmp-\(getpid())"
        try? fm.removeItem(atPath: tmp)
        do {
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        } catch {
            throw SluiceError(.io, "cannot create checkpoint folder: \(error.localizedDescription)", file: tmp)
        }
        var entries: [(name: String, dtype: String, shape: [Int])] = []
        // The bytes of entries[k], in file order.
        var keep: [[UInt8]] = []
        let layout = ParameterLayout(model.config)
        for spec in layout.tensors {
            if spec.shape.count == 1 {
                let v = Array(model.vectorValues(spec)!)
                keep.append(v.withUnsafeBytes { Array($0) })
                entries.append((spec.name, "F32", spec.shape))
            } else {
                guard case .int8(let m) = model.matrix(spec.name)! else {
                    preconditionFailure("F32 matrix in an INT8 model")
                }
                keep.append(m.q.withUnsafeBytes { Array($0) })
                entries.append((spec.name, "I8", [m.outC, m.inC]))
                keep.append(m.scales.withUnsafeBytes { Array($0) })
                entries.append((scaleName(spec.name), "F32", [m.outC]))
            }
        }
        var header: [String: Any] = [:]
        var offset = 0
        for (k, e) in entries.enumerated() {
            header[e.name] = ["dtype": e.dtype, "shape": e.shape, "data_offsets": [offset, offset + keep[k].count]]
            offset += keep[k].count
        }
        header["__metadata__"] = ["format": "pt", "quantization": method]
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        // Floats are written in the host's order: little-endian on every platform Sluice builds for.
        for bytes in keep { out.append(contentsOf: bytes) }
        try atomicWrite(out, to: tmp + "/model.safetensors")
        var cfg = configJSON
        cfg["quantization_config"] =
            [
                "quant_method": method, "bits": 8, "symmetric": true, "granularity": "per_output_channel",
                "weight_dtype": "int8", "scale_dtype": "float32", "prune_fraction": pruneFraction,
            ] as [String: Any]
        try atomicWrite(
            try JSONSerialization.data(withJSONObject: cfg, options: [.prettyPrinted, .sortedKeys]),
            to: tmp + "/config.json")
        try Checkpoint.copyTokenizer(tokenizerPath, into: tmp)
        try Checkpoint.moveIntoPlace(tmp, dir)
    }

    // MARK: - Reading

    /// One tensor of a safetensors file, not yet converted: dtype, shape and its bytes in `data`.
    struct RawTensor {
        var dtype: String
        var shape: [Int]
        var range: Range<Int>
    }

    /// Parses a safetensors header (I8 and F32 tensors) and maps the file.
    /// - Throws: `corruptInput` naming the file for a bad header, another dtype or out-of-range offsets.
    static func readRaw(_ path: String) throws -> (data: Data, tensors: [String: RawTensor]) {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
            throw SluiceError(.io, "cannot read safetensors file", file: path)
        }
        guard data.count >= 8 else {
            throw SluiceError(.corruptInput, "file too short for a safetensors header", file: path)
        }
        let n64 = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard n64 > 0, n64 <= UInt64(data.count - 8) else {
            throw SluiceError(.corruptInput, "safetensors header length \(n64) exceeds the file", file: path, offset: 0)
        }
        let n = Int(n64), base = 8 + n
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<base)) as? [String: Any] else {
            throw SluiceError(.corruptInput, "safetensors header is not a JSON object", file: path, offset: 8)
        }
        var tensors: [String: RawTensor] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let t = value as? [String: Any], let dtype = t["dtype"] as? String, let shape = t["shape"] as? [Int],
                let offs = t["data_offsets"] as? [Int], offs.count == 2
            else { throw SluiceError(.corruptInput, "tensor '\(name)' has a malformed header entry", file: path) }
            let width: Int
            switch dtype {
            case "I8": width = 1
            case "F32": width = 4
            default:
                throw SluiceError(
                    .corruptInput, "tensor '\(name)' has dtype \(dtype); a quantized checkpoint has I8 and F32 only",
                    file: path)
            }
            let count = shape.reduce(1) { c, d in
                let (p, overflow) = c.multipliedReportingOverflow(by: d)
                return c < 0 || d < 0 || overflow ? -1 : p
            }
            let room = data.count - base
            guard count >= 0, count <= room / width, offs[0] >= 0, offs[1] >= offs[0], offs[1] <= room,
                offs[1] - offs[0] == count * width
            else {
                throw SluiceError(
                    .corruptInput, "tensor '\(name)' data_offsets \(offs) do not match its shape \(shape)", file: path)
            }
            tensors[name] = RawTensor(dtype: dtype, shape: shape, range: (base + offs[0])..<(base + offs[1]))
        }
        return (data, tensors)
    }

    /// Loads a quantized checkpoint as INT8 matrices (no F32 copy of them is ever made).
    /// - Throws: a config error when the folder is not a Sluice INT8 checkpoint; `corruptInput` listing
    ///   missing, misshapen or unknown tensors.
    public static func loadDecodeModel(_ dir: String, threads: Int = 2) throws -> DecodeModel {
        guard let q = try quantizationConfig(dir) else {
            throw SluiceError(
                .config, "checkpoint is not quantized (config.json has no quantization_config)", file: dir)
        }
        guard q["quant_method"] as? String == method else {
            throw SluiceError(
                .config, "quantization method '\(q["quant_method"] ?? "none")' is not supported (\(method) only)",
                file: dir)
        }
        let (config, _) = try readConfig(dir)
        let path = dir + "/model.safetensors"
        guard FileManager.default.fileExists(atPath: path) else {
            throw SluiceError(.io, "checkpoint has no model.safetensors", file: dir)
        }
        let (data, tensors) = try readRaw(path)
        let layout = ParameterLayout(config)
        var vectors: [Float] = [], offsets: [String: Int] = [:], matrices: [String: DecodeWeights] = [:]
        var missing: [String] = [], wrong: [String] = []
        var expected = Set<String>()
        func floats(_ t: RawTensor) -> [Float] {
            [Float](unsafeUninitializedCapacity: t.range.count / 4) { buf, n in
                data.withUnsafeBytes { raw in
                    for i in 0..<(t.range.count / 4) {
                        buf[i] = Float(
                            bitPattern: UInt32(
                                littleEndian: raw.loadUnaligned(
                                    fromByteOffset: t.range.lowerBound + 4 * i, as: UInt32.self)))
                    }
                }
                n = t.range.count / 4
            }
        }
        for spec in layout.tensors {
            expected.insert(spec.name)
            if spec.shape.count == 1 {
                guard let t = tensors[spec.name] else {
                    missing.append(spec.name)
                    continue
                }
                guard t.dtype == "F32", t.shape == spec.shape else {
                    wrong.append("\(spec.name) is \(t.dtype) \(t.shape), expected F32 \(spec.shape)")
                    continue
                }
                offsets[spec.name] = vectors.count
                vectors += floats(t)
                continue
            }
            let o = DecodeModel.orientation(spec), sn = scaleName(spec.name)
            expected.insert(sn)
            guard let t = tensors[spec.name], let s = tensors[sn] else {
                missing.append(tensors[spec.name] == nil ? spec.name : sn)
                continue
            }
            guard t.dtype == "I8", t.shape == [o.outC, o.inC], s.dtype == "F32", s.shape == [o.outC] else {
                wrong.append(
                    "\(spec.name) is \(t.dtype) \(t.shape) with scale \(s.dtype) \(s.shape), expected I8 [\(o.outC), \(o.inC)] and F32 [\(o.outC)]"
                )
                continue
            }
            let qs = [Int8](unsafeUninitializedCapacity: t.range.count) { buf, n in
                data.withUnsafeBytes { raw in
                    buf.baseAddress!.initialize(
                        from: (raw.baseAddress! + t.range.lowerBound).assumingMemoryBound(to: Int8.self),
                        count: t.range.count)
                }
                n = t.range.count
            }
            let scales = floats(s)
            if let bad = scales.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
                wrong.append("\(sn)[\(bad)] is \(scales[bad]), not a finite scale ≥ 0")
                continue
            }
            matrices[spec.name] = .int8(Int8Matrix(inC: o.inC, outC: o.outC, q: qs, scales: scales))
        }
        if !missing.isEmpty {
            let shown =
                missing.prefix(6).joined(separator: ", ") + (missing.count > 6 ? ", … (\(missing.count) in all)" : "")
            throw SluiceError(.corruptInput, "quantized checkpoint is missing tensors: \(shown)", file: path)
        }
        if !wrong.isEmpty {
            throw SluiceError(
                .corruptInput,
                "quantized checkpoint tensors have wrong types or shapes: \(wrong.prefix(3).joined(separator: "; "))",
                file: path)
        }
        let unknown = tensors.keys.filter { !expected.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw SluiceError(
                .corruptInput,
                "quantized checkpoint has tensors this architecture does not: \(unknown.prefix(6).joined(separator: ", "))",
                file: path)
        }
        return DecodeModel(
            config: config, threads: threads, vectors: vectors, vectorCount: vectors.count,
            vector: { offsets[$0] ?? -1 },
            matrix: { matrices[$0]! })
    }

    /// Any checkpoint as a `DecodeModel`: INT8 when quantized, else the F32 weights of `Checkpoint.load`.
    public static func loadAny(_ dir: String, threads: Int = 2) throws -> DecodeModel {
        if try quantizationConfig(dir) != nil { return try loadDecodeModel(dir, threads: threads) }
        return DecodeModel(model: try Checkpoint.load(dir, threads: threads))
    }
}
