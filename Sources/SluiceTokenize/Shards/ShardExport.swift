// Lossless exports of a shard split to the layouts other trainers read (docs/shards.md, "Exports"):
// Megatron-LM's indexed dataset (`.bin` + `.idx`) and the llm.c / nanoGPT `.bin` with its
// 256 × int32 header. Streams in blocks; never holds the split in memory.
import Foundation
import SluiceCore

/// Writers for other trainers' token formats.
public enum ShardExport {
    /// Export formats.
    public enum Format: String, Sendable, CaseIterable {
        /// Megatron-LM `MMIDIDX` indexed dataset: `OUT.bin` and `OUT.idx`, one sequence per document.
        case megatron
        /// llm.c / nanoGPT: `OUT.bin` (or OUT if it ends in .bin), 1 024-byte header then the ids.
        case nanogpt
    }

    /// What an export wrote.
    public struct Result: Sendable {
        public var files: [String]
        public var tokens: Int
        public var documents: Int
    }

    static let blockTokens = 1 << 20

    /// Exports `dataset` to `output` (a path prefix; `.bin`/`.idx` are added as needed).
    /// - Throws: `SluiceError(.io)` when a file cannot be written; read errors of the shards.
    public static func export(_ dataset: ShardDataset, format: Format, to output: String) throws -> Result {
        switch format {
        case .megatron: try megatron(dataset, prefix: output.hasSuffix(".bin") ? String(output.dropLast(4)) : output)
        case .nanogpt: try nanogpt(dataset, path: output.hasSuffix(".bin") ? output : output + ".bin")
        }
    }

    /// Streams all ids of `dataset` as little-endian `width`-byte integers to `handle`.
    static func writeTokens(_ dataset: ShardDataset, width: Int, to handle: FileHandle) throws {
        var buffer = [UInt32](repeating: 0, count: blockTokens)
        var bytes = [UInt8](repeating: 0, count: blockTokens * width)
        var position = 0
        while position < dataset.tokenCount {
            let n = min(blockTokens, dataset.tokenCount - position)
            try buffer.withUnsafeMutableBufferPointer { try dataset.read(position..<(position + n), into: $0) }
            for i in 0..<n {
                let t = buffer[i]
                for k in 0..<width { bytes[width * i + k] = UInt8(truncatingIfNeeded: t >> (8 * UInt32(k))) }
            }
            handle.write(Data(bytes[0..<(n * width)]))
            position += n
        }
    }

    static func create(_ path: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path)
        else {
            throw SluiceError(.io, "cannot create export file", file: path)
        }
        return h
    }

    static func megatron(_ dataset: ShardDataset, prefix: String) throws -> Result {
        // Megatron picks uint16 (code 8) below 65 500 ids, else int32 (code 4).
        let (code, width): (UInt8, Int) = dataset.vocabSize < 65_500 ? (8, 2) : (4, 4)
        let bin = try create(prefix + ".bin")
        try writeTokens(dataset, width: width, to: bin)
        try bin.close()
        var lengths: [Int32] = []
        for s in dataset.shards {
            for d in 0..<s.documentCount { lengths.append(Int32(s.documentRange(d).count)) }
        }
        var idx = Array("MMIDIDX\0\0".utf8)
        appendLE(&idx, 1, 8)
        idx.append(code)
        appendLE(&idx, UInt64(lengths.count), 8)
        appendLE(&idx, UInt64(lengths.count + 1), 8)  // Megatron: document_indices has a leading 0
        for l in lengths { appendLE(&idx, UInt64(UInt32(bitPattern: l)), 4) }
        var pointer: UInt64 = 0
        for l in lengths {
            appendLE(&idx, pointer, 8)
            pointer += UInt64(l) * UInt64(width)
        }
        for d in 0...lengths.count { appendLE(&idx, UInt64(d), 8) }
        guard FileManager.default.createFile(atPath: prefix + ".idx", contents: Data(idx)) else {
            throw SluiceError(.io, "cannot write Megatron index", file: prefix + ".idx")
        }
        return Result(files: [prefix + ".bin", prefix + ".idx"], tokens: dataset.tokenCount, documents: lengths.count)
    }

    static func nanogpt(_ dataset: ShardDataset, path: String) throws -> Result {
        guard dataset.tokenCount <= Int(Int32.max) else {
            throw SluiceError(
                .usage, "llm.c headers hold at most 2^31 − 1 tokens per file; export a smaller split", file: path)
        }
        let wide = dataset.vocabSize > 65_536
        var header = [UInt8]()
        var fields = [Int32](repeating: 0, count: 256)
        fields[0] = wide ? 20_240_801 : 20_240_520
        fields[1] = wide ? 7 : 1
        fields[2] = Int32(dataset.tokenCount)
        for f in fields { appendLE(&header, UInt64(UInt32(bitPattern: f)), 4) }
        let h = try create(path)
        h.write(Data(header))
        try writeTokens(dataset, width: wide ? 4 : 2, to: h)
        try h.close()
        return Result(files: [path], tokens: dataset.tokenCount, documents: dataset.documentCount)
    }
}
