// Safetensors: the byte layout we write, half-precision tensors widened on read, damaged
// files reported with their path; headers with impossible sizes (found by `make fuzz`, fuzz-safetensors) are
// corrupt input naming the file, never an arithmetic trap or a huge allocation.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceTrain

@Suite struct SafetensorsTests {
    @Test func layoutIsTheReferenceOne() throws {
        let dir = try TestSupport.temporaryDirectory("st")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Safetensors.write(
            path: dir + "/a.safetensors", tensors: [("x", [2], 0..<2), ("y", [1, 1], 2..<3)], data: [1, -2, 0.5])
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/a.safetensors")))
        let n = Int(bytes[0]) | Int(bytes[1]) << 8
        #expect((8 + n) % 8 == 0, "data starts 8-byte aligned")
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        #expect(header.contains("\"x\":{\"data_offsets\":[0,8],\"dtype\":\"F32\",\"shape\":[2]}"))
        #expect(Array(bytes[(8 + n)...]) == [0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0, 0, 0, 0, 0x3F])  // 1, −2, 0.5 little-endian
    }

    @Test func halfPrecisionIsWidened() throws {
        let dir = try TestSupport.temporaryDirectory("st-half")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var header = Array(
            "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[4,6]}}"
                .utf8)
        while (8 + header.count) % 8 != 0 { header.append(0x20) }
        var file: [UInt8] = [UInt8(header.count), 0, 0, 0, 0, 0, 0, 0] + header
        file += [0x80, 0x3F, 0x40, 0xC0]  // BF16 1.0, −3.0
        file += [0x00, 0x38]  // F16 0.5
        try Data(file).write(to: URL(fileURLWithPath: dir + "/h.safetensors"))
        let (t, _) = try Safetensors.read(path: dir + "/h.safetensors")
        #expect(t["a"]?.values == [1, -3])
        #expect(t["b"]?.values == [0.5])
    }

    @Test func damagedFileNamesItself() throws {
        let dir = try TestSupport.temporaryDirectory("st-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data([0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0x7B]).write(to: URL(fileURLWithPath: dir + "/bad.safetensors"))
        #expect {
            _ = try Safetensors.read(path: dir + "/bad.safetensors")
        } throws: { e in
            "\(e)".contains("bad.safetensors") && "\(e)".contains("header length")
        }
    }
}

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
