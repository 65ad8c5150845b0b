// fuzz-labeled: the input is labelled training data for `sluice classifier train`, read as CSV
// (RFC 4180 quoting), TSV and JSONL.
import FuzzSupport
import SluiceClean

@main
enum FuzzLabeled {
    static func main() { Fuzz.main(fuzzLabeled) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLabeled(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    for format in LabeledFormat.allCases {
        let path = Fuzz.write(input, name: "labels." + format.rawValue)
        _ = try? LabeledData.read(path: path, textField: "text", labelField: "label", format: format)
    }
    return 0
}
