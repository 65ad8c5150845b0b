// A checkpoint config.json whose n_embd overflows the n_inner check (found by `make fuzz`,
// fuzz-checkpoint-config): a config error, not an arithmetic trap.
import Foundation
import SluiceCore
import SluiceTrain
import Testing

@Suite struct CheckpointConfigRangeTests {
    @Test(arguments: ["6000000000000000000", "-6000000000000000000", "9223372036854775807"])
    func hugeWidthWithInnerIsConfigError(_ width: String) {
        let json =
            #"{"n_ctx": 255, "n_embd": \#(width), "n_inner": 393, "vocab_size": 10, "n_positions": 8, "n_layer": 1, "n_head": 1}"#
        #expect {
            _ = try GPTConfig.fromHuggingFace(Data(json.utf8), file: "config.json")
        } throws: { e in
            (e as? SluiceError)?.code == .config && "\(e)".contains("n_inner")
        }
    }
}
