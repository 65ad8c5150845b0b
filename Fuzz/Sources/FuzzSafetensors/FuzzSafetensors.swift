// fuzz-safetensors: the input is a .safetensors file, read as checkpoints and optimizer states are
// read: header length, JSON header, dtypes, shapes and data offsets.
import FuzzSupport
import SluiceTrain

@main
enum FuzzSafetensors {
    static func main() { Fuzz.main(fuzzSafetensors) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = Fuzz.write(Fuzz.bytes(data, size), name: "model.safetensors")
    _ = try? Safetensors.read(path: path)
    return 0
}
