// fuzz-classifier: the input is a classifier model, parsed as `classify` loads it. A sluice model
// (.slcm) is parsed as it is and with its xxHash64 checksum recomputed (so that mutations reach the
// header and weight checks); a fastText model (.bin/.ftz, by its magic number) goes to
// `FastTextModel.parse`. A model that loads must classify text.
import FuzzSupport
import SluiceClean
import SluiceCore

func load(_ bytes: [UInt8]) {
    guard let model = try? TextClassifier.parse(bytes, path: "model.slcm") else { return }
    let predictor = model.makePredictor()
    _ = predictor.predict("You are a wonderful person, thank you! Free money, click here now!!!")
    _ = predictor.probabilities("")
}

func loadFastText(_ bytes: [UInt8]) {
    guard let model = try? FastTextModel.parse(bytes, path: "model.ftz") else { return }
    let predictor = model.makePredictor()
    _ = predictor.probabilities("You are a wonderful person, thank you! Free money, click here now!!! 吾輩は猫である </s> x")
    _ = predictor.top("")
    _ = predictor.top(String(repeating: "ab ", count: 50))
}

@main
enum FuzzClassifier {
    static func main() { Fuzz.main(fuzzClassifier) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClassifier(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var bytes = [UInt8](Fuzz.bytes(data, size))
    if FastTextModel.hasMagic(bytes) {
        loadFastText(bytes)
        return 0
    }
    load(bytes)
    if bytes.count >= 16 {
        let body = bytes.count - 8
        let sum = bytes.withUnsafeBytes { xxHash64(UnsafeRawBufferPointer(rebasing: $0[0..<body])) }
        let before = bytes
        for k in 0..<8 { bytes[body + k] = UInt8(truncatingIfNeeded: sum >> (8 * k)) }
        if bytes != before { load(bytes) }
    }
    return 0
}
