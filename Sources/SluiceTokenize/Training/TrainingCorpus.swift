// Reads training text for the tokenizer trainers from files (plain text: one sequence per line,
// its newline kept, as HF `train(files)` does; JSONL: the "text" field of each document) and
// counts pre-tokens on all cores. Files are read in blocks cut at line ends, so memory stays at
// a few blocks plus the counts.
import Foundation
import SluiceCore

/// Multi-threaded pre-token counting over text and JSONL files.
public enum TrainingCorpus {
    /// Bytes per block handed to a worker.
    static let blockSize = 1 << 22

    /// Counts the pre-tokens of every sequence in `paths` with `pattern`, on `workers` threads.
    /// - Throws: `SluiceError(.io)` naming a file that cannot be read; `.corruptInput` for a
    ///   JSONL line that is not a JSON object with a string "text" (with its line number).
    public static func countWords(paths: [String], pattern: SplitPattern, workers: Int) throws -> WordCounts {
        let blocks = try paths.flatMap { try Self.blocks(of: $0) }
        let n = max(1, min(workers, blocks.count))
        let partials = UnsafeMutableBufferPointer<WordCounts>.allocate(capacity: n)
        partials.initialize(repeating: WordCounts())
        defer { partials.deinitialize().deallocate() }
        let errors = UnsafeMutableBufferPointer<SluiceError?>.allocate(capacity: n)
        errors.initialize(repeating: nil)
        defer { errors.deinitialize().deallocate() }
        nonisolated(unsafe) let p = partials
        nonisolated(unsafe) let e = errors
        DispatchQueue.concurrentPerform(iterations: n) { w in
            var counts = WordCounts()
            var b = w
            while b < blocks.count {
                do { try countBlock(blocks[b], pattern: pattern, into: &counts) } catch let err as SluiceError {
                    e[w] = err
                    return
                } catch {
                    e[w] = SluiceError(.io, "\(error)", file: blocks[b].path)
                    return
                }
                b += n
            }
            p[w] = counts
        }
        if let err = errors.compactMap({ $0 }).first { throw err }
        var total = partials[0]
        for w in 1..<n { total.merge(partials[w]) }
        return total
    }

    /// A byte range of a file, cut at line ends.
    struct Block: Sendable {
        var path: String
        var offset: Int
        var length: Int
        var firstLine: Int
        var jsonl: Bool
    }

    static func isJSONL(_ path: String) -> Bool {
        path.hasSuffix(".jsonl") || path.hasSuffix(".json")
    }

    /// Splits a file into blocks of about `blockSize` bytes ending at newlines.
    static func blocks(of path: String) throws -> [Block] {
        guard let h = FileHandle(forReadingAtPath: path) else { throw SluiceError(.io, "cannot open input", file: path) }
        defer { try? h.close() }
        for c in [".gz", ".zst", ".zstd", ".bz2"] where path.hasSuffix(c) {
            throw SluiceError(.usage, "compressed training input is read through SluiceCore streams, not yet available in this build; decompress first", file: path)
        }
        let size = Int((try? h.seekToEnd()) ?? 0)
        var blocks: [Block] = []
        var start = 0
        var line = 1
        while start < size {
            var end = min(size, start + blockSize)
            if end < size {
                try h.seek(toOffset: UInt64(end))
                // Extend to the next newline.
                while end < size {
                    let chunk = h.readData(ofLength: 65_536)
                    if chunk.isEmpty { end = size; break }
                    if let nl = chunk.firstIndex(of: 0x0A) {
                        end += chunk.distance(from: chunk.startIndex, to: nl) + 1
                        break
                    }
                    end += chunk.count
                }
            }
            blocks.append(Block(path: path, offset: start, length: end - start, firstLine: line, jsonl: isJSONL(path)))
            line += 0  // line numbers inside a block are counted from its start by the reader
            start = end
        }
        return blocks
    }

    static func countBlock(_ block: Block, pattern: SplitPattern, into counts: inout WordCounts) throws {
        try forEachSequence(in: block) { seq in counts.addText(seq, pattern: pattern) }
    }

    /// Calls `body` with each sequence of `block`: a line (newline included), or a JSONL document's text.
    static func forEachSequence(in block: Block, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        guard let h = FileHandle(forReadingAtPath: block.path) else { throw SluiceError(.io, "cannot open input", file: block.path) }
        defer { try? h.close() }
        try h.seek(toOffset: UInt64(block.offset))
        let data = h.readData(ofLength: block.length)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            var lineNo = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                if end < bytes.count { end += 1 }
                lineNo += 1
                let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                if block.jsonl {
                    if let text = try jsonText(line, path: block.path, offset: block.offset + start) {
                        var t = text
                        t.withUTF8 { try? body($0) }
                    }
                } else if validUTF8(line) {
                    try body(line)
                }
                start = end
            }
        }
    }

    /// The "text" of one JSONL line (nil for a blank line).
    static func jsonText(_ line: UnsafeBufferPointer<UInt8>, path: String, offset: Int) throws -> String? {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        let obj = try? JSONSerialization.jsonObject(with: Data(buffer: line))
        guard let text = (obj as? [String: Any])?["text"] as? String else {
            throw SluiceError(.corruptInput, "JSONL line is not an object with a string \"text\"", file: path, offset: offset)
        }
        return text
    }

    /// Whether `b` is valid UTF-8 (invalid lines are skipped: the pre-tokenizer needs valid text).
    static func validUTF8(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        // Fast path: all ASCII.
        var i = 0
        while i < b.count && b[i] < 0x80 { i += 1 }
        if i == b.count { return true }
        return String(validating: b, as: UTF8.self) != nil
    }
}
