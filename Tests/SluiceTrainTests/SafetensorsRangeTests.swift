// Safetensors headers with impossible sizes (found by `make fuzz`, fuzz-safetensors): corrupt
// input naming the file, never an arithmetic trap or a huge allocation.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTrain
import Testing

@Suite struct SafetensorsRangeTests {
    /// A safetensors file: the JSON header (padded to 8 bytes) and `data`.
    func file(header json: String, data: [UInt8] = []) -> [UInt8] {
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        let n = UInt64(header.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + header + data
    }

    func expectCorrupt(_ bytes: [UInt8], _ words: String) throws {
        let dir = try TestSupport.temporaryDirectory("st-range")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bad.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try Safetensors.read(path: path)
        } throws: { e in
            (e as? SluiceError)?.code == .corruptInput && "\(e)".contains(words) && "\(e)".contains("bad.safetensors")
        }
    }

    @Test func headerLengthAboveIntMax() throws {
        // The fuzzer's input: a length of 0xffffffffffffff20, which did not fit in Int.
        try expectCorrupt(
            [0x20, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff] + [UInt8](repeating: 0xff, count: 40), "header length")
    }

    @Test(arguments: [
        #"{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#,  // count overflows Int
        #"{"t":{"dtype":"F32","shape":[-2],"data_offsets":[8,0]}}"#,  // negative count, reversed offsets
        #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[-9223372036854775807,-9223372036854775803]}}"#,
        #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,9223372036854775807]}}"#,
    ])
    func impossibleTensorEntry(_ header: String) throws {
        try expectCorrupt(file(header: header, data: [0, 0, 0x80, 0x3f]), "data_offsets")
    }
}
