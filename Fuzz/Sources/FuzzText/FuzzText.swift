// fuzz-text: the input is a plain-text file (`.gz`/`.zst`/`.bz2` by its magic bytes) read by the
// `text` reader, one document per file and one per paragraph.
import FuzzSupport
import SluiceCore

nonisolated(unsafe) let readers = [TextReader(split: .file), TextReader(split: .paragraph)]

@main
enum FuzzText {
    static func main() { Fuzz.main(fuzzText) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzText(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    let path = Fuzz.write(input, name: "input.txt" + Fuzz.compressionSuffix(input))
    for reader in readers { Fuzz.drain(reader, path: path) }
    return 0
}
