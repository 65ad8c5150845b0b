// fuzz-bzip2: the input is a `.bz2` file, decoded by the Wikipedia reader's own block decoder
// (ParallelBzip2Source, one thread) and by Core's libbz2 stream. Both may fail on damage, but
// whatever both decode before failing must agree byte for byte: a difference is a finding.
import FuzzSupport
import SluiceCore
import SluiceIngest

/// Reads `source` to its end or its first error; returns the bytes and whether it ended cleanly.
func readAll(_ source: any ByteSource) -> (bytes: [UInt8], complete: Bool) {
    var out: [UInt8] = []
    var block = [UInt8](repeating: 0, count: 1 << 16)
    do {
        while true {
            let n = try block.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return (out, true) }
            out += block[0..<n]
            // A bomb: 64 MiB is more than any seed holds; stop comparing there.
            if out.count > 64 << 20 { return (out, false) }
        }
    } catch {
        return (out, false)
    }
}

@main
enum FuzzBzip2 {
    static func main() { Fuzz.main(fuzzBzip2) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBzip2(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = Fuzz.write(Fuzz.bytes(data, size), name: "input.bz2")
    guard let native = try? ParallelBzip2Source(path: path, threads: 1), let library = try? openByteSource(path) else {
        return 0
    }
    let a = readAll(native)
    let b = readAll(library)
    let common = min(a.bytes.count, b.bytes.count)
    if a.complete && b.complete {
        precondition(a.bytes == b.bytes, "bzip2 decoders disagree: \(a.bytes.count) vs \(b.bytes.count) bytes")
    } else if a.complete || b.complete {
        // One decoder accepted the whole stream: what the other decoded before failing is its prefix.
        precondition(a.bytes[0..<common] == b.bytes[0..<common], "bzip2 decoders disagree before the damage")
    }
    return 0
}
