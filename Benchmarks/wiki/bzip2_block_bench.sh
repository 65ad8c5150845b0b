#!/bin/sh
# Bzip2BlockDecoder against libbz2 on every block of the given .bz2 files (default: two corpus dumps),
# one thread, same process, median of 5 runs. Builds a throwaway binary with swiftc -Ounchecked from
# the decoder's source; libbz2 decodes each block as a one-block stream, as ParallelBzip2Source does.
# Usage: Benchmarks/wiki/bzip2_block_bench.sh [file.bz2 ...]
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/main.swift" <<'SWIFT'
import CBzip2
import Glibc

func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9 }
func bit(_ d: [UInt8], _ b: Int) -> UInt64 { b >> 3 < d.count ? UInt64((d[b >> 3] >> (7 - UInt8(b & 7))) & 1) : 0 }

for path in CommandLine.arguments.dropFirst() {
    guard let f = fopen(path, "rb") else { print("cannot open \(path)"); continue }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true { let n = fread(&chunk, 1, chunk.count, f); if n == 0 { break }; data += chunk.prefix(n) }
    fclose(f)
    // Blocks: 48-bit magics at any bit, scanned with a rolling window.
    var blocks: [(start: Int, end: Int, level: Int)] = []
    var level = Int(data[3]) - 0x30
    var window: UInt64 = 0
    var open: Int?
    var b = 32
    while b < data.count * 8 {
        window = (window << 1 | bit(data, b)) & 0xFFFF_FFFF_FFFF
        b += 1
        guard b >= 80 else { continue }
        let at = b - 48
        if window == 0x3141_5926_5359 || window == 0x1772_4538_5090 {
            if let s = open { blocks.append((s, at, level)) }
            open = nil
            if window == 0x3141_5926_5359 { open = at; continue }
            let h = (at + 80 + 7) >> 3  // next stream header
            if h + 4 <= data.count && data[h] == 0x42 && data[h + 1] == 0x5A { level = Int(data[h + 3]) - 0x30 }
            b = h * 8 + 32
            window = 0
        }
    }
    // One-block streams for libbz2: BZh<level> + block bits + end magic + the block CRC.
    var streams: [[UInt8]] = []
    for blk in blocks {
        var out: [UInt8] = [0x42, 0x5A, 0x68, UInt8(0x30 + blk.level)]
        var acc: UInt64 = 0
        var n = 0
        func put(_ v: UInt64) { acc = acc << 1 | v; n += 1; if n == 8 { out.append(UInt8(acc)); acc = 0; n = 0 } }
        for k in blk.start..<blk.end { put(bit(data, k)) }
        for k in 0..<48 { put((0x1772_4538_5090 >> UInt64(47 - k)) & 1) }
        for k in 0..<32 { put(bit(data, blk.start + 48 + k)) }
        while n != 0 { put(0) }
        streams.append(out)
    }
    let decoder = Bzip2BlockDecoder()
    var ours: [Double] = []
    var theirs: [Double] = []
    var ourBytes = 0
    var theirBytes = 0
    var output: [UInt8] = []
    output.reserveCapacity(64 << 20)
    var scratch = [UInt8](repeating: 0, count: 64 << 20)
    for _ in 0..<5 {
        var t = now()
        output.removeAll(keepingCapacity: true)
        data.withUnsafeBytes { raw in
            for blk in blocks {
                if !decoder.decode(raw, startBit: blk.start, endBit: blk.end, level: blk.level, into: &output) {
                    print("block at bit \(blk.start) refused")
                }
            }
        }
        ours.append(now() - t)
        ourBytes = output.count
        t = now()
        theirBytes = 0
        for i in streams.indices {
            var s = bz_stream()
            BZ2_bzDecompressInit(&s, 0, 0)
            streams[i].withUnsafeMutableBytes { inp in
                scratch.withUnsafeMutableBytes { o in
                    s.next_in = inp.baseAddress!.assumingMemoryBound(to: CChar.self)
                    s.avail_in = UInt32(inp.count)
                    s.next_out = o.baseAddress!.assumingMemoryBound(to: CChar.self)
                    s.avail_out = UInt32(o.count)
                    let r = BZ2_bzDecompress(&s)
                    if r != BZ_STREAM_END { print("libbz2: \(r)") }
                    theirBytes += o.count - Int(s.avail_out)
                }
            }
            BZ2_bzDecompressEnd(&s)
        }
        theirs.append(now() - t)
    }
    let a = ours.sorted()[2]
    let c = theirs.sorted()[2]
    let name = path.split(separator: "/").last!
    print("\(name): \(blocks.count) blocks, \(ourBytes) bytes (libbz2 \(theirBytes))")
    print("  Bzip2BlockDecoder \(Int(Double(ourBytes) / a / 1e6)) MB/s (\(Int(a * 1000)) ms), libbz2 \(Int(Double(theirBytes) / c / 1e6)) MB/s (\(Int(c * 1000)) ms), ratio \(Double(Int(c / a * 100)) / 100)")
}
SWIFT
swiftc -Ounchecked -I "$root/Sources/CBzip2" -o "$work/bench" "$work/main.swift" \
    "$root/Sources/SluiceIngest/Wiki/Bzip2BlockDecoder.swift"
if [ $# -eq 0 ]; then
    set -- "$root/../shared/corpus/wiki/ukwiki-pages-articles-excerpt.xml.bz2" \
        "$root/../shared/corpus/wiki/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
fi
if [ -n "$BENCH_KEEP" ]; then cp "$work/bench" "$BENCH_KEEP"; fi
"$work/bench" "$@"
