// Parsing fastText model files (`FastText::loadModel`). Every count is checked against the bytes
// left before anything is allocated, so a truncated, foreign or hostile file is a one-line error
// naming the file and offset, never a crash or a huge allocation (Fuzz/ target `fasttext`).
import Foundation
import SluiceCore

extension FastTextModel {
    /// Whether `bytes` start with fastText's magic number.
    public static func hasMagic(_ bytes: some Collection<UInt8>) -> Bool {
        guard bytes.count >= 4 else { return false }
        var v: UInt32 = 0
        for (k, b) in bytes.prefix(4).enumerated() { v |= UInt32(b) << (8 * k) }
        return v == magic
    }

    /// Loads a `.bin` or `.ftz` file (memory-mapped while parsing).
    /// - Throws: `SluiceError(.io)` if unreadable, `.corruptInput` if it is not a supervised fastText model.
    public static func load(path: String) throws -> FastTextModel {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw SluiceError(.io, "cannot read the model file", file: path)
        }
        return try data.withUnsafeBytes { try parse($0, path: path) }
    }

    /// Parses model bytes; `path` only names the file in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws -> FastTextModel {
        try bytes.withUnsafeBytes { try parse($0, path: path) }
    }

    /// Parses model bytes; `path` only names the file in errors.
    public static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws -> FastTextModel {
        var r = ModelReader(bytes: bytes, path: path)
        guard bytes.count >= 4, try r.u32("magic") == magic else {
            throw SluiceError(
                .corruptInput, "not a fastText model (the file does not start with fastText's magic number)", file: path
            )
        }
        let version = try r.i32("version")
        guard supportedVersions.contains(version) else {
            throw r.bad(
                "fastText model version \(version) is not supported (this sluice reads versions \(supportedVersions.lowerBound)–\(supportedVersions.upperBound))",
                at: 4)
        }
        // Args::load
        var a = FastTextArgs()
        a.dim = Int(try r.i32("args"))
        a.ws = Int(try r.i32("args"))
        a.epoch = Int(try r.i32("args"))
        a.minCount = Int(try r.i32("args"))
        a.neg = Int(try r.i32("args"))
        a.wordNgrams = Int(try r.i32("args"))
        let lossCode = try r.i32("args")
        a.model = try r.i32("args")
        a.bucket = Int(try r.i32("args"))
        a.minn = Int(try r.i32("args"))
        a.maxn = Int(try r.i32("args"))
        a.lrUpdateRate = Int(try r.i32("args"))
        a.t = try r.f64("args")
        guard a.model == 3 else {
            let kind = a.model == 1 ? "cbow" : a.model == 2 ? "skipgram" : "model kind \(a.model)"
            throw r.bad("this fastText model is a word-vector model (\(kind)), not a supervised classifier", at: 8)
        }
        guard let loss = Loss(rawValue: lossCode) else { throw r.bad("unknown fastText loss \(lossCode)", at: 8) }
        a.loss = loss
        if version == 11 { a.maxn = 0 }  // fastText: version-11 supervised models have no character n-grams
        guard (1...65_536).contains(a.dim), (1...1_000).contains(a.wordNgrams), (0...1_000).contains(a.minn),
            (0...1_000).contains(a.maxn), a.bucket >= 0
        else {
            throw r.bad(
                "fastText model arguments have impossible values (dim \(a.dim), wordNgrams \(a.wordNgrams), minn \(a.minn), maxn \(a.maxn), bucket \(a.bucket))",
                at: 8)
        }
        let needsBuckets = a.wordNgrams > 1 || a.maxn > 0
        if needsBuckets && a.bucket == 0 {
            throw r.bad("fastText model uses n-grams but has 0 buckets", at: 8)
        }

        // Dictionary::load
        let dictionaryAt = r.at
        let size = Int(try r.i32("dictionary"))
        let nwords = Int(try r.i32("dictionary"))
        let nlabels = Int(try r.i32("dictionary"))
        _ = try r.i64("dictionary")  // ntokens
        let pruneSize = try r.i64("dictionary")
        guard size >= 0, nwords >= 0, nlabels >= 1, nwords + nlabels == size, pruneSize >= -1 else {
            throw r.bad(
                "fastText dictionary has impossible sizes (\(size) entries, \(nwords) words, \(nlabels) labels)",
                at: dictionaryAt)
        }
        guard size <= r.remaining / 10 else {  // each entry takes at least 1 + 8 + 1 bytes
            throw r.bad(
                "fastText model is truncated in the dictionary (\(size) entries cannot fit in \(r.remaining) bytes)",
                at: dictionaryAt)
        }
        var d = FastTextDictionary()
        d.wordCount = nwords
        d.bytes.reserveCapacity(min(r.remaining, size * 16))
        d.starts.reserveCapacity(size + 1)
        for e in 0..<size {
            let entryAt = r.at
            let word = try r.cString("dictionary entry \(e)")
            d.bytes.append(contentsOf: word)
            d.starts.append(d.bytes.count)
            d.hashes.append(fastTextHash(word))
            let count = try r.i64("dictionary entry \(e)")
            let type = try r.u8("dictionary entry \(e)")
            guard type == (e < nwords ? 0 : 1) else {
                throw r.bad(
                    "fastText dictionary entry \(e) has type \(type) (words come first, then labels)", at: entryAt)
            }
            // Clamped below fastText's 1e15 sentinel so that a damaged count cannot loop the Huffman tree.
            if e >= nwords { d.labelCounts.append(min(count, 999_999_999_999_999)) }
        }
        if pruneSize >= 0 {
            guard pruneSize <= r.remaining / 8 else { throw r.bad("fastText pruned index is truncated", at: r.at) }
            var pairs: [(Int32, Int32)] = []
            pairs.reserveCapacity(Int(pruneSize))
            for _ in 0..<Int(pruneSize) {
                let at = r.at
                let k = try r.i32("pruned index")
                let v = try r.i32("pruned index")
                guard k >= 0, v >= 0, a.bucket == 0 || Int(k) < a.bucket else {
                    throw r.bad("fastText pruned index has an out-of-range pair (\(k), \(v))", at: at)
                }
                pairs.append((k, v))
            }
            d.pruned = PrunedIndex(pairs: pairs)
            d.dropsAllNgrams = pruneSize == 0
        }

        // Input matrix.
        let quantInput = try r.bool("quantization flag")
        if !quantInput && d.pruned != nil {
            throw r.bad(
                "fastText model has a pruned dictionary but a dense input matrix (an outdated model file)", at: r.at)
        }
        let inputAt = r.at
        let input = quantInput ? try r.quantMatrix("input matrix") : try r.denseMatrix("input matrix")
        var needRows = nwords
        if needsBuckets && !d.dropsAllNgrams {
            if let p = d.pruned { needRows = nwords + Int(p.maxValue) + 1 } else { needRows = nwords + a.bucket }
        }
        guard input.cols == a.dim, input.rows >= needRows else {
            throw r.bad(
                "fastText input matrix is \(input.rows)×\(input.cols), the model needs at least \(needRows)×\(a.dim)",
                at: inputAt)
        }
        // Output matrix.
        let qout = try r.bool("qout flag")
        let outputAt = r.at
        let output = quantInput && qout ? try r.quantMatrix("output matrix") : try r.denseMatrix("output matrix")
        guard output.cols == a.dim, output.rows == nlabels else {
            throw r.bad(
                "fastText output matrix is \(output.rows)×\(output.cols), the model needs \(nlabels)×\(a.dim)",
                at: outputAt)
        }
        guard r.remaining == 0 else {
            throw r.bad("\(r.remaining) unexpected bytes after the output matrix of the fastText model", at: r.at)
        }
        return FastTextModel(
            version: version, args: a, dictionary: d, input: input, output: output, isQuantized: quantInput)
    }
}

/// A bounds-checked little-endian cursor over model bytes.
private struct ModelReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var at = 0
    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }
    var remaining: Int { bytes.count - at }

    func bad(_ message: String, at offset: Int) -> SluiceError {
        SluiceError(.corruptInput, message, file: path, offset: offset)
    }

    mutating func take(_ n: Int, _ what: String) throws -> Int {
        guard n >= 0, remaining >= n else { throw bad("fastText model is truncated in the \(what)", at: at) }
        defer { at += n }
        return at
    }
    mutating func u8(_ what: String) throws -> UInt8 { bytes[try take(1, what)] }
    mutating func bool(_ what: String) throws -> Bool {
        let start = at
        let v = try u8(what)
        guard v <= 1 else { throw bad("fastText model has \(v) for the \(what) (0 or 1)", at: start) }
        return v == 1
    }
    mutating func u32(_ what: String) throws -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4, what), as: UInt32.self))
    }
    mutating func i32(_ what: String) throws -> Int32 { Int32(bitPattern: try u32(what)) }
    mutating func i64(_ what: String) throws -> Int64 {
        Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8, what), as: Int64.self))
    }
    mutating func f64(_ what: String) throws -> Double {
        Double(
            bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8, what), as: UInt64.self)))
    }
    /// A NUL-terminated string (the NUL is consumed, not returned).
    mutating func cString(_ what: String) throws -> UnsafeRawBufferPointer.SubSequence {
        var end = at
        while end < bytes.count && bytes[end] != 0 { end += 1 }
        guard end < bytes.count else { throw bad("fastText model is truncated in the \(what)", at: at) }
        defer { at = end + 1 }
        return bytes[at..<end]
    }
    /// `n` little-endian floats into a new buffer the caller owns.
    mutating func floats(_ n: Int, _ what: String) throws -> UnsafeMutableBufferPointer<Float> {
        guard n >= 0, n <= remaining / 4 else { throw bad("fastText model is truncated in the \(what)", at: at) }
        let start = try take(4 * n, what)
        let out = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(n, 1))
        if n > 0 {
            UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: bytes.baseAddress! + start, byteCount: 4 * n)
        }
        return out  // fastText files are little-endian, as is every platform sluice builds for
    }

    /// `DenseMatrix::load`: int64 rows, int64 columns, rows × columns floats.
    mutating func denseMatrix(_ what: String) throws -> FastTextMatrix {
        let start = at
        let m = try i64(what)
        let n = try i64(what)
        guard m >= 0, n >= 1, n <= 65_536 else {
            throw bad("fastText \(what) has impossible sizes \(m)×\(n)", at: start)
        }
        guard m <= Int64(remaining / 4) / n else {
            throw bad(
                "fastText model is truncated in the \(what) (\(m)×\(n) floats do not fit in \(remaining) bytes)",
                at: start)
        }
        let values = try floats(Int(m * n), what)
        return FastTextMatrix(rows: Int(m), cols: Int(n), values: values)
    }

    /// `ProductQuantizer::load`: dim, nsubq, dsub, lastdsub (int32), then 256 × dim centroids.
    mutating func quantizer(_ what: String) throws -> (
        dim: Int, nsubq: Int, dsub: Int, lastdsub: Int, centroids: UnsafeMutableBufferPointer<Float>
    ) {
        let start = at
        let dim = Int(try i32(what))
        let nsubq = Int(try i32(what))
        let dsub = Int(try i32(what))
        let lastdsub = Int(try i32(what))
        guard (1...65_536).contains(dim), nsubq >= 1, dsub >= 1, lastdsub >= 1,
            (nsubq - 1) * dsub + lastdsub == dim
        else {
            throw bad(
                "fastText \(what) has an impossible product quantizer (dim \(dim), nsubq \(nsubq), dsub \(dsub), lastdsub \(lastdsub))",
                at: start)
        }
        return (dim, nsubq, dsub, lastdsub, try floats(256 * dim, what))
    }

    /// `QuantMatrix::load`: qnorm (bool), rows, columns (int64), codesize (int32), the codes, the
    /// quantizer, and with qnorm one norm code per row and the norm quantizer.
    mutating func quantMatrix(_ what: String) throws -> FastTextMatrix {
        let start = at
        let qnorm = try bool(what)
        let m = try i64(what)
        let n = try i64(what)
        let codesize = Int(try i32(what))
        guard codesize >= 0, m >= 0, n >= 1, n <= 65_536 else {
            throw bad("fastText quantized \(what) has impossible sizes \(m)×\(n) with \(codesize) codes", at: start)
        }
        guard m <= Int64(remaining) else {
            throw bad(
                "fastText model is truncated in the quantized \(what) (\(m) rows cannot fit in \(remaining) bytes)",
                at: start)
        }
        let codesAt = try take(codesize, what)
        let codes = [UInt8](bytes[codesAt..<(codesAt + codesize)])
        let pq = try quantizer(what)
        guard pq.dim == Int(n), codesize == Int(m) * pq.nsubq else {
            pq.centroids.deallocate()
            throw bad(
                "fastText quantized \(what): \(codesize) codes do not match \(m) rows × \(pq.nsubq) sub-quantizers of \(n) columns",
                at: start)
        }
        var normCodes: [UInt8] = []
        var normCentroids: [Float] = []
        if qnorm {
            do {
                let normAt = try take(Int(m), what)
                normCodes = [UInt8](bytes[normAt..<(normAt + Int(m))])
                let npq = try quantizer(what + " norms")
                defer { npq.centroids.deallocate() }
                guard npq.dim == 1, npq.nsubq == 1 else {
                    throw bad("fastText quantized \(what) has a bad norm quantizer", at: normAt)
                }
                normCentroids = Array(npq.centroids.prefix(256))
            } catch {
                pq.centroids.deallocate()
                throw error
            }
        }
        return FastTextMatrix(
            rows: Int(m), cols: Int(n), codes: codes, centroids: pq.centroids, nsubq: pq.nsubq, dsub: pq.dsub,
            lastdsub: pq.lastdsub, normCodes: normCodes, normCentroids: normCentroids)
    }
}
