// fuzz-warc: the input is a WARC or ARC file (`.gz`/`.zst` by its magic bytes), read by the `warc`
// reader with every record type, MIME type and status kept and digests checked, so that every
// record reaches the HTTP, chunked, content-encoding and digest code.
import FuzzSupport
import SluiceCore
import SluiceIngest

nonisolated(unsafe) let reader: WARCReader = {
    var options = Fuzz.options(
        "warc",
        yaml: "{record_types: [response, resource, conversion, request, metadata, revisit, warcinfo], "
            + "mime_types: [], status: [], verify_digests: true}")
    return try! StageBuilder.build(WARCReader.self, options: &options)
}()

@main
enum FuzzWARC {
    static func main() { Fuzz.main(fuzzWARC) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWARC(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    let path = Fuzz.write(input, name: "input.warc" + Fuzz.compressionSuffix(input))
    Fuzz.drain(reader, path: path)
    return 0
}
