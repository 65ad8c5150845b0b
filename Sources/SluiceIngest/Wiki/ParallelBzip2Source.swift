// Parallel bzip2 decoding for large dumps: finds block boundaries by their 48-bit magic numbers
// (blocks are bit-aligned), copies each block's bytes into a job and decodes the jobs on a pool of
// threads with the native Bzip2BlockDecoder (libbz2, on the block wrapped into a one-block stream,
// for blocks it does not take), handing the output on in order as each block completes (the
// lbzip2 / indexed_bzip2 idea). Memory is bounded by the look-ahead:
// `threads + 1` blocks. Not a general replacement for Core's Bzip2Source: it only reads.
internal import CBzip2
import Foundation
import SluiceCore

#if canImport(Glibc)
    import Glibc
#endif

/// A ByteSource over a `.bz2` file (single- or multi-stream) that decodes blocks in parallel.
/// Every block's CRC is checked (by Bzip2BlockDecoder, or by libbz2 for the blocks it leaves). A truncated or corrupt
/// file yields every byte of the blocks before the damage, then throws `.corruptInput`.
public final class ParallelBzip2Source: ByteSource {
    public let path: String
    public private(set) var compressedOffset = 0
    private let file: UnsafeMutablePointer<FILE>
    private static let readSize = 1 << 22
    private let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 22, alignment: 64)

    /// Compressed bytes read so far and not yet released; `window[0]` is file byte `windowBase`.
    private var window: [UInt8] = []
    private var windowBase = 0
    private var fileAtEnd = false
    /// Bit offset (absolute, in the file) where scanning for the next magic resumes.
    private var scanBit = 0
    /// The start of the block being delimited, if any, and the level of its stream.
    private var openBlock: Int?
    private var level: UInt8 = 0x39
    /// Where the next stream header is expected (bit offset), when between streams.
    private var expectHeaderAt: Int? = 0
    private var pendingJobs: [Job] = []

    /// The decoded block being read.
    private var current: [UInt8] = []
    private var currentOffset = 0
    /// A decoding error, thrown once the output before it has been read.
    private var failure: SluiceError?
    /// Set by the block scanner: no more blocks, and why (nil for a clean end).
    private var scanFinished = false
    private var scanFailure: SluiceError?
    /// Blocks being decoded, oldest first; at most `lookahead`.
    private var inFlight = FIFO<Slot>()
    private let lookahead: Int
    private let pool: DecodePool?
    /// The decoder of the reading thread, when there is no pool.
    private lazy var decoder = Bzip2BlockDecoder()

    struct Job {
        var start: Int  // bit offset of the block magic
        var end: Int  // bit offset where the block ends (next block magic or end-of-stream magic)
        var level: UInt8
        /// The file ended before this block did.
        var truncated = false
    }

    static let blockMagic = Bzip2BlockDecoder.blockMagic
    static let endMagic: UInt64 = 0x1772_4538_5090

    /// - Parameter threads: threads for this dump, the reading thread included (default: one per
    ///   core). 1 decodes on the reading thread; N > 1 decodes blocks on N − 1 pool threads while
    ///   the reading thread parses what they produced (on 2 cores: one decoder, one parser).
    public init(path: String, threads: Int? = nil) throws {
        guard let f = fopen(path, "rb") else {
            throw SluiceError(.io, "cannot open: \(String(cString: strerror(errno)))", file: path)
        }
        file = f
        self.path = path
        let threads = max(1, threads ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        pool = threads > 1 ? DecodePool(threads: threads - 1) : nil
        lookahead = threads > 1 ? threads + 1 : 1
    }

    deinit {
        // Jobs still queued or running hold only their own copies; wait for them so none outlives us.
        if let pool {
            for slot in inFlight.waiting { slot.done.wait() }
            pool.stop()
        }
        fclose(file)
        readBuffer.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var produced = 0
        while produced < buffer.count {
            if currentOffset < current.count {
                let n = min(buffer.count - produced, current.count - currentOffset)
                current.withUnsafeBytes { src in
                    (buffer.baseAddress! + produced).copyMemory(from: src.baseAddress! + currentOffset, byteCount: n)
                }
                produced += n
                currentOffset += n
                continue
            }
            if let failure {
                if produced > 0 { return produced }
                throw failure
            }
            launchJobs()
            guard !inFlight.isEmpty else {
                // Nothing in flight: the scan is finished (cleanly or with an error).
                if let scanFailure {
                    failure = scanFailure
                    continue
                }
                break
            }
            let slot = inFlight.removeFirst()
            if pool != nil { slot.done.wait() } else { slot.run(decoder) }
            switch slot.result {
            case .success(let bytes):
                current = bytes
                currentOffset = 0
            case .failure(let e): failure = e
            }
            // Keep the pool busy while this block is read.
            if failure == nil { launchJobs() }
        }
        return produced
    }

    // MARK: - Finding blocks

    private func bit(_ absoluteBit: Int) -> Int { absoluteBit - windowBase * 8 }

    /// Reads more of the file into the window; false at the end of the file.
    private func fill() -> Bool {
        if fileAtEnd { return false }
        let n = fread(readBuffer, 1, Self.readSize, file)
        window.append(contentsOf: UnsafeRawBufferPointer(start: readBuffer, count: n))
        compressedOffset += n
        if n == 0 {
            fileAtEnd = true
            return false
        }
        return true
    }

    /// The 48 bits starting at absolute bit `b` (the window must hold them).
    @inline(__always)
    private func bits48(_ w: UnsafeBufferPointer<UInt8>, _ b: Int) -> UInt64 {
        let byte = b >> 3
        let shift = b & 7
        var v: UInt64 = 0
        for k in 0..<7 { v = v << 8 | UInt64(byte + k < w.count ? w[byte + k] : 0) }
        return (v >> UInt64(8 - shift)) & 0xFFFF_FFFF_FFFF
    }

    /// Finds block boundaries until `count` jobs are queued or the file ends (`scanFinished`), setting
    /// `failure` on a malformed or truncated stream.
    private func collectJobs(_ count: Int) {
        while pendingJobs.count < count {
            // Between streams: expect `BZh1`…`BZh9` at a byte boundary.
            if let header = expectHeaderAt {
                let at = header >> 3 - windowBase
                while window.count < at + 4 && fill() {}
                if window.count <= at {
                    scanFinished = true  // a clean end of file after a complete stream
                    return
                }
                guard window.count >= at + 4, window[at] == 0x42, window[at + 1] == 0x5A, window[at + 2] == 0x68,
                    window[at + 3] >= 0x31 && window[at + 3] <= 0x39
                else {
                    // Trailing garbage after a complete stream is ignored, as bzip2 does.
                    if header > 0 {
                        scanFinished = true
                        return
                    }
                    scanFinished = true
                    scanFailure = SluiceError(
                        .corruptInput, "not bzip2 data (bad magic)", file: path, offset: header >> 3)
                    return
                }
                level = window[at + 3]
                expectHeaderAt = nil
                scanBit = header + 32
                openBlock = nil
            }
            // Scan for the next block or end-of-stream magic, a byte at a time with a 64-bit
            // window whose 8 alignments are tested.
            var found: (bit: Int, isEnd: Bool)?
            while found == nil {
                let windowEndBit = (windowBase + window.count) * 8
                if scanBit + 64 > windowEndBit {
                    if fill() { continue }
                    // Near the end of the file: test the last positions one bit at a time.
                    found = window.withUnsafeBufferPointer { w -> (Int, Bool)? in
                        var b = scanBit
                        while b + 48 <= windowEndBit {
                            let v = bits48(w, b - windowBase * 8)
                            if v == Self.blockMagic { return (b, false) }
                            if v == Self.endMagic { return (b, true) }
                            b += 1
                        }
                        scanBit = b
                        return nil
                    }
                    break
                }
                found = window.withUnsafeBufferPointer { w -> (Int, Bool)? in
                    let base = windowBase * 8
                    // Align the scan to a byte: test the leading bits one at a time.
                    var b = scanBit
                    while b & 7 != 0 {
                        let v = bits48(w, b - base)
                        if v == Self.blockMagic { return (b, false) }
                        if v == Self.endMagic { return (b, true) }
                        b += 1
                    }
                    var j = (b - base) >> 3
                    let last = w.count - 8
                    // v holds bytes j…j+7, one byte shifted in per step (j + 7 < w.count: the index
                    // cannot overflow); loading all eight per byte with checked sums cost 25 % of
                    // this scan under -O.
                    var v: UInt64 = 0
                    if j <= last { for k in 0..<7 { v = v << 8 | UInt64(w[j &+ k]) } }
                    while j <= last {
                        v = v << 8 | UInt64(w[j &+ 7])
                        for shift in 0..<8 {
                            let candidate = (v >> UInt64(16 - shift)) & 0xFFFF_FFFF_FFFF
                            if candidate == Self.blockMagic { return (base + j * 8 + shift, false) }
                            if candidate == Self.endMagic { return (base + j * 8 + shift, true) }
                        }
                        j &+= 1
                    }
                    scanBit = base + j * 8
                    return nil
                }
            }
            guard let (at, isEnd) = found else {
                // The file ends inside a block, or inside a stream before its end marker.
                scanFinished = true
                if let start = openBlock {
                    pendingJobs.append(
                        Job(start: start, end: (windowBase + window.count) * 8, level: level, truncated: true))
                    openBlock = nil
                } else {
                    scanFailure = SluiceError(
                        .corruptInput, "truncated bzip2 stream", file: path, offset: compressedOffset)
                }
                return
            }
            if let start = openBlock {
                pendingJobs.append(Job(start: start, end: at, level: level))
            }
            if isEnd {
                openBlock = nil
                // End magic (48 bits) + combined CRC (32 bits), then padding to a byte.
                expectHeaderAt = ((at + 80 + 7) >> 3) << 3
            } else {
                openBlock = at
                scanBit = at + 48
            }
        }
    }

    // MARK: - Decoding

    /// Finds blocks and queues them until `lookahead` are in flight or the scan is finished.
    private func launchJobs() {
        while inFlight.count < lookahead && !scanFinished {
            collectJobs(1)
            guard !pendingJobs.isEmpty else { break }
            let job = pendingJobs.removeFirst()
            let slot = Slot(
                bytes: copyBits(job), path: path, offset: job.start >> 3, level: job.level, truncated: job.truncated)
            inFlight.append(slot)
            pool?.submit(slot)
            // Release compressed bytes no longer needed (keep from the open block or scan point).
            let keepFrom = min(openBlock ?? scanBit, expectHeaderAt ?? scanBit, scanBit) >> 3
            let drop = keepFrom - windowBase
            if drop > 1 << 22 {
                window.removeFirst(drop)
                windowBase += drop
            }
        }
    }

    /// One block: its bits, copied from the window, and after decoding its output or error.
    final class Slot: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        let bits: BlockBits
        let path: String
        let offset: Int
        let level: UInt8
        let truncated: Bool
        var result: Result<[UInt8], SluiceError> = .success([])

        init(bytes: BlockBits, path: String, offset: Int, level: UInt8, truncated: Bool) {
            self.bits = bytes
            self.path = path
            self.offset = offset
            self.level = level
            self.truncated = truncated
        }

        /// Decodes the block (on whichever thread calls it) with that thread's native decoder; a block
        /// it does not take (corrupt, truncated, randomised) goes to libbz2 for its exact error.
        func run(_ decoder: Bzip2BlockDecoder) {
            var out: [UInt8] = []
            let decoded = bits.bytes.withUnsafeBytes {
                decoder.decode($0, startBit: bits.startBit, endBit: bits.endBit, level: Int(level) - 0x30, into: &out)
            }
            result =
                decoded
                ? .success(out)
                : ParallelBzip2Source.decode(
                    ParallelBzip2Source.makeStream(bits, level: level), path: path, offset: offset,
                    truncated: truncated)
        }
    }

    /// A block's bytes and where its bits start and end in them.
    struct BlockBits {
        var bytes: [UInt8]
        var startBit: Int
        var endBit: Int
    }

    /// Copies the bytes that hold `job`'s bits out of the window.
    private func copyBits(_ job: Job) -> BlockBits {
        let first = job.start >> 3 - windowBase
        let last = min(window.count, (job.end + 7) >> 3 - windowBase)
        return BlockBits(
            bytes: Array(window[first..<last]), startBit: job.start & 7, endBit: job.end - (job.start >> 3) * 8)
    }

    /// `BZh<level>` + the block's bits + end-of-stream magic + the block CRC as the stream CRC.
    static func makeStream(_ block: BlockBits, level: UInt8) -> [UInt8] {
        var writer = BitWriter()
        writer.bytes.reserveCapacity((block.endBit - block.startBit) / 8 + 32)
        for b in [0x42, 0x5A, 0x68, level] { writer.append(UInt64(b), bits: 8) }
        block.bytes.withUnsafeBufferPointer { w in
            var b = block.startBit
            let end = block.endBit
            // The CRC is the 32 bits after the block magic.
            var crc: UInt64 = 0
            if end - b >= 80 {
                for k in 0..<32 {
                    let p = b + 48 + k
                    crc = crc << 1 | UInt64((w[p >> 3] >> (7 - UInt8(p & 7))) & 1)
                }
            }
            // Copy 32 bits at a time, then the rest bit by bit.
            while b + 32 <= end {
                var v: UInt64 = 0
                let byte = b >> 3
                for k in 0..<5 { v = v << 8 | UInt64(byte + k < w.count ? w[byte + k] : 0) }
                writer.append((v >> UInt64(8 - (b & 7))) & 0xFFFF_FFFF, bits: 32)
                b += 32
            }
            while b < end {
                writer.append(UInt64((w[b >> 3] >> (7 - UInt8(b & 7))) & 1), bits: 1)
                b += 1
            }
            writer.append(Self.endMagic, bits: 48)
            writer.append(crc, bits: 32)
        }
        writer.flush()
        return writer.bytes
    }

    /// Decodes one synthetic stream with BZ2_bzDecompress.
    static func decode(_ stream: [UInt8], path: String, offset: Int, truncated: Bool) -> Result<[UInt8], SluiceError> {
        var s = bz_stream()
        guard BZ2_bzDecompressInit(&s, 0, 0) == BZ_OK else {
            return .failure(SluiceError(.library, "bzip2 decompressInit failed", file: path))
        }
        defer { BZ2_bzDecompressEnd(&s) }
        var out = [UInt8](repeating: 0, count: 1 << 20)
        var produced = 0
        var input = stream
        return input.withUnsafeMutableBytes { inBytes -> Result<[UInt8], SluiceError> in
            s.next_in = inBytes.baseAddress!.assumingMemoryBound(to: CChar.self)
            s.avail_in = UInt32(inBytes.count)
            while true {
                if produced == out.count { out += [UInt8](repeating: 0, count: out.count) }
                let room = out.count - produced
                let r = out.withUnsafeMutableBytes { o -> Int32 in
                    s.next_out = (o.baseAddress! + produced).assumingMemoryBound(to: CChar.self)
                    s.avail_out = UInt32(room)
                    return BZ2_bzDecompress(&s)
                }
                produced += room - Int(s.avail_out)
                if r == BZ_STREAM_END {
                    out.removeLast(out.count - produced)
                    return .success(out)
                }
                if r != BZ_OK || (s.avail_in == 0 && s.avail_out != 0) {
                    let what =
                        r == BZ_OK || truncated ? "truncated bzip2 stream" : "bzip2 data error (CRC or structure)"
                    return .failure(SluiceError(.corruptInput, what, file: path, offset: offset))
                }
            }
        }
    }
}

/// Appends bit fields most significant bit first.
struct BitWriter {
    var bytes: [UInt8] = []
    private var accumulator: UInt64 = 0
    private var count = 0

    mutating func append(_ value: UInt64, bits: Int) {
        accumulator = accumulator << UInt64(bits) | (value & ((1 << UInt64(bits)) - 1))
        count += bits
        while count >= 8 {
            count -= 8
            bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt64(count)))
        }
        accumulator &= (1 << UInt64(count)) - 1
    }

    mutating func flush() {
        if count > 0 { bytes.append(UInt8(truncatingIfNeeded: accumulator << UInt64(8 - count))) }
        count = 0
        accumulator = 0
    }
}

/// Threads that decode queued blocks in order of submission.
final class DecodePool: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue = FIFO<ParallelBzip2Source.Slot>()
    private var stopping = false

    init(threads: Int) {
        for _ in 0..<threads {
            let thread = Thread { [self] in work() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    func submit(_ slot: ParallelBzip2Source.Slot) {
        condition.lock()
        queue.append(slot)
        condition.signal()
        condition.unlock()
    }

    /// Lets the threads end once the queue is empty.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        let decoder = Bzip2BlockDecoder()
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                return
            }
            let slot = queue.removeFirst()
            condition.unlock()
            slot.run(decoder)
            slot.done.signal()
        }
    }
}

/// A first-in, first-out queue on an array that is emptied, not shifted, once drained.
struct FIFO<Element> {
    private var items: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }
    var count: Int { items.count - head }
    /// The elements not removed yet, oldest first.
    var waiting: ArraySlice<Element> { items[head...] }

    mutating func append(_ element: Element) { items.append(element) }

    /// Removes and returns the oldest element; the queue must not be empty.
    mutating func removeFirst() -> Element {
        let element = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        return element
    }
}
