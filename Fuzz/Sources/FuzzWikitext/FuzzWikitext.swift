// fuzz-wikitext: the input is the wikitext of one page (any bytes), converted to plain text with
// the default options and again with tables and a few templates kept.
import FuzzSupport
import SluiceIngest

let keepOptions = WikitextConverter.Options(
    keepTemplates: WikitextConverter.Options.parseKeepTemplates(["lang", "convert:2", "nowrap"]) ?? [:],
    keepTables: true)

@main
enum FuzzWikitext {
    static func main() { Fuzz.main(fuzzWikitext) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWikitext(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size).assumingMemoryBound(to: UInt8.self)
    var plain = WikitextConverter()
    _ = plain.convert(bytes: input)
    var keeping = WikitextConverter(options: keepOptions)
    _ = keeping.convert(bytes: input)
    return 0
}
