// RecordFile: a round trip, and wrong magic or truncation are errors.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceDedup

@Suite struct RecordFileTests {
    @Test func corruptRecordFilesAreErrors() throws {
        let dir = try TestSupport.temporaryDirectory("records")
        let path = dir + "/r.bin"
        try RecordFile.write([1, 2, 3, 4], width: 2, magic: "SLMHPAR1", to: path)
        #expect(try RecordFile.readAll(path, width: 2, magic: "SLMHPAR1") == [1, 2, 3, 4])
        #expect(throws: SluiceError.self) { _ = try RecordFile.readAll(path, width: 2, magic: "SLMHSIG1") }
        let h = FileHandle(forWritingAtPath: path)!
        h.truncateFile(atOffset: 30)
        h.closeFile()
        #expect(throws: SluiceError.self) { _ = try RecordFile.readAll(path, width: 2, magic: "SLMHPAR1") }
    }
}
