// fuzz-tokenizer: the input is a tokenizer.json, loaded as `sluice tokenize` and `sluice eval` load
// it; a tokenizer that loads must encode and decode text without crashing.
import FuzzSupport
import SluiceTokenize

let sample = "Hello, world! Ünïcödé ça va? 日本語のテキスト 12345 <|endoftext|>\n\tmixed   spaces"

@main
enum FuzzTokenizer {
    static func main() { Fuzz.main(fuzzTokenizer) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = Fuzz.write(Fuzz.bytes(data, size), name: "tokenizer.json")
    guard let tokenizer = try? Tokenizer.load(path: path) else { return 0 }
    let ids = tokenizer.encode(sample, addSpecialTokens: true)
    _ = tokenizer.decode(ids)
    _ = tokenizer.decode(ids, skipSpecialTokens: true)
    _ = tokenizer.jsonString()
    return 0
}
