// fuzz-jsonl: the input is a JSONL file (`.gz`/`.zst`/`.bz2` by its magic bytes) read by the `jsonl`
// reader: line splitting, decompression, UTF-8 repair, document fields.
import FuzzSupport
import SluiceCore

nonisolated(unsafe) let reader = JSONLReader()

@main
enum FuzzJSONL {
    static func main() { Fuzz.main(fuzzJSONL) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    let path = Fuzz.write(input, name: "docs.jsonl" + Fuzz.compressionSuffix(input))
    Fuzz.drain(reader, path: path)
    return 0
}
