// fuzz-checkpoint-config: the input is a checkpoint's config.json (Hugging Face GPT-2 layout), read
// and validated as `sluice eval`, `generate` and `train --init-from` read it.
import Foundation
import FuzzSupport
import SluiceTrain

@main
enum FuzzCheckpointConfig {
    static func main() { Fuzz.main(fuzzCheckpointConfig) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpointConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let json = Data(Fuzz.bytes(data, size))
    guard let config = try? GPTConfig.fromHuggingFace(json, file: "config.json") else { return 0 }
    try? config.validate()
    return 0
}
