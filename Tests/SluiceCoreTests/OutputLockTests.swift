// OutputLock: one local run at a time on an output folder, in one process too.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite(.serialized) struct OutputLockTests {
    @Test func oneLocalRunAtATimeInOneProcessToo() throws {
        let dir = try TestSupport.temporaryDirectory("integrity")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeInputs(dir, count: 1) { _ in ["x"] }
        let p = try pipeline("input: [\"\(dir)/in/*.lines\"]\noutput: \(dir)/out\nstages: [write]\n", in: dir)
        var held: OutputLock? = try OutputLock.exclusive(root: dir + "/out")
        let e = configError {
            try LocalExecutor(workers: 1).run(try PipelinePlan(pipeline: p, registry: engineTestRegistry))
        }
        #expect(
            e?.code == .usage
                && e?.message.hasPrefix("the output folder is in use by another sluice process (pid \(getpid()) host ")
                    == true
        )
        #expect(held != nil)
        held = nil
        #expect(
            try LocalExecutor(workers: 1).run(try PipelinePlan(pipeline: p, registry: engineTestRegistry)).tasksRun == 1
        )
    }
}
