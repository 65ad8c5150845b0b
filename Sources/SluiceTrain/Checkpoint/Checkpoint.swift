// Checkpoint folders in the Hugging Face GPT-2 layout: model.safetensors + config.json (+
// tokenizer.json), so `transformers`' GPT2LMHeadModel loads them, plus our optimizer state in
// optimizer.safetensors and trainer_state.json. Folders appear atomically (built under a
// temporary name, then renamed).
import Foundation
import SluiceCore

/// Saving and loading checkpoint folders.
public enum Checkpoint {
    /// Tensors in HF GPT-2 checkpoints that carry no parameters (causal-mask buffers) or duplicate one (tied head).
    static func isIgnorable(_ name: String) -> Bool {
        name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias") || name == "lm_head.weight"
    }

    /// Writes `model` (and optionally the optimizer state, the trainer state and a tokenizer.json)
    /// into the folder `dir`, which must not exist yet; it appears complete or not at all.
    /// - Parameter config: what config.json records (`model.config` when nil), e.g. the run's dropout.
    /// - Parameter extraFiles: more files of the folder by name (fine-tuning's tokenizer_config.json).
    public static func save(
        model: GPT, to dir: String, optimizer: AdamW? = nil, trainerState: [String: Any]? = nil,
        tokenizerPath: String? = nil, config: GPTConfig? = nil, extraFiles: [String: Data] = [:]
    ) throws {
        let fm = FileManager.default
        let tmp = dir + ".tmp-\(getpid())"
        try? fm.removeItem(atPath: tmp)
        do {
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        } catch {
            throw SluiceError(.io, "cannot create checkpoint folder: \(error.localizedDescription)", file: tmp)
        }
        let recorded = config ?? model.config
        if model.config.isLlamaCompatible {
            // HF Llama layout: LlamaForCausalLM loads it (see LlamaLayout.swift).
            let (tensors, data) = llamaBuffer(model)
            try Safetensors.write(
                path: tmp + "/model.safetensors", tensors: tensors, data: data, metadata: ["format": "pt"])
        } else {
            let tensors = model.layout.tensors.map { (name: $0.name, shape: $0.shape, range: $0.range) }
            try Safetensors.write(
                path: tmp + "/model.safetensors", tensors: tensors, data: model.params, metadata: ["format": "pt"])
        }
        let cfg = try JSONSerialization.data(
            withJSONObject: model.config.isLlamaCompatible ? recorded.llamaJSON() : recorded.huggingFaceJSON(),
            options: [.prettyPrinted, .sortedKeys])
        try atomicWrite(cfg, to: tmp + "/config.json")
        if let opt = optimizer {
            let n = opt.m.count
            try Safetensors.write(
                path: tmp + "/optimizer.safetensors",
                tensors: [
                    (name: "adam.m", shape: [n], range: 0..<n), (name: "adam.v", shape: [n], range: n..<(2 * n)),
                ],
                data: opt.m + opt.v,
                metadata: [
                    "step": String(opt.step), "beta1": String(opt.beta1), "beta2": String(opt.beta2),
                    "eps": String(opt.eps),
                    "weight_decay": String(opt.weightDecay), "optimizer": opt.muon ? "muon" : "adamw",
                ])
        }
        if let trainerState {
            let d = try JSONSerialization.data(withJSONObject: trainerState, options: [.prettyPrinted, .sortedKeys])
            try atomicWrite(d, to: tmp + "/trainer_state.json")
        }
        try copyTokenizer(tokenizerPath, into: tmp)
        for (name, data) in extraFiles.sorted(by: { $0.key < $1.key }) { try atomicWrite(data, to: tmp + "/" + name) }
        try moveIntoPlace(tmp, dir)
    }

    /// Copies `tokenizerPath` (when given) into the folder being written as tokenizer.json.
    static func copyTokenizer(_ tokenizerPath: String?, into tmp: String) throws {
        guard let tokenizerPath else { return }
        guard let d = FileManager.default.contents(atPath: tokenizerPath) else {
            throw SluiceError(.io, "cannot read tokenizer", file: tokenizerPath)
        }
        try atomicWrite(d, to: tmp + "/tokenizer.json")
    }

    /// Renames the finished folder `tmp` to `dir`, replacing an existing `dir` (moved aside to
    /// `dir.old-PID` first, then removed), so a reader sees the old folder or the new one, never a mix.
    static func moveIntoPlace(_ tmp: String, _ dir: String) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: dir) {
            let old = dir + ".old-\(getpid())"
            guard rename(dir, old) == 0 else { throw SluiceError(.io, "cannot replace checkpoint", file: dir) }
            guard rename(tmp, dir) == 0 else {
                throw SluiceError(.io, "cannot rename checkpoint into place", file: dir)
            }
            try? fm.removeItem(atPath: old)
        } else {
            guard rename(tmp, dir) == 0 else {
                throw SluiceError(
                    .io, "cannot rename checkpoint into place: \(String(cString: strerror(errno)))", file: dir)
            }
        }
    }

    /// Removes the entries of `folder` named `NAME.tmp-PID` or `NAME.old-PID` whose process PID no
    /// longer runs (a checkpoint write killed between its first file and its rename), and returns
    /// their names. This process's own are stale too: it calls this before writing anything.
    @discardableResult
    public static func removeStaleTemporaries(in folder: String) -> [String] {
        let fm = FileManager.default
        var removed: [String] = []
        for name in ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).sorted() {
            guard let pid = temporaryOwner(name), pid == getpid() || !processExists(pid) else { continue }
            let path = folder + "/" + name
            // A `latest.tmp-PID` symlink is removed itself, never followed.
            if unlink(path) == 0 || (try? fm.removeItem(atPath: path)) != nil { removed.append(name) }
        }
        return removed
    }

    /// The PID in `step-N.tmp-PID` or `step-N.old-PID`, or nil for any other name.
    static func temporaryOwner(_ name: String) -> pid_t? {
        for marker in [".tmp-", ".old-"] {
            if let r = name.range(of: marker, options: .backwards), let pid = pid_t(name[r.upperBound...]), pid > 0 {
                return pid
            }
        }
        return nil
    }

    /// Whether a process `pid` exists (`kill(pid, 0)`; EPERM means it exists under another user).
    static func processExists(_ pid: pid_t) -> Bool { kill(pid, 0) == 0 || errno == EPERM }

    /// Loads a checkpoint folder written by us or by Hugging Face (`save_pretrained` of GPT2LMHeadModel
    /// or GPT2Model: names with or without the `transformer.` prefix). A quantized checkpoint loads
    /// with its INT8 matrices dequantized (`QuantizedCheckpoint.loadDecodeModel` keeps them INT8).
    /// - Throws: a config error listing missing tensors or wrong shapes, before any computation.
    public static func load(_ dir: String, threads: Int = 2) throws -> GPT {
        let fm = FileManager.default
        let cfgPath = dir + "/config.json"
        guard let cfgData = fm.contents(atPath: cfgPath) else {
            throw SluiceError(.io, "checkpoint has no config.json", file: dir)
        }
        let json = try? JSONSerialization.jsonObject(with: cfgData) as? [String: Any]
        if let q = json?["quantization_config"], !(q is NSNull) {
            // An INT8 checkpoint (`sluice quantize`): its weights dequantized to F32 (docs/quantize.md).
            return try QuantizedCheckpoint.loadDecodeModel(dir, threads: threads).dequantizedGPT()
        }
        let isLlama = json?["model_type"] as? String == "llama"
        let config =
            try isLlama ? GPTConfig.fromLlama(json!, file: cfgPath) : GPTConfig.fromHuggingFace(cfgData, file: cfgPath)
        let model = try GPT(config: config, threads: threads)
        let weights = dir + "/model.safetensors"
        guard fm.fileExists(atPath: weights) else {
            throw SluiceError(.io, "checkpoint has no model.safetensors", file: dir)
        }
        var (tensors, _) = try Safetensors.read(path: weights)
        if isLlama {
            try loadLlama(model, tensors: tensors, file: weights)
            return model
        }
        for (name, t) in tensors where name.hasPrefix("transformer.") {
            tensors[String(name.dropFirst("transformer.".count))] = t
            tensors[name] = nil
        }
        var missing: [String] = [], wrong: [String] = []
        for spec in model.layout.tensors {
            guard let t = tensors[spec.name] else {
                missing.append(spec.name)
                continue
            }
            guard t.shape == spec.shape else {
                wrong.append("\(spec.name) is \(t.shape), expected \(spec.shape)")
                continue
            }
            model.params.replaceSubrange(spec.range, with: t.values)
        }
        if !missing.isEmpty {
            let shown =
                missing.prefix(6).joined(separator: ", ") + (missing.count > 6 ? ", … (\(missing.count) in all)" : "")
            throw SluiceError(.corruptInput, "checkpoint is missing tensors: \(shown)", file: weights)
        }
        if !wrong.isEmpty {
            throw SluiceError(
                .corruptInput, "checkpoint tensors have wrong shapes: \(wrong.prefix(4).joined(separator: "; "))",
                file: weights)
        }
        let unknown = tensors.keys.filter { model.layout[$0] == nil && !isIgnorable($0) }.sorted()
        if !unknown.isEmpty {
            throw SluiceError(
                .corruptInput,
                "checkpoint has tensors this architecture does not: \(unknown.prefix(6).joined(separator: ", "))",
                file: weights)
        }
        return model
    }

    /// Loads the optimizer state saved beside a model, checking it fits `parameterCount`.
    public static func loadOptimizer(_ dir: String, parameterCount: Int) throws -> AdamW {
        let path = dir + "/optimizer.safetensors"
        guard FileManager.default.fileExists(atPath: path) else {
            throw SluiceError(
                .io,
                "checkpoint has no optimizer state; it cannot be resumed (use --init-from to start a new run from it)",
                file: dir)
        }
        let (t, meta) = try Safetensors.read(path: path)
        guard let m = t["adam.m"], let v = t["adam.v"], m.values.count == parameterCount,
            v.values.count == parameterCount,
            let step = meta["step"].flatMap({ Int($0) })
        else {
            throw SluiceError(
                .corruptInput, "optimizer state does not match the model (\(parameterCount) parameters)", file: path)
        }
        var opt = AdamW(parameterCount: parameterCount)
        opt.m = m.values
        opt.v = v.values
        opt.step = step
        if let b = meta["beta1"].flatMap({ Float($0) }) { opt.beta1 = b }
        if let b = meta["beta2"].flatMap({ Float($0) }) { opt.beta2 = b }
        if let e = meta["eps"].flatMap({ Float($0) }) { opt.eps = e }
        if let w = meta["weight_decay"].flatMap({ Float($0) }) { opt.weightDecay = w }
        // "muon": adam.m holds Muon's momentum for the hidden matrices (see Muon).
        opt.muon = meta["optimizer"] == "muon"
        return opt
    }

    /// The trainer state JSON of a checkpoint, or nil.
    public static func trainerState(_ dir: String) -> [String: Any]? {
        guard let d = FileManager.default.contents(atPath: dir + "/trainer_state.json") else { return nil }
        return try? JSONSerialization.jsonObject(with: d) as? [String: Any]
    }
}
