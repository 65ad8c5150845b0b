// Reads training text for the tokenizer trainers from files (plain text: one sequence per line,
// its newline kept, as HF `train(files)` does; JSONL: the "text" field of each document; plain,
// .gz, .zst or .bz2) and counts pre-tokens on all cores. Files are read in blocks cut at line ends,
// a batch of blocks per round, so memory stays at a few blocks plus the counts.
import Foundation
import SluiceCore

/// Multi-threaded pre-token counting over text and JSONL files.
public enum TrainingCorpus {
    /// Bytes per block handed to a worker.
    static let blockSize = 1 << 22

    /// How a sequence is split into counted words.
    public enum Splitter: Sendable {
        /// Byte-level BPE pre-tokens.
        case pattern(SplitPattern)
        /// sentencepiece words: NFKC when asked, spaces → `▁`, a `▁` before each word.
        case metaspace(nfkc: Bool)
    }

    /// A block of whole lines from one file.
    struct Block: Sendable {
        var path: String
        var bytes: [UInt8]
        var offset: Int
        var jsonl: Bool
    }

    static func isJSONL(_ path: String) -> Bool {
        for ext in [".jsonl", ".json"] {
            for c in ["", ".gz", ".zst", ".zstd", ".bz2"] where path.hasSuffix(ext + c) { return true }
        }
        return false
    }

    /// Calls `body` with consecutive blocks of whole lines of `path` (plain, .gz, .zst or .bz2,
    /// through SluiceCore's streams). A damaged compressed stream first yields every line
    /// before the damage, then throws `.corruptInput` naming the file and offset.
    static func forEachBlock(_ path: String, _ body: (Block) throws -> Void) throws {
        let jsonl = isJSONL(path)
        var carry: [UInt8] = []
        var offset = 0
        func emit(_ final: Bool) throws {
            guard !carry.isEmpty else { return }
            var cut = carry.count
            if !final {
                guard let nl = carry.lastIndex(of: 0x0A) else { return }
                cut = nl + 1
            }
            let block = Block(path: path, bytes: Array(carry[0..<cut]), offset: offset, jsonl: jsonl)
            offset += cut
            carry.removeFirst(cut)
            try body(block)
        }
        let source = try openByteSource(path)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        do {
            while true {
                let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { break }
                carry += buffer[0..<n]
                if carry.count >= blockSize { try emit(false) }
            }
        } catch {
            try emit(true)  // the good lines before the damage still count
            throw error
        }
        try emit(true)
    }

    /// Counts the words of every sequence in `paths`, on `workers` threads.
    /// - Throws: `SluiceError(.io)` naming a file that cannot be read; `.corruptInput` for a
    ///   JSONL line that is not a JSON object with a string "text", or damaged zstd.
    public static func countWords(paths: [String], splitter: Splitter, workers: Int) throws -> WordCounts {
        let n = max(1, workers)
        var partials = [WordCounts](repeating: WordCounts(), count: n)
        var batch: [Block] = []
        func runBatch() throws {
            guard !batch.isEmpty else { return }
            let blocks = batch
            let errors = UnsafeMutableBufferPointer<SluiceError?>.allocate(capacity: n)
            errors.initialize(repeating: nil)
            defer { errors.deinitialize().deallocate() }
            try partials.withUnsafeMutableBufferPointer { parts in
                nonisolated(unsafe) let p = parts
                nonisolated(unsafe) let e = errors
                DispatchQueue.concurrentPerform(iterations: min(n, blocks.count)) { w in
                    var counter = WordCounter(splitter: splitter)
                    var b = w
                    while b < blocks.count {
                        do { try counter.count(blocks[b], into: &p[w]) } catch {
                            e[w] = error as? SluiceError ?? SluiceError(.io, "\(error)", file: blocks[b].path)
                            return
                        }
                        b += n
                    }
                }
                if let err = errors.compactMap({ $0 }).first { throw err }
            }
            batch.removeAll()
        }
        for path in paths {
            try forEachBlock(path) { block in
                batch.append(block)
                if batch.count >= n { try runBatch() }
            }
        }
        try runBatch()
        var total = partials[0]
        for w in 1..<n { total.merge(partials[w]) }
        return total
    }

    /// Counts one thread's blocks (keeps the normalizer's scratch).
    struct WordCounter {
        let splitter: Splitter
        var normalizer: UnicodeNormalizer?
        var scratch: [UInt8] = []

        init(splitter: Splitter) {
            self.splitter = splitter
            if case .metaspace(true) = splitter { normalizer = UnicodeNormalizer(form: .nfkc) }
        }

        mutating func count(_ block: Block, into counts: inout WordCounts) throws {
            try forEachSequence(in: block) { seq in add(seq, into: &counts) }
        }

        mutating func add(_ seq: UnsafeBufferPointer<UInt8>, into counts: inout WordCounts) {
            switch splitter {
            case .pattern(let p): counts.addText(seq, pattern: p)
            case .metaspace:
                if let normalizer, !seq.allSatisfy({ $0 < 0x80 }) {
                    var s =
                        (try? normalizer.normalize(String(decoding: seq, as: UTF8.self)))
                        ?? String(decoding: seq, as: UTF8.self)
                    s.withUTF8 { addMetaspaceWords($0, into: &counts) }
                } else {
                    addMetaspaceWords(seq, into: &counts)
                }
            }
        }

        /// Words split at whitespace, each counted as `▁word` (sentencepiece's split_by_whitespace).
        mutating func addMetaspaceWords(_ seq: UnsafeBufferPointer<UInt8>, into counts: inout WordCounts) {
            var i = 0
            let n = seq.count
            while i < n {
                while i < n && (seq[i] == 0x20 || seq[i] == 0x0A || seq[i] == 0x0D || seq[i] == 0x09) { i += 1 }
                guard i < n else { break }
                var j = i
                while j < n && !(seq[j] == 0x20 || seq[j] == 0x0A || seq[j] == 0x0D || seq[j] == 0x09) { j += 1 }
                scratch.removeAll(keepingCapacity: true)
                scratch += [0xE2, 0x96, 0x81]
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: seq[i..<j]))
                scratch.withUnsafeBufferPointer { counts.add($0.baseAddress!, $0.count) }
                i = j
            }
        }
    }

    /// Calls `body` with each sequence of `block`: a line (newline included), or a JSONL document's text.
    static func forEachSequence(in block: Block, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        try block.bytes.withUnsafeBufferPointer { bytes in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                if end < bytes.count { end += 1 }
                let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                if block.jsonl {
                    if var text = try jsonText(line, path: block.path, offset: block.offset + start) {
                        try text.withUTF8 { try body($0) }
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
        var parser = JSONParser()  // SluiceCore's byte-level parser
        let value = try? parser.parse(UnsafeRawBufferPointer(line))
        guard let text = value?.objectValue?["text"]?.stringValue else {
            throw SluiceError(
                .corruptInput, "JSONL line is not an object with a string \"text\"", file: path, offset: offset)
        }
        return text
    }

    /// Whether `b` is valid UTF-8 (invalid lines are skipped: the pre-tokenizer needs valid text).
    static func validUTF8(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < b.count && b[i] < 0x80 { i += 1 }
        if i == b.count { return true }
        return String(validating: b, as: UTF8.self) != nil
    }
}
