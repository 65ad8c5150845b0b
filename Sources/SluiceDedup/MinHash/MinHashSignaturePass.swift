// Pass 1 of `minhash_dedup`: one task per document file computes every document's signature and
// band keys and writes, per band, sorted runs of (band key, document key). It does not look at
// other files; the buckets pass joins them.
import Foundation
import SluiceCore

/// Signatures: task `t` reads document file `t`.
///
/// Memory: the sort buffer (`sort_buffer`, 16 bytes per document per band) plus one document's
/// shingles; a full buffer is sorted and spilled as one run per band. With `verify: signature`
/// it also writes every document's full signature (4 bytes per permutation), with `exact` its
/// sorted shingle set.
public struct MinHashSignaturePass: CorpusPass {
    public let name = "signatures"
    public let settings: MinHashSettings

    public init(settings: MinHashSettings) { self.settings = settings }

    public func taskCount(environment: PassEnvironment) -> Int { environment.documentFiles.count }

    public func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
        let work = environment.workDirectory
        let bands = settings.bands
        // A rerun after a crash starts this task over: remove its runs from the earlier attempt.
        for band in 0..<bands {
            removeFiles(MinHashLayout.bandDirectory(work, band), prefix: zeroPadded(task, width: 5) + "-")
        }
        let hasher = settings.makeHasher()
        let shingler = try settings.makeShingler()
        var shingles: [UInt64] = []
        var reduced: [UInt64] = []
        var signature = [UInt64](repeating: 0, count: hasher.permutations)
        var keys = [UInt64](repeating: 0, count: bands)
        // Per band, (band key, document key) pairs, flat.
        var buffers = [[UInt64]](repeating: [], count: bands)
        let recordsPerSpill = max(1, settings.sortBuffer / (16 * bands))
        var buffered = 0
        var run = 0
        var documents = 0
        var signed = 0
        var shingleWriter: RecordStreamWriter?
        var offsets: [UInt64] = [0]
        if settings.verify == .exact {
            shingleWriter = try RecordStreamWriter(
                path: MinHashLayout.shinglePath(work, file: task), width: 1, magic: MinHashLayout.shingleMagic)
        }
        // Full signatures, one fixed-width record per ordinal: each value's low 32 bits (the
        // values are uniform below 2^61 − 1, so unequal ones agree there with probability 2^-32).
        let fullWidth = MinHashLayout.fullSignatureWidth(permutations: hasher.permutations)
        var signatureWriter: RecordStreamWriter?
        var packed = [UInt32](repeating: 0, count: 2 * fullWidth)
        if settings.verify == .signature {
            signatureWriter = try RecordStreamWriter(
                path: MinHashLayout.fullSignaturePath(work, file: task), width: fullWidth,
                magic: MinHashLayout.fullSignatureMagic)
        }

        func spill() throws {
            guard buffered > 0 else { return }
            for band in 0..<bands {
                try sortPairs(&buffers[band])
                let path = MinHashLayout.runPath(work, band: band, file: task, run: run)
                try RecordFile.write(buffers[band], width: 2, magic: MinHashLayout.signatureMagic, to: path)
                context.recordCommittedFile(path)
                buffers[band].removeAll(keepingCapacity: true)
            }
            buffered = 0
            run += 1
        }

        var reader = try DocumentTextReader(path: environment.documentFiles[task])
        try reader.forEach(onBadLine: { _, at in
            context.reportBadRecord("minhash_dedup:bad_document", file: at, "no string text field")
        }) { ordinal, text in
            documents += 1
            shingler.shingles(of: text, into: &shingles)
            if let w = shingleWriter {
                if !shingles.isEmpty {
                    shingles.sort()
                    var last: UInt64? = nil
                    for s in shingles where s != last {
                        w.append(s)
                        last = s
                    }
                }
                offsets.append(UInt64(w.count))
            }
            guard !shingles.isEmpty else {
                // No signature, never a candidate: a zero placeholder keeps records indexed by ordinal.
                if let w = signatureWriter {
                    packed.withUnsafeMutableBufferPointer { p in
                        p.update(repeating: 0)
                        p.withMemoryRebound(to: UInt64.self) { w.appendRecord(UnsafeBufferPointer($0)) }
                    }
                }
                return
            }
            signed += 1
            shingles.withUnsafeBufferPointer { s in
                signature.withUnsafeMutableBufferPointer { hasher.signature(of: s, into: $0, scratch: &reduced) }
            }
            if let w = signatureWriter {
                signature.withUnsafeBufferPointer { sig in
                    packed.withUnsafeMutableBufferPointer { p in
                        // p has 2 × fullWidth ≥ permutations slots; an odd count leaves one 0 pad.
                        for i in 0..<sig.count { p[i] = UInt32(truncatingIfNeeded: sig[i]) }
                        p.withMemoryRebound(to: UInt64.self) { w.appendRecord(UnsafeBufferPointer($0)) }
                    }
                }
            }
            signature.withUnsafeBufferPointer { s in
                keys.withUnsafeMutableBufferPointer { hasher.bandKeys(of: s, into: $0) }
            }
            let key = DocumentKey.make(file: task, ordinal: ordinal)
            for band in 0..<bands {
                buffers[band].append(keys[band])
                buffers[band].append(key)
            }
            buffered += 1
            if buffered >= recordsPerSpill { try spill() }
        }
        try spill()
        if let w = signatureWriter {
            try w.finish()
            context.recordCommittedFile(MinHashLayout.fullSignaturePath(work, file: task))
        }
        if let w = shingleWriter {
            try w.finish()
            try RecordFile.write(
                offsets, width: 1, magic: MinHashLayout.offsetMagic, to: MinHashLayout.offsetPath(work, file: task))
            context.recordCommittedFile(MinHashLayout.shinglePath(work, file: task))
            context.recordCommittedFile(MinHashLayout.offsetPath(work, file: task))
        }
        // Written last: the count file says the task's runs are complete. The marker records
        // every work file with its size and checksum, so `sluice verify` and reruns see damage.
        try RecordFile.write(
            [UInt64(documents), UInt64(signed), UInt64(run)], width: 3, magic: MinHashLayout.countMagic,
            to: MinHashLayout.countPath(work, file: task))
        context.recordCommittedFile(MinHashLayout.countPath(work, file: task))
        context.count("documents_signed", by: signed)
        context.count("documents_without_shingles", by: documents - signed)
    }
}

/// Sorts a flat array of (x, y) word pairs by x, then y.
func sortPairs(_ flat: inout [UInt64]) throws {
    let n = flat.count / 2
    flat.withUnsafeMutableBytes { raw in
        raw.withMemoryRebound(to: WordPair.self) { pairs in
            precondition(pairs.count == n)
            var pairs = pairs
            pairs.sort()
        }
    }
}

/// Two words compared lexicographically, laid out as two `UInt64`s.
struct WordPair: Comparable {
    var x: UInt64
    var y: UInt64
    @inline(__always) static func < (a: WordPair, b: WordPair) -> Bool { a.x < b.x || (a.x == b.x && a.y < b.y) }
}
