// A native decoder for one bzip2 block (bzip2 1.0.x format), faster than libbz2's BZ2_decompress:
// table-driven Huffman decoding, an inverse BWT cut into many segments walked sixteen at a time (so
// their cache misses overlap), a separate RLE1 pass and a slice-by-8 CRC. It does not find blocks
// or parse stream headers (ParallelBzip2Source does); anything unusual is left to libbz2.
#if canImport(Glibc)
    import Glibc
#endif

/// Decodes single bzip2 blocks, each given by its bit range in a compressed buffer.
///
/// One instance per decoding thread: it owns every buffer (for `level * 100000` = n entries: the
/// symbol bytes (n), the inverse-BWT vector (4n), the walk's lane regions (16n reserved, about n
/// touched per block), the output scratch (≥ 1.25n); the Huffman tables) and reuses them, so a
/// warmed decoder allocates nothing per block. Every value read from the stream is validated
/// before it is used as an index; a malformed block makes `decode` return false, never trap.
///
/// Format (bzip2 1.0.x `decompress.c`): block magic 0x314159265359, 32-bit block CRC, 1 bit
/// randomised, 24-bit origPtr, the 16 + 16·k bit used-byte map, 3-bit nGroups (2…6), 15-bit
/// nSelectors, MTF-coded unary selectors, delta-coded code lengths (1…20) per table, then
/// Huffman symbols in groups of 50 (RUNA/RUNB zero runs in bijective base 2, MTF index + 1, EOB);
/// then the inverse BWT from origPtr, RLE1 (four equal bytes then a count of 0…255 more) and
/// CRC-32 (polynomial 0x04C11DB7, MSB first) over the result.
///
/// `@unchecked Sendable` so a decoder can be handed to a worker thread; it must be used by one
/// thread at a time.
final class Bzip2BlockDecoder: @unchecked Sendable {
    static let blockMagic: UInt64 = 0x3141_5926_5359
    /// Bits of the primary Huffman lookup table; longer codes take the canonical slow path.
    static let fastBits = 10
    static let maxGroups = 6
    static let maxAlphabet = 258
    static let maxCodeLength = 20
    /// Per-table stride of the per-length arrays (lengths 0…21).
    static let lengthStride = 24

    /// The stored CRC of the last block decoded successfully.
    private(set) var lastBlockCRC: UInt32 = 0

    /// Entries allocated in the block-sized buffers (0 until the first decode).
    private var blockCapacity = 0
    /// MTF/RLE2-decoded bytes: the BWT's last column `L`, `blockCapacity` bytes.
    private var symbols: UnsafeMutablePointer<UInt8>
    /// `forward[j] = T[j] << 8 | L[T[j]]` (libbz2's fast layout with the byte of the destination).
    private var forward: UnsafeMutablePointer<UInt32>
    /// Where each lane writes its segments' bytes: `lanes` regions of `blockCapacity` bytes.
    private var laneBytes: UnsafeMutablePointer<UInt8>
    /// RLE1-decoded output of the block, grown when runs expand it.
    private var output: UnsafeMutablePointer<UInt8>
    private var outputCapacity = 0

    /// Slice-by-8 CRC tables, 8 × 256 (`crcTables[k * 256 + b]`: byte b followed by k zero bytes).
    private let crcTables: UnsafeMutablePointer<UInt32>
    /// Table index of each group of 50 symbols, after MTF decoding (at most 32767).
    private let selectors: UnsafeMutablePointer<UInt8>
    /// Code lengths, `maxGroups × maxAlphabet`.
    private let lengths: UnsafeMutablePointer<UInt8>
    /// Primary lookup: `maxGroups << fastBits` entries of `symbol << 5 | length`; 0 = longer code.
    private let fastTable: UnsafeMutablePointer<UInt16>
    /// Per table and length L: the first code value past length L's codes, left-justified to 20 bits.
    private let limits: UnsafeMutablePointer<UInt32>
    /// Per table and length: the first canonical code of that length.
    private let firstCodes: UnsafeMutablePointer<UInt32>
    /// Per table and length: the index in `sortedSymbols` of the first symbol of that length.
    private let offsets: UnsafeMutablePointer<UInt32>
    /// Per table: symbols ordered by (code length, symbol), `maxAlphabet` each.
    private let sortedSymbols: UnsafeMutablePointer<UInt16>
    /// Small scratch: byte counts (256), the MTF list (256), the byte of each used index (256).
    private let counts: UnsafeMutablePointer<Int>
    private let mtf: UnsafeMutablePointer<UInt8>
    private let seqToUnseq: UnsafeMutablePointer<UInt8>
    /// Per segment of the inverse BWT walk: start row, end row, offset in `laneBytes`, length; then
    /// the segments in output order.
    private let segments: UnsafeMutablePointer<Int>
    /// Per lane of the walk: row, write offset in `laneBytes`, segment (−1 when idle).
    private let laneState: UnsafeMutablePointer<Int>

    /// Independent walks in flight at once in the inverse BWT.
    static let lanes = 16
    /// Segments the walk is cut into (more than `lanes`, so lanes stay busy until near the end).
    static let maxSegments = 256

    init() {
        symbols = .allocate(capacity: 1)
        forward = .allocate(capacity: 1)
        laneBytes = .allocate(capacity: 1)
        output = .allocate(capacity: 1)
        crcTables = .allocate(capacity: 8 * 256)
        selectors = .allocate(capacity: 1 << 15)
        lengths = .allocate(capacity: Self.maxGroups * Self.maxAlphabet)
        fastTable = .allocate(capacity: Self.maxGroups << Self.fastBits)
        limits = .allocate(capacity: Self.maxGroups * Self.lengthStride)
        firstCodes = .allocate(capacity: Self.maxGroups * Self.lengthStride)
        offsets = .allocate(capacity: Self.maxGroups * Self.lengthStride)
        sortedSymbols = .allocate(capacity: Self.maxGroups * Self.maxAlphabet)
        counts = .allocate(capacity: 256)
        mtf = .allocate(capacity: 256)
        seqToUnseq = .allocate(capacity: 256)
        segments = .allocate(capacity: 5 * Self.maxSegments)
        laneState = .allocate(capacity: 3 * Self.lanes)
        for b in 0..<256 {
            var c = UInt32(b) << 24
            for _ in 0..<8 { c = c & 0x8000_0000 != 0 ? (c << 1) ^ 0x04C1_1DB7 : c << 1 }
            crcTables[b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let previous = crcTables[(k - 1) * 256 + b]
                crcTables[k * 256 + b] = (previous << 8) ^ crcTables[Int(previous >> 24)]
            }
        }
    }

    deinit {
        for p in [symbols, laneBytes, output, selectors, lengths, mtf, seqToUnseq] { p.deallocate() }
        forward.deallocate()
        segments.deallocate()
        laneState.deallocate()
        crcTables.deallocate()
        fastTable.deallocate()
        limits.deallocate()
        firstCodes.deallocate()
        offsets.deallocate()
        sortedSymbols.deallocate()
        counts.deallocate()
    }

    /// Sizes the block buffers for blocks of up to `entries` bytes.
    private func reserveBlock(_ entries: Int) {
        guard entries > blockCapacity else { return }
        symbols.deallocate()
        forward.deallocate()
        laneBytes.deallocate()
        symbols = .allocate(capacity: entries + 16)
        forward = .allocate(capacity: entries)
        laneBytes = .allocate(capacity: entries * Self.lanes)
        blockCapacity = entries
        reserveOutput(entries + entries / 4)
    }

    /// Grows the output scratch to at least `bytes`, keeping the first `keeping` bytes.
    @inline(never)
    private func reserveOutput(_ bytes: Int, keeping: Int = 0) {
        guard bytes > outputCapacity else { return }
        let capacity = max(bytes, outputCapacity * 2)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        grown.update(from: output, count: keeping)
        output.deallocate()
        output = grown
        outputCapacity = capacity
    }

    // MARK: - Decoding

    /// Decodes the block whose 48-bit magic starts at bit `startBit` of `bytes` (bits numbered MSB
    /// first from `bytes[0]`) and whose bits end at or before `endBit`, appends its bytes to `output`
    /// and returns true once the block CRC matched.
    ///
    /// Returns false, leaving `output` unchanged, when the block is corrupt or truncated, uses the
    /// obsolete randomised mode, holds more than `level * 100000` bytes, or has Huffman tables that
    /// are incomplete or oversubscribed (libbz2 tolerates incomplete ones; the caller then decodes
    /// the block with libbz2 for its exact behaviour).
    /// - Complexity: O(compressed bits + block size); no allocation once the buffers fit `level`.
    func decode(
        _ bytes: UnsafeRawBufferPointer, startBit: Int, endBit: Int, level: Int, into output: inout [UInt8]
    ) -> Bool {
        guard let base = bytes.baseAddress, (1...9).contains(level), startBit >= 0, endBit <= bytes.count * 8,
            endBit - startBit >= 48 + 32 + 1 + 24 + 16
        else { return false }
        let blockLimit = level * 100_000
        reserveBlock(blockLimit)
        var reader = BitReader(base: base.assumingMemoryBound(to: UInt8.self), count: bytes.count, startBit: startBit)
        guard let header = decodeSymbols(&reader, endBit: endBit, blockLimit: blockLimit) else { return false }
        guard let produced = inverseBWT(nblock: header.nblock, origPtr: header.origPtr) else { return false }
        guard crc(output: produced) == header.crc else { return false }
        lastBlockCRC = header.crc
        output.append(contentsOf: UnsafeBufferPointer(start: self.output, count: produced))
        return true
    }

    /// Reads the block header, tables and Huffman symbols, undoing RLE2 and MTF into `symbols` and
    /// counting each byte. Returns (nblock, origPtr, stored CRC), or nil on malformed input.
    private func decodeSymbols(
        _ reader: inout BitReader, endBit: Int, blockLimit: Int
    ) -> (nblock: Int, origPtr: Int, crc: UInt32)? {
        guard UInt64(reader.bits(24)) << 24 | UInt64(reader.bits(24)) == Self.blockMagic else { return nil }
        let storedCRC = reader.bits(32)
        guard reader.bits(1) == 0 else { return nil }  // randomised blocks: left to libbz2
        let origPtr = Int(reader.bits(24))

        // The used-byte map: 16 ranges, then 16 bits for each used range.
        let ranges = reader.bits(16)
        var numInUse = 0
        for i in 0..<16 where ranges & (0x8000 >> UInt32(i)) != 0 {
            let map = reader.bits(16)
            for j in 0..<16 where map & (0x8000 >> UInt32(j)) != 0 {
                seqToUnseq[numInUse] = UInt8(i * 16 + j)
                numInUse += 1
            }
        }
        guard numInUse > 0 else { return nil }
        let alphaSize = numInUse + 2

        let nGroups = Int(reader.bits(3))
        guard nGroups >= 2 && nGroups <= Self.maxGroups else { return nil }
        let nSelectors = Int(reader.bits(15))
        guard nSelectors >= 1 else { return nil }
        // Selectors: unary (j ones then a zero, j < nGroups), MTF-coded over the table numbers.
        var groupOrder: UInt64 = 0x05_0403_0201_00  // byte k = the table at MTF position k
        for i in 0..<nSelectors {
            reader.ensure(8)
            let ones = (~reader.buffer).leadingZeroBitCount
            guard ones < nGroups else { return nil }
            reader.skip(ones + 1)
            let shift = UInt64(ones * 8)
            let table = (groupOrder >> shift) & 0xFF
            let below = groupOrder & ((1 << shift) - 1)  // positions 0..<ones move up one
            groupOrder = (groupOrder & ~((1 << (shift + 8)) - 1)) | below << 8 | table
            selectors[i] = UInt8(table)
        }

        // Code lengths: a 5-bit start, then per symbol `1x` steps (x = 0: +1, x = 1: −1) ended by `0`.
        for t in 0..<nGroups {
            var length = Int(reader.bits(5))
            let row = lengths + t * Self.maxAlphabet
            for i in 0..<alphaSize {
                while true {
                    guard length >= 1 && length <= Self.maxCodeLength else { return nil }
                    reader.ensure(2)
                    let two = reader.peek(2)
                    if two < 2 {
                        reader.skip(1)
                        break
                    }
                    reader.skip(2)
                    length += two == 2 ? 1 : -1
                }
                row[i] = UInt8(length)
            }
            guard reader.position <= endBit else { return nil }
            guard buildTable(t, alphaSize: alphaSize) else { return nil }
        }

        // The MTF list holds the bytes themselves (seqToUnseq applied once here).
        for i in 0..<numInUse { mtf[i] = seqToUnseq[i] }
        counts.initialize(repeating: 0, count: 256)
        guard
            let nblock = decodeHuffman(
                &reader, nSelectors: nSelectors, eob: numInUse + 1, blockLimit: blockLimit)
        else { return nil }
        guard reader.position <= endBit, origPtr < nblock else { return nil }
        return (nblock: nblock, origPtr: origPtr, crc: storedCRC)
    }

    /// Builds table `t`'s primary lookup and canonical slow-path arrays from its code lengths;
    /// false unless the lengths form a complete prefix code (Kraft sum exactly 1).
    private func buildTable(_ t: Int, alphaSize: Int) -> Bool {
        let row = lengths + t * Self.maxAlphabet
        var perLength = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)  // 0…21
        return withUnsafeMutableBytes(of: &perLength) { raw -> Bool in
            let count = raw.baseAddress!.assumingMemoryBound(to: Int.self)
            for i in 0..<alphaSize { count[Int(row[i])] += 1 }
            var kraft = 0
            for length in 1...Self.maxCodeLength { kraft += count[length] << (Self.maxCodeLength - length) }
            guard kraft == 1 << Self.maxCodeLength else { return false }
            let limit = limits + t * Self.lengthStride
            let first = firstCodes + t * Self.lengthStride
            let offset = offsets + t * Self.lengthStride
            var code = 0
            var index = 0
            for length in 1...Self.maxCodeLength {
                first[length] = UInt32(code)
                offset[length] = UInt32(index)
                limit[length] = UInt32((code + count[length]) << (Self.maxCodeLength - length))
                code = (code + count[length]) << 1
                index += count[length]
            }
            limit[Self.maxCodeLength + 1] = UInt32.max
            // `count` now becomes the next code / next slot of each length.
            let fast = fastTable + t << Self.fastBits
            fast.initialize(repeating: 0, count: 1 << Self.fastBits)
            let sorted = sortedSymbols + t * Self.maxAlphabet
            for length in 1...Self.maxCodeLength { count[length] = 0 }
            for symbol in 0..<alphaSize {
                let length = Int(row[symbol])
                let k = count[length]
                count[length] = k + 1
                sorted[Int(offset[length]) + k] = UInt16(symbol)
                if length <= Self.fastBits {
                    let code = Int(first[length]) + k
                    let span = 1 << (Self.fastBits - length)
                    (fast + code * span).initialize(repeating: UInt16(symbol << 5 | length), count: span)
                }
            }
            return true
        }
    }

    /// Decodes Huffman symbols until EOB, undoing RLE2 (RUNA/RUNB) and MTF into `symbols` and
    /// counting bytes into `counts`. Returns nblock, or nil if the block is malformed or too large.
    private func decodeHuffman(_ bitReader: inout BitReader, nSelectors: Int, eob: Int, blockLimit: Int) -> Int? {
        // A local copy keeps the bit buffer in registers.
        var reader = bitReader
        defer { bitReader = reader }
        let symbols = self.symbols
        let counts = self.counts
        let mtf = self.mtf
        let selectors = self.selectors
        var nblock = 0
        var runWeight = 1
        var groupLeft = 0
        var groupIndex = 0
        var table = 0
        var fast = fastTable
        let fastShift = UInt64(64 - Self.fastBits)
        while true {
            if groupLeft == 0 {
                guard groupIndex < nSelectors else { return nil }
                table = Int(selectors[groupIndex])
                groupIndex += 1
                groupLeft = 50
                fast = fastTable + table << Self.fastBits
            }
            groupLeft -= 1
            // Away from the buffer's end, refill every time: no hard-to-predict branch on the fill level.
            if reader.next + 8 <= reader.count {
                reader.refillUnchecked()
            } else {
                reader.ensure(Self.maxCodeLength)
            }
            let entry = Int(fast[Int(truncatingIfNeeded: reader.buffer &>> fastShift)])
            let symbol: Int
            if entry != 0 {
                reader.skip(entry & 31)
                symbol = entry >> 5
            } else {
                symbol = slowSymbol(&reader, table: table)
            }
            if symbol == eob { break }
            // One path for every symbol, without a branch on its kind: RUNA/RUNB (0, 1) write their
            // digit's share of the zero run at once (weight or twice it; the weight doubles with
            // each digit) as copies of the front byte; symbols 2…eob−1 (the table holds only eob + 1
            // symbols) are MTF index 1…numInUse−1 and write one byte.
            let runMask = (symbol &- 2) >> 63  // all ones for RUNA/RUNB, else 0 (masks, not branches)
            let index = (symbol &- 1) & ~runMask
            let count = ((runWeight &<< (symbol & 1)) & runMask) | (1 & ~runMask)
            runWeight = ((runWeight &<< 1) & runMask) | (1 & ~runMask)
            guard nblock + count <= blockLimit else { return nil }
            let byte = mtf[index]
            // mtf[0..<index] moves up one and `byte` goes to the front (a run's index 0 changes
            // nothing). Below 16, which is nearly always, the first two words take the bytes below
            // them under a mask of positions 0…index: no loop, no branch on the index.
            if index < 16 {
                let word0 = UnsafeRawPointer(mtf).loadUnaligned(as: UInt64.self)
                let word1 = UnsafeRawPointer(mtf + 8).loadUnaligned(as: UInt64.self)
                let below1 = UnsafeRawPointer(mtf + 7).loadUnaligned(as: UInt64.self)
                let mask0 = ~UInt64(0) &>> UInt64(56 &- 8 &* min(index, 7))
                let d = index &- 8
                let mask1 = (~UInt64(0) &>> UInt64((56 &- 8 &* d) & 63)) & ~UInt64(bitPattern: Int64(d >> 63))
                let new0 = (word0 & ~mask0) | ((word0 &<< 8) & mask0 & ~0xFF) | UInt64(byte)
                let new1 = (word1 & ~mask1) | (below1 & mask1)
                UnsafeMutableRawPointer(mtf).storeBytes(of: new0, as: UInt64.self)
                UnsafeMutableRawPointer(mtf + 8).storeBytes(of: new1, as: UInt64.self)
            } else {
                moveToFront(index)
            }
            // Eight bytes per store, up to 7 past the end (`symbols` has 16 bytes of slack and later
            // symbols overwrite them): no call to memset in this loop.
            let pattern = UInt64(byte) &* 0x0101_0101_0101_0101
            var p = UnsafeMutableRawPointer(symbols + nblock)
            var left = count
            repeat {
                p.storeBytes(of: pattern, as: UInt64.self)
                p += 8
                left -= 8
            } while left > 0
            counts[Int(byte)] += count
            nblock += count
        }
        return nblock
    }

    /// The MTF update for an index of 16 or more: eight bytes at a time from the top, then the
    /// last k < 8 in one word (bytes 0…k take the byte below, byte 0 the front).
    @inline(never)
    private func moveToFront(_ index: Int) {
        let byte = mtf[index]
        var k = index
        while k >= 8 {
            k -= 8
            UnsafeMutableRawPointer(mtf + k + 1).storeBytes(
                of: UnsafeRawPointer(mtf + k).loadUnaligned(as: UInt64.self), as: UInt64.self)
        }
        let word = UnsafeRawPointer(mtf).loadUnaligned(as: UInt64.self)
        let moved = ~UInt64(0) &>> UInt64(56 &- 8 &* k)  // bytes 0…k
        let rotated = (word & ~moved) | ((word &<< 8) & moved & ~0xFF) | UInt64(byte)
        UnsafeMutableRawPointer(mtf).storeBytes(of: rotated, as: UInt64.self)
    }

    /// Decodes a code longer than `fastBits` with the canonical limits of `table`.
    @inline(never)
    private func slowSymbol(_ reader: inout BitReader, table: Int) -> Int {
        let limit = limits + table * Self.lengthStride
        let value = UInt32(truncatingIfNeeded: reader.buffer &>> 44)  // the next 20 bits
        var length = Self.fastBits + 1
        // Complete codes end by maxCodeLength (its limit is 2^20 > value); the bound is a safety net.
        while length < Self.maxCodeLength && value >= limit[length] { length += 1 }
        let code = value >> UInt32(Self.maxCodeLength - length)
        let first = firstCodes[table * Self.lengthStride + length]
        let slot = Int(offsets[table * Self.lengthStride + length]) + Int(code &- first)
        reader.skip(length)
        return Int(sortedSymbols[table * Self.maxAlphabet + min(slot, Self.maxAlphabet - 1)])
    }

    /// Builds the BWT vector from `symbols`, walks it in segments, then undoes RLE1 into `output`.
    /// Returns the number of bytes produced, or nil when the walk from origPtr does not close.
    ///
    /// Output k is L[x(k+1)], x(0) = origPtr, x(k+1) = T[x(k)]: one chain of dependent loads that
    /// misses the cache at each step. Marking `maxSegments` rows (origPtr and evenly spaced ones)
    /// cuts the cycle into segments that can be walked independently, `lanes` at a time, each into
    /// its own region; the segments are then put in cycle order from origPtr's.
    private func inverseBWT(nblock: Int, origPtr: Int) -> Int? {
        let symbols = self.symbols
        let forward = self.forward
        // cumulative[b]: first row of byte b in the sorted first column.
        var next = counts
        var sum = 0
        for b in 0..<256 {
            let c = next[b]
            next[b] = sum
            sum += c
        }
        next = counts
        for i in 0..<nblock {
            let byte = symbols[i]
            let j = next[Int(byte)]
            next[Int(byte)] = j &+ 1  // j < nblock (the cumulative counts sum to nblock): no overflow
            forward[j] = UInt32(truncatingIfNeeded: i << 8) | UInt32(byte)
        }

        // Segment starts: origPtr first, then evenly spaced rows; bit 31 marks a start row.
        let mark: UInt32 = 0x8000_0000
        let segmentStart = segments
        let segmentEnd = segments + Self.maxSegments
        let segmentOffset = segments + 2 * Self.maxSegments
        let segmentLength = segments + 3 * Self.maxSegments
        let wanted = min(Self.maxSegments, nblock)
        var count = 0
        segmentStart[0] = origPtr
        forward[origPtr] |= mark
        count = 1
        for k in 1..<max(wanted, 1) {
            let row = k * nblock / wanted
            if forward[row] & mark != 0 { continue }
            forward[row] |= mark
            segmentStart[count] = row
            count += 1
        }

        // Lane state: current row, write offset, segment (−1 when idle).
        let laneBytes = self.laneBytes
        let row = laneState
        let offset = laneState + Self.lanes
        let segment = laneState + 2 * Self.lanes
        var nextSegment = 0
        var active = 0
        // Starts segment `s` on `lane`: its first row is marked, so its byte is emitted here.
        @inline(__always) func start(_ lane: Int, _ s: Int) {
            let r = segmentStart[s]
            segment[lane] = s
            segmentOffset[s] = offset[lane]
            let e = forward[r]
            laneBytes[offset[lane]] = UInt8(truncatingIfNeeded: e)
            offset[lane] += 1
            row[lane] = Int((e >> 8) & 0x7F_FFFF)
        }
        for lane in 0..<Self.lanes {
            offset[lane] = lane * blockCapacity
            segment[lane] = -1
            if nextSegment < count {
                start(lane, nextSegment)
                nextSegment += 1
                active += 1
            }
        }
        while active > 0 {
            for lane in 0..<Self.lanes where segment[lane] >= 0 {
                let e = forward[row[lane]]
                if e & mark != 0 {
                    let s = segment[lane]
                    segmentEnd[s] = row[lane]
                    segmentLength[s] = offset[lane] - segmentOffset[s]
                    if nextSegment < count {
                        start(lane, nextSegment)
                        nextSegment += 1
                    } else {
                        segment[lane] = -1
                        active -= 1
                    }
                    continue
                }
                laneBytes[offset[lane]] = UInt8(truncatingIfNeeded: e)
                offset[lane] &+= 1  // below the lanes' capacity: no overflow check per byte (-O)
                row[lane] = Int((e >> 8) & 0x7F_FFFF)
            }
        }

        // Segments in cycle order from origPtr's. A periodic block (all one byte, "abab…") has
        // several cycles; walking nblock steps as libbz2 does repeats origPtr's cycle.
        let order = segments + 4 * Self.maxSegments
        var ordered = 0
        var cycle = 0
        var s = 0
        var closed = false
        for _ in 0..<count {
            let length = segmentLength[s]
            guard cycle + length <= nblock else { return nil }
            order[ordered] = s
            ordered += 1
            cycle += length
            let end = segmentEnd[s]
            if end == origPtr {
                closed = true
                break
            }
            // segmentStart[1..<count] ascends (evenly spaced rows): binary search.
            var lowest = 1
            var highest = count
            while lowest < highest {
                let middle = (lowest + highest) >> 1
                if segmentStart[middle] < end { lowest = middle + 1 } else { highest = middle }
            }
            guard lowest < count, segmentStart[lowest] == end else { return nil }
            s = lowest
        }
        guard closed, cycle > 0 else { return nil }
        // RLE1 straight from the lane regions, segment after segment.
        var rle = RLE1State()
        var remaining = nblock
        while remaining > 0 {
            for k in 0..<ordered where remaining > 0 {
                let segment = order[k]
                let length = min(segmentLength[segment], remaining)
                remaining -= length
                undoRLE1(laneBytes + segmentOffset[segment], count: length, then: remaining, &rle)
            }
        }
        return rle.produced
    }

    /// RLE1 decoding state carried from one segment to the next.
    struct RLE1State {
        var produced = 0
        var last = -1
        /// Equal bytes seen in a row; at 4 the next byte is a count.
        var same = 0
    }

    /// RLE1: after four equal bytes comes a count (0…255) of further copies; a block may end
    /// right after the four. Decodes `n` bytes from `source` onto `output`, `then` more to come.
    private func undoRLE1(_ source: UnsafePointer<UInt8>, count n: Int, then later: Int, _ state: inout RLE1State) {
        var out = output
        var o = state.produced
        var last = state.last
        var same = state.same
        var i = 0
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        while i < n {
            if same < 4 && i + 8 <= n {
                // Eight bytes at once unless a run of four can complete among them. `equal` has 0x80
                // in each byte equal to the byte before it (exact zero-byte test of w ^ (w << 8)).
                let w = UnsafeRawPointer(source + i).loadUnaligned(as: UInt64.self)
                let before: UInt64 = last >= 0 ? UInt64(last) : (w & 0xFF) ^ 1
                let x = w ^ (w &<< 8 | before)
                let equal = ~(((x & low7) &+ low7) | x | low7)
                var four = equal & (equal &<< 8) & (equal &<< 16)
                if same >= 2 { four |= equal & (equal &<< 8) & 0x8000 }
                if same >= 3 { four |= equal & 0x80 }
                if four == 0 {
                    // o + 8 <= o + (n − i) <= capacity.
                    UnsafeMutableRawPointer(out + o).storeBytes(of: w, as: UInt64.self)
                    o += 8
                    i += 8
                    // Equal bytes at the end of the word: at most 2, else `four` would be set.
                    same = 1 + (~equal & 0x8080_8080_8080_8080).leadingZeroBitCount >> 3
                    last = Int(w >> 56)
                    continue
                }
            }
            let byte = Int(source[i])
            i += 1
            if same == 4 {
                // Room for the copies and for every byte still to come (each gives at most one).
                let needed = o + byte + (n - i) + later
                if needed > outputCapacity {
                    reserveOutput(needed + needed / 4, keeping: o)
                    out = output
                }
                (out + o).initialize(repeating: UInt8(truncatingIfNeeded: last), count: byte)
                o += byte
                last = -1
                same = 0
                continue
            }
            out[o] = UInt8(truncatingIfNeeded: byte)
            o += 1
            if byte != last {
                last = byte
                same = 1
            } else {
                same += 1
            }
        }
        state = RLE1State(produced: o, last: last, same: same)
    }

    /// bzip2's CRC-32 (MSB first, polynomial 0x04C11DB7, inverted) over the first `count` bytes
    /// of `output`, eight bytes per step.
    private func crc(output count: Int) -> UInt32 {
        let t = crcTables
        var p = UnsafePointer(output)
        var remaining = count
        var c: UInt32 = 0xFFFF_FFFF
        while remaining >= 8 {
            let word = UInt64(bigEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
            let high = c ^ UInt32(truncatingIfNeeded: word >> 32)
            let low = UInt32(truncatingIfNeeded: word)
            c =
                t[7 * 256 + Int(high >> 24)] ^ t[6 * 256 + Int((high >> 16) & 0xFF)]
                ^ t[5 * 256 + Int((high >> 8) & 0xFF)] ^ t[4 * 256 + Int(high & 0xFF)]
                ^ t[3 * 256 + Int(low >> 24)] ^ t[2 * 256 + Int((low >> 16) & 0xFF)]
                ^ t[256 + Int((low >> 8) & 0xFF)] ^ t[Int(low & 0xFF)]
            p += 8
            remaining -= 8
        }
        while remaining > 0 {
            c = (c << 8) ^ t[Int((c >> 24) ^ UInt32(p.pointee))]
            p += 1
            remaining -= 1
        }
        return ~c
    }
}

/// An MSB-first bit reader over a byte buffer: `buffer` holds the next bits left-aligned, `available`
/// of them valid. Refills load eight bytes big-endian at once (the bits below `available` may already
/// hold the same bytes' bits, which the OR leaves unchanged); past the end of the buffer it reads
/// zeros, and callers check `position` against the block's end.
struct BitReader {
    let base: UnsafePointer<UInt8>
    let count: Int
    /// The next byte to load.
    var next: Int
    var buffer: UInt64 = 0
    var available = 0

    init(base: UnsafePointer<UInt8>, count: Int, startBit: Int) {
        self.base = base
        self.count = count
        next = startBit >> 3
        refill()
        skip(startBit & 7)
    }

    /// The absolute bit position of the next unread bit.
    var position: Int { next * 8 - available }

    @inline(__always)
    mutating func refill() {
        if next + 8 <= count {
            let word = UInt64(bigEndian: UnsafeRawPointer(base + next).loadUnaligned(as: UInt64.self))
            buffer |= word &>> UInt64(available)
            next += (63 - available) >> 3
            available |= 56
        } else {
            (buffer, available, next) = Self.refillTail(base, count, buffer, available, next)
        }
    }

    /// A byte at a time near the end of the buffer. Static and by value, so the reader's fields
    /// never have their address taken and stay in registers in the decoding loops.
    /// Tops the buffer up to 56…63 bits; `next + 8 <= count` must hold. With 56 or more bits
    /// already there it changes nothing, so it can run unconditionally.
    @inline(__always)
    mutating func refillUnchecked() {
        let word = UInt64(bigEndian: UnsafeRawPointer(base + next).loadUnaligned(as: UInt64.self))
        buffer |= word &>> UInt64(available)
        next += (63 - available) >> 3
        available |= 56
    }

    @inline(never)
    static func refillTail(
        _ base: UnsafePointer<UInt8>, _ count: Int, _ buffer: UInt64, _ available: Int, _ next: Int
    ) -> (UInt64, Int, Int) {
        var buffer = buffer
        var available = available
        var next = next
        while available <= 56 {
            let byte: UInt64 = next < count ? UInt64(base[next]) : 0
            buffer |= byte &<< UInt64(56 - available)
            next += 1
            available += 8
        }
        return (buffer, available, next)
    }

    /// Makes at least `n` (≤ 56) bits available.
    @inline(__always)
    mutating func ensure(_ n: Int) {
        if available < n { refill() }
    }

    /// The next `n` (1…32) bits, not consumed.
    @inline(__always)
    func peek(_ n: Int) -> UInt32 { UInt32(truncatingIfNeeded: buffer &>> UInt64(64 - n)) }

    @inline(__always)
    mutating func skip(_ n: Int) {
        buffer = buffer &<< UInt64(n)
        available -= n
    }

    /// Reads `n` (1…32) bits.
    @inline(__always)
    mutating func bits(_ n: Int) -> UInt32 {
        ensure(n)
        let v = peek(n)
        skip(n)
        return v
    }
}
