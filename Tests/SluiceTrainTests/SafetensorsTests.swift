// Safetensors: the byte layout we write, half-precision tensors widened on read, and damaged
// files reported with their path.
import Foundation
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
