// fuzz-html: the input is one HTML page (any bytes, any charset), run through the `extract` step
// as a WARC payload would be: binary check, charset detection and decoding, libxml2 parsing,
// main-content extraction. Run a second time with main-content removal off (every visible block).
import FuzzSupport
import SluiceCore
import SluiceIngest

nonisolated(unsafe) var steps: [ExtractStep] = {
    var main = Fuzz.options("extract")
    var all = Fuzz.options("extract", yaml: "{main_content: false, keep_captions: true, min_bytes: 0}")
    return [
        try! StageBuilder.build(ExtractStep.self, options: &main),
        try! StageBuilder.build(ExtractStep.self, options: &all),
    ]
}()
nonisolated(unsafe) let context = Fuzz.context(stages: ["extract"])

@main
enum FuzzHTML {
    static func main() { Fuzz.main(fuzzHTML) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = [UInt8](Fuzz.bytes(data, size))
    for i in steps.indices {
        var document = Document(id: "fuzz", text: "", source: "fuzz", raw: raw)
        _ = try? steps[i].apply(to: &document, context: context)
    }
    return 0
}
