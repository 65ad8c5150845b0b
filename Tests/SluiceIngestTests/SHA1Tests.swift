// SHA1 (WARC payload digests): known vectors.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

@Suite struct SHA1Tests {
    @Test func sha1MatchesKnownVectors() {
        let abc = Array("abc".utf8).withUnsafeBytes { SHA1.digest($0) }
        #expect(abc.map { String(format: "%02x", $0) }.joined() == "a9993e364706816aba3e25717850c26c9cd0d89d")
        let long = [UInt8](repeating: 0x61, count: 1_000_000).withUnsafeBytes { SHA1.digest($0) }
        #expect(long.map { String(format: "%02x", $0) }.joined() == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }
}
