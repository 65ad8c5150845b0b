// The decompressed byte window a WARC file is parsed from. A plain file is memory-mapped and
// parsed in place (no copy); a gzip file is decoded one member at a time with libdeflate (zlib
// streams members too large to hold, and salvages what precedes damage); other compressions come
// through SluiceCore's `ByteSource`. It does not parse WARC: it only keeps track of where each
// decoded byte came from (compressed offsets) and where the stream is damaged ("breaks").
import Foundation
import SluiceCore

/// A damaged spot reported by the input layer (a corrupt or truncated gzip member, garbage).
struct InputProblem {
    /// `warc:corrupt_gzip_member`, `warc:truncated_gzip_member`, `warc:garbage_between_members`.
    var reason: String
    /// Compressed offset in the file.
    var offset: Int
    var message: String
}

/// The compressed container of a WARC file, sniffed from its first bytes (not its name).
enum WARCContainer: String {
    case plain, gzip, zstd, bzip2, lz4, xz
}

/// A read-only view of a whole file: memory-mapped when possible, else read into memory.
final class MappedFile {
    let bytes: UnsafeRawBufferPointer
    /// Files up to this size are mapped with MAP_POPULATE: one call maps every page instead of a
    /// fault per page (perf: page faults were ~10% of WARC reading). Larger files fault in lazily.
    static let populateLimit = 256 << 20
    private let mapped: Bool

    /// - Throws: `SluiceError(.io)` when the file cannot be opened or read.
    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SluiceError(.io, "cannot open: \(String(cString: strerror(errno)))", file: path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SluiceError(.io, "cannot stat", file: path) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw SluiceError(.io, "is a directory, not a WARC file", file: path) }
        let size = Int(st.st_size)
        if (st.st_mode & S_IFMT) == S_IFREG, size > 0,
            let p = mmap(
                nil, size, PROT_READ, MAP_PRIVATE | (size <= MappedFile.populateLimit ? MAP_POPULATE : 0), fd, 0),
            p != MAP_FAILED
        {
            _ = madvise(p, size, MADV_SEQUENTIAL)
            bytes = UnsafeRawBufferPointer(start: p, count: size)
            mapped = true
            return
        }
        // Not a regular file (a pipe, /dev/stdin) or empty: read it whole.
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw SluiceError(.io, "read failed: \(String(cString: strerror(errno)))", file: path) }
            if n == 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 16)
        data.withUnsafeBytes { if $0.count > 0 { p.copyMemory(from: $0) } }
        bytes = UnsafeRawBufferPointer(start: p.baseAddress, count: data.count)
        mapped = false
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else {
            UnsafeMutableRawPointer(mutating: bytes.baseAddress)?.deallocate()
        }
    }

    /// The container format by magic number.
    var container: WARCContainer { WARCContainer.sniff(bytes) }
}

extension WARCContainer {
    /// The container format of a file starting with `b`, by magic number.
    static func sniff(_ b: UnsafeRawBufferPointer) -> WARCContainer {
        if b.count >= 3, b[0] == 0x1f, b[1] == 0x8b, b[2] == 0x08 { return .gzip }
        if b.count >= 4, b[0] == 0x28, b[1] == 0xb5, b[2] == 0x2f, b[3] == 0xfd { return .zstd }
        // zstd files may open with a skippable (dictionary) frame: 0x184D2A50..5F little-endian.
        if b.count >= 4, b[0] & 0xf0 == 0x50, b[1] == 0x2a, b[2] == 0x4d, b[3] == 0x18 { return .zstd }
        if b.count >= 3, b[0] == 0x42, b[1] == 0x5a, b[2] == 0x68 { return .bzip2 }
        if b.count >= 4, b[0] == 0x04, b[1] == 0x22, b[2] == 0x4d, b[3] == 0x18 { return .lz4 }
        if b.count >= 6, b[0] == 0xfd, b[1] == 0x37, b[2] == 0x7a, b[3] == 0x58 { return .xz }
        return .plain
    }
}

/// The decoded byte window. Positions are indices into `bytes` (valid until the next `fill`).
final class WARCInput {
    let path: String
    let container: WARCContainer
    /// A local file, mapped whole; nil for a remote one (`remote`).
    private let file: MappedFile?
    /// The window: decoded bytes not yet discarded.
    private(set) var bytes: UnsafeRawPointer
    private(set) var count: Int
    /// Decoded-stream offset of `bytes[0]`.
    private(set) var windowBase = 0
    /// Whether everything has been decoded into the window.
    private(set) var exhausted: Bool
    /// Problems found since the consumer last took them.
    var problems: [InputProblem] = []

    // gzip state
    private var owned: UnsafeMutableRawPointer?
    private var capacity = 0
    private var compressedPosition = 0
    private let decoder = DeflateDecoder()
    /// Expected decoded size of a member: grows to the largest seen, so retries are rare.
    private var sizeGuess = 1 << 18
    /// Member starts in the window: (window index, compressed offset), ascending.
    private var members: [(index: Int, offset: Int)] = []
    /// Window indices where the stream is damaged: bytes before belong to a broken member.
    private var breaks: [Int] = []
    /// The break where the file ends inside a gzip member: the bytes before it decoded cleanly
    /// (nothing is wrong with them, there are just no more), unlike a corrupt member's.
    private(set) var truncationBreak: Int?
    /// A member being streamed through zlib (too large, or being salvaged).
    private var streaming: ZlibMemberStream?
    /// After damage: candidate members that fail without output are skipped silently.
    private var resynchronising = false
    /// Whole members decoded larger than this are streamed instead (and window growth stops).
    let largestMember: Int

    // stream state (zstd, bzip2 through SluiceCore)
    private var source: (any ByteSource)?

    // A remote file (http, https, s3: SluiceCore's streams fetch it): its compressed bytes
    // `compressedBase ..< compressedBase + compressedCount` are held in `compressedBuffer`, read on
    // demand and shed behind the member being decoded, so memory stays bounded by the largest
    // member. Local files are mapped whole and never use these.
    private var remote: PlainFileSource?
    private var compressedBuffer: UnsafeMutableRawPointer?
    private var compressedCapacity = 0
    private var compressedBase = 0
    private var compressedCount = 0
    /// Whether every compressed byte of the file is at hand (always, for a mapped file).
    private var compressedComplete = true

    /// Opens `path`; sniffs the container from the first bytes.
    /// - Throws: `SluiceError(.io)` when unreadable, `.corruptInput` for a container Sluice cannot read.
    init(path: String, largestMember: Int = 64 << 20) throws {
        self.path = path
        self.largestMember = largestMember
        var mapped: MappedFile?
        var sniffProblem: InputProblem?
        if RemoteLocation.isRemote(path) {
            // Read the first bytes to sniff the container (`readCompressed` needs a whole self).
            let raw = try PlainFileSource(path: path)
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
            var n = 0
            var complete = false
            while n < 6 && !complete {
                do {
                    let k = try raw.read(into: UnsafeMutableRawBufferPointer(start: buffer + n, count: (1 << 20) - n))
                    complete = k == 0
                    n += k
                } catch {
                    complete = true
                    let e = error as? SluiceError
                    sniffProblem = InputProblem(
                        reason: "warc:download_failed", offset: e?.offset ?? n, message: e?.message ?? "\(error)")
                }
            }
            remote = raw
            compressedBuffer = buffer
            compressedCapacity = 1 << 20
            compressedCount = n
            compressedComplete = complete
            container = WARCContainer.sniff(UnsafeRawBufferPointer(start: buffer, count: n))
        } else {
            mapped = try MappedFile(path: path)
            container = mapped!.container
        }
        file = mapped
        switch container {
        case .plain:
            if let file = mapped {
                bytes = file.bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                count = file.bytes.count
                exhausted = true
            } else {
                // Remote: the bytes read to sniff start the window; the rest streams in.
                capacity = max(1 << 20, compressedCount)
                owned = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
                if compressedCount > 0 { owned!.copyMemory(from: compressedBuffer!, byteCount: compressedCount) }
                bytes = UnsafeRawPointer(owned!)
                count = compressedCount
                exhausted = compressedComplete
                source = remote
                compressedCount = 0
            }
            if count > 0 || mapped == nil { members = [(0, 0)] }
        case .gzip:
            capacity = 1 << 20
            owned = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            bytes = UnsafeRawPointer(owned!)
            count = 0
            exhausted = false
        case .zstd, .bzip2:
            // Decoded through SluiceCore's streams; offsets are positions in the decoded stream.
            capacity = 1 << 20
            owned = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            bytes = UnsafeRawPointer(owned!)
            count = 0
            exhausted = false
            remote = nil  // the decoder opens its own stream
            source = try openDecodedSource(path: path, container: container)
            members = [(0, 0)]
        case .lz4, .xz:
            throw SluiceError(
                .corruptInput,
                "\(container.rawValue)-compressed WARC files are not supported (use .warc, .warc.gz or .warc.zst)",
                file: path, offset: 0)
        }
        if let sniffProblem { problems.append(sniffProblem) }
    }

    deinit {
        owned?.deallocate()
        compressedBuffer?.deallocate()
    }

    // MARK: - Positions

    /// The compressed offset of the record starting at window index `index`: the start of the
    /// gzip member holding it (one member per record: the record's own offset). For plain files
    /// the byte offset; for zstd and bzip2 the offset in the decoded stream.
    func compressedOffset(of index: Int) -> Int {
        switch container {
        case .plain: return windowBase + index
        case .gzip:
            // Last member starting at or before `index`.
            var lo = 0
            var hi = members.count - 1
            if hi < 0 { return compressedPosition }
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if members[mid].index <= index { lo = mid } else { hi = mid - 1 }
            }
            return members[lo].index <= index ? members[lo].offset : members[0].offset
        default: return windowBase + index
        }
    }

    /// Decoded-stream offset of window index `index`.
    func streamOffset(of index: Int) -> Int { windowBase + index }

    /// The first damaged spot after `index` and at or before `limit`, if any.
    func damage(after index: Int, through limit: Int) -> Int? {
        for b in breaks where b > index && b <= limit { return b }
        return nil
    }

    /// Whether a gzip member starts exactly at window index `index`.
    func memberStarts(at index: Int) -> Bool { members.contains { $0.index == index } }

    // MARK: - Filling

    /// Drops window bytes before `index` (the consumer no longer needs them); indices shift by
    /// the returned amount. Only gzip and stream windows move; a mapped plain file never does.
    @discardableResult
    func discard(before index: Int) -> Int {
        guard let owned, index > 0 else { return 0 }
        let holder = container == .gzip ? compressedOffset(of: index) : 0
        let keep = count - index
        if keep > 0 { memmove(owned, owned + index, keep) }
        count = keep
        windowBase += index
        members = members.compactMap { $0.index >= index ? ($0.index - index, $0.offset) : nil }
        // Keep the member that holds the new window start, for record offsets.
        if container == .gzip, members.first?.index != 0 { members.insert((0, holder), at: 0) }
        breaks = breaks.compactMap { $0 >= index ? $0 - index : nil }
        if let t = truncationBreak { truncationBreak = t >= index ? t - index : nil }
        return index
    }

    private func ensureCapacity(_ needed: Int) {
        guard needed > capacity, let old = owned else { return }
        var c = capacity
        while c < needed { c *= 2 }
        let n = UnsafeMutableRawPointer.allocate(byteCount: c, alignment: 16)
        n.copyMemory(from: old, byteCount: count)
        old.deallocate()
        owned = n
        bytes = UnsafeRawPointer(n)
        capacity = c
    }

    /// Decodes more bytes into the window. Returns false when nothing more will come.
    /// Indices stay valid (the window only grows at its end here).
    func fill() throws -> Bool {
        if exhausted { return false }
        switch container {
        case .gzip: return fillGzip()
        case .zstd, .bzip2: return try fillStream()
        default:
            exhausted = true
            return false
        }
    }

    private func fillStream() throws -> Bool {
        guard let source else { return false }
        ensureCapacity(count + (1 << 20))
        do {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(start: owned! + count, count: capacity - count))
            if n == 0 { exhausted = true }
            count += n
            return n > 0
        } catch let e as SluiceError {
            let truncated = e.message.hasPrefix("truncated")  // the file ends inside a frame or stream
            problems.append(
                InputProblem(
                    reason: truncated ? "warc:truncated_stream" : "warc:corrupt_stream", offset: e.offset ?? 0,
                    message: e.message))
            breaks.append(count)
            if truncated { truncationBreak = count }
            exhausted = true
            return false
        }
    }

    private func fillGzip() -> Bool {
        if let s = streaming { return continueStreaming(s) }
        // Compressed bytes wanted past the member's start (remote files): grows when a member
        // does not decode from the bytes at hand, up to `largestMember`.
        var lookahead = 1 << 20
        outer: while true {
            // Shed decoded members in steps: one memmove per MB, not one per member, and a buffer that
            // stays near 2 MB (each fresh page of a larger one costs a fault).
            if compressedPosition - compressedBase >= (1 << 20) { dropCompressed(before: compressedPosition) }
            _ = haveCompressed(through: compressedPosition + lookahead)
            let (base, input) = compressed
            guard compressedPosition < base + input.count else { break }
            let start = compressedPosition
            let rest = UnsafeRawBufferPointer(rebasing: input[(start - base)...])
            guard rest.count >= 3, rest[0] == 0x1f, rest[1] == 0x8b, rest[2] == 0x08 else {
                // Not a member here: skip to the next gzip magic.
                let (next, zeroPadding) = skipToMagic(from: start + 1, paddingFrom: start)
                if !zeroPadding {
                    problems.append(
                        InputProblem(
                            reason: "warc:garbage_between_members", offset: start,
                            message: "\(next - start) bytes that are not a gzip member skipped"))
                    breaks.append(count)
                }
                compressedPosition = next
                continue
            }
            // Whole member at once with libdeflate, growing the output room on demand.
            var room = min(sizeGuess, largestMember)
            while true {
                ensureCapacity(count + room)
                let out = UnsafeMutableRawBufferPointer(start: owned! + count, count: capacity - count)
                switch decoder.gunzipMember(rest, into: out) {
                case .done(let consumed, let produced):
                    members.append((count, start))
                    count += produced
                    compressedPosition = start + consumed
                    sizeGuess = max(sizeGuess, produced + produced / 4)
                    resynchronising = false
                    return true
                case .needsSpace where room < largestMember:
                    room *= 4
                    continue
                case .bad where !compressedComplete && lookahead < largestMember:
                    // A remote member may go on past the bytes at hand: fetch more and retry.
                    lookahead *= 4
                    continue outer
                case .needsSpace, .bad:
                    // Too large to hold, or damaged: stream it, salvaging what decodes.
                    let s = ZlibMemberStream(start: start)
                    streaming = s
                    members.append((count, start))
                    return continueStreaming(s)
                }
            }
        }
        exhausted = true
        return false
    }

    private func continueStreaming(_ s: ZlibMemberStream) -> Bool {
        let (base, view) = compressed
        let input = UnsafeRawBufferPointer(rebasing: view[(s.start - base)...])
        ensureCapacity(count + (4 << 20))
        let out = UnsafeMutableRawBufferPointer(start: owned! + count, count: min(capacity - count, 4 << 20))
        let step = s.step(input, into: out)
        count += step.produced
        switch step.state {
        case .more:
            return true
        case .ended(let consumed):
            streaming = nil
            compressedPosition = s.start + consumed
            resynchronising = false
            return true
        case .failed(true) where !compressedComplete:
            // A remote member longer than the bytes at hand: zlib goes on when more arrive.
            readCompressed()
            return true
        case .failed(let truncated):
            streaming = nil
            let silent = resynchronising && s.totalProduced == 0
            if !silent {
                problems.append(
                    InputProblem(
                        reason: truncated ? "warc:truncated_gzip_member" : "warc:corrupt_gzip_member", offset: s.start,
                        message: truncated
                            ? "the file ends inside a gzip member (\(s.totalProduced) bytes decoded)"
                            : "gzip member does not decode after \(s.totalProduced) bytes"))
                breaks.append(count)
                if truncated { truncationBreak = count }
            } else if let i = members.lastIndex(where: { $0.offset == s.start }) {
                members.remove(at: i)
            }
            resynchronising = true
            compressedPosition = truncated ? compressedEnd : skipToMagic(from: s.start + 1, paddingFrom: s.start).next
            return step.produced > 0 || compressedPosition < compressedEnd || !compressedComplete || fillGzip()
        }
    }

    // MARK: - Compressed bytes

    /// The compressed bytes at hand: the file offset of the first, and the bytes.
    private var compressed: (base: Int, bytes: UnsafeRawBufferPointer) {
        if let file { return (0, file.bytes) }
        return (compressedBase, UnsafeRawBufferPointer(start: compressedBuffer, count: compressedCount))
    }

    /// The file offset just past the compressed bytes at hand.
    private var compressedEnd: Int { file?.bytes.count ?? compressedBase + compressedCount }

    /// Reads compressed bytes (remote files) until those at hand reach file offset `end` or the
    /// file ends; returns whether they reach it.
    private func haveCompressed(through end: Int) -> Bool {
        while compressedEnd < end && !compressedComplete { readCompressed() }
        return compressedEnd >= end
    }

    /// Reads one block of a remote file's compressed bytes. A download given up after its
    /// retries ends the bytes there: the member it cuts counts as truncated, as in a local file.
    private func readCompressed() {
        guard let remote, !compressedComplete else { return }
        if compressedCapacity - compressedCount < (1 << 18) {
            var c = compressedCapacity
            while c - compressedCount < (1 << 20) { c *= 2 }
            let n = UnsafeMutableRawPointer.allocate(byteCount: c, alignment: 16)
            if compressedCount > 0 { n.copyMemory(from: compressedBuffer!, byteCount: compressedCount) }
            compressedBuffer?.deallocate()
            compressedBuffer = n
            compressedCapacity = c
        }
        do {
            let n = try remote.read(
                into: UnsafeMutableRawBufferPointer(
                    start: compressedBuffer! + compressedCount,
                    count: min(compressedCapacity - compressedCount, 1 << 18)))  // no more than needed: fresh pages fault
            if n == 0 { compressedComplete = true }
            compressedCount += n
        } catch {
            compressedComplete = true
            let e = error as? SluiceError
            problems.append(
                InputProblem(
                    reason: "warc:download_failed", offset: e?.offset ?? compressedEnd,
                    message: e?.message ?? "\(error)"))
        }
    }

    /// Sheds a remote file's compressed bytes before file offset `offset`.
    private func dropCompressed(before offset: Int) {
        guard file == nil, let buffer = compressedBuffer, offset > compressedBase else { return }
        let k = min(offset - compressedBase, compressedCount)
        if compressedCount > k { memmove(buffer, buffer + k, compressedCount - k) }
        compressedCount -= k
        compressedBase += k
    }

    /// The next `1f 8b 08` at or after `from`, or the end of the file; and whether the bytes from
    /// `paddingFrom` up to it are all zero (padding, not garbage).
    private func skipToMagic(from: Int, paddingFrom: Int) -> (next: Int, zeroPadding: Bool) {
        var zero = true
        var checked = paddingFrom  // bytes paddingFrom ..< checked are known
        var i = from
        while true {
            let (base, b) = compressed
            let end = base + b.count
            var found: Int?
            if b.count > 0 {
                var k = max(i, base)
                while k + 2 < end {
                    guard let p = memchr(b.baseAddress! + (k - base), 0x1f, end - k - 2) else { break }
                    let j = base + b.baseAddress!.distance(to: UnsafeRawPointer(p))
                    if b[j - base + 1] == 0x8b, b[j - base + 2] == 0x08 {
                        found = j
                        break
                    }
                    k = j + 1
                }
            }
            let limit = found ?? (compressedComplete ? end : max(checked, end - 2))
            if zero && checked < limit {
                for q in checked..<limit where b[q - base] != 0 {
                    zero = false
                    break
                }
            }
            checked = max(checked, limit)
            if let found { return (found, zero) }
            if compressedComplete { return (end, zero) }
            i = max(i, end - 2)
            dropCompressed(before: min(i, checked))
            readCompressed()
        }
    }
}

/// One gzip member decoded through zlib in pieces; holds the `z_stream` at a fixed address.
final class ZlibMemberStream {
    enum State {
        case more
        case ended(consumed: Int)
        case failed(truncated: Bool)
    }

    let start: Int
    private(set) var totalProduced = 0
    private let stream = ZlibInflater()

    init(start: Int) { self.start = start }

    func step(_ input: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> (produced: Int, state: State)
    {
        let r = stream.step(input, into: out)
        totalProduced += r.produced
        return (r.produced, r.state)
    }
}
