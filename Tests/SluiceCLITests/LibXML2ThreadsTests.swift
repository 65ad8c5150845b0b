// libxml2's global set-up raced when two threads parsed for the first time at once: a process could
// hang forever in xmlRMutexLock (a C reproduction hung 61 times in 300 without xmlInitParser, never
// with it). Each run here is a fresh process whose first libxml2 calls come from eight threads
// released together (`sluice dev extract-threads`), so without `LibXML2.ready` a set of 60
// runs includes a hang (6 % of runs hung here), which the watchdog turns into a failure instead of a stuck suite.
import Foundation
import SluiceTestSupport
import Testing

@Suite struct LibXML2ThreadsTests {
    @Test func firstParsesOnManyThreadsAtOnceNeverHang() throws {
        let page = TestSupport.fixture("html/9da36ae4714bfccc72374c6c146e9d1cd3cca39e2110bd67ccdbcc806f4cf139.html.gz")
        var expected: String?
        for run in 0..<60 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try TestSupport.sluiceBinary())
            p.arguments = ["dev", "extract-threads", "--threads", "8", page]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let deadline = Date().addingTimeInterval(30)
            while p.isRunning && Date() < deadline { usleep(10_000) }
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
                Issue.record("run \(run): four threads' first parses did not finish in 30 s (libxml2 set-up raced)")
                return
            }
            p.waitUntilExit()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(p.terminationStatus == 0, "run \(run): \(text)")
            // Every thread extracted the same, non-empty text.
            let counts = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            #expect(counts.count == 8 && Set(counts).count == 1 && counts[0] > 0, "run \(run): \(text)")
            if let e = expected { #expect(text == e) } else { expected = text }
        }
    }
}
