// fuzz-wikipedia: the input is a MediaWiki XML export (`.bz2`/`.gz`/`.zst` by its magic bytes),
// read by the `wikipedia` reader: XML scanning, page and revision fields, entity decoding,
// namespaces, redirects and wikitext conversion. One decode thread, so a run is deterministic.
import FuzzSupport
import SluiceCore
import SluiceIngest

nonisolated(unsafe) let reader = WikipediaReader(namespaces: [0, 1, 2, 4, 10, 14], decodeThreads: 1)

@main
enum FuzzWikipedia {
    static func main() { Fuzz.main(fuzzWikipedia) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWikipedia(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    let path = Fuzz.write(input, name: "dump.xml" + Fuzz.compressionSuffix(input))
    Fuzz.drain(reader, path: path)
    return 0
}
