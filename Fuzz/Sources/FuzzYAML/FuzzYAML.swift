// fuzz-yaml: the input is a pipeline file, loaded as `sluice run` loads it: YAML parsing, the
// pipeline's shape, every stage looked up and built with strict options and validated. Inputs and
// output are overridden (an existing empty file, a private folder) so no glob walks the disk.
import FuzzSupport
import SluiceClean
import SluiceCore
import SluiceDedup
import SluiceIngest
import SluiceTokenize

let registry = StageRegistry(
    CoreStages.all + IngestStages.all + CleanStages.all + DedupStages.all + TokenizeStages.all)
let input = Fuzz.write(UnsafeRawBufferPointer(start: nil, count: 0), name: "empty.jsonl")
let overrides = PipelineOverrides(inputs: [input], output: Fuzz.directory + "/run")

@main
enum FuzzYAML {
    static func main() { Fuzz.main(fuzzYAML) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYAML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let yaml = String(decoding: Fuzz.bytes(data, size), as: UTF8.self)
    guard let description = try? PipelineDescription.parse(yaml: yaml, file: "pipeline.yaml") else { return 0 }
    _ = try? Pipeline(description, registry: registry, overrides: overrides)
    return 0
}
