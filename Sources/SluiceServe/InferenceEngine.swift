// The scheduler of `sluice serve`: one thread owns the model and a `BatchDecoder`; requests wait
// in a bounded queue, join the running batch as soon as a slot is free (continuous batching), and
// leave it when they finish, are cancelled (client gone) or are stopped by a stop string or the
// safety filter. Text goes back to each request through an AsyncStream as it is decoded.
// It does not speak HTTP: `OpenAIServer` does.
import Foundation
import SluiceCore
import SluiceTokenize
import SluiceTrain

/// What a generation request asks for, after validation.
public struct GenerationRequest: Sendable {
    public var prompt: [Int32]
    public var sampling: SamplingOptions
    /// Strings that end the text (not included), as OpenAI's `stop`.
    public var stop: [String] = []
    /// Ids that end the text besides the sampling stop id (a chat's turn markers).
    public var stopIDs: Set<Int32> = []
    public init(prompt: [Int32], sampling: SamplingOptions) {
        self.prompt = prompt
        self.sampling = sampling
    }
}

/// What a request receives from the engine.
public enum GenerationEvent: Sendable {
    /// New text (never splits a UTF-8 character; never part of a stop string).
    case text(String)
    /// The end: OpenAI's finish_reason (`stop`, `length`, `content_filter`) and the ids generated.
    case finished(reason: String, completionTokens: Int)
}

/// A request in the engine; `cancel()` frees its slot at the next step.
public final class GenerationJob: @unchecked Sendable {
    let request: GenerationRequest
    let continuation: AsyncStream<GenerationEvent>.Continuation
    /// Guarded by the engine's lock.
    var cancelled = false
    var slot = -1
    var sequence: DecodingSequence
    /// UTF-8 bytes of the text already sent.
    var sentBytes = 0
    weak var engine: InferenceEngine?

    init(_ request: GenerationRequest, contextLength: Int, continuation: AsyncStream<GenerationEvent>.Continuation) {
        self.request = request
        self.continuation = continuation
        sequence = DecodingSequence(prompt: request.prompt, options: request.sampling, contextLength: contextLength)
    }

    /// Stops generating for this request (its stream ends without a `finished` event).
    public func cancel() { engine?.cancel(self) }
}

/// Why the engine turned a request away.
public enum EngineRefusal: Error, Sendable {
    /// The waiting queue is full.
    case queueFull(Int)
    /// The engine is stopping.
    case stopping
}

/// Continuous batching over one model.
public final class InferenceEngine: @unchecked Sendable {
    let decoder: BatchDecoder
    let codec: TokenizerCodec
    /// Sequences decoded together at most.
    public let maxBatch: Int
    /// Requests waiting for a slot at most (more are refused).
    public let maxQueue: Int
    let safety: SafetyFilter?
    let metrics: ServeMetrics?
    let lock = NSCondition()
    var waiting: [GenerationJob] = []
    var active: [GenerationJob] = []
    var freeSlots: [Int]
    var stopped = false
    var thread: Thread?

    /// The model's context length.
    public var contextLength: Int { decoder.model.config.contextLength }

    /// - Parameters:
    ///   - model: the weights (F32, or INT8 kept INT8: every linear layer goes through `decodeLinear`).
    public init(
        model: DecodeModel, codec: TokenizerCodec, maxBatch: Int, maxQueue: Int, safety: SafetyFilter? = nil,
        metrics: ServeMetrics? = nil
    ) {
        precondition(maxBatch > 0 && maxQueue >= 0)
        decoder = BatchDecoder(model: model, slots: maxBatch)
        self.codec = codec
        self.maxBatch = maxBatch
        self.maxQueue = maxQueue
        self.safety = safety
        self.metrics = metrics
        freeSlots = Array((0..<maxBatch).reversed())
    }

    /// Starts the decoding thread.
    public func start() {
        let t = Thread { [self] in loop() }
        t.name = "sluice-serve-engine"
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    /// Stops the thread after the current step; requests still in the engine end without a finish event.
    public func stop() {
        lock.lock()
        stopped = true
        lock.broadcast()
        lock.unlock()
    }

    /// Requests running and waiting.
    public var load: (active: Int, waiting: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (active.count, waiting.count)
    }

    /// Queues `request`; its events arrive on the returned stream.
    /// - Throws: `EngineRefusal` when the queue is full or the engine is stopping.
    public func submit(_ request: GenerationRequest) throws(EngineRefusal) -> (
        GenerationJob, AsyncStream<GenerationEvent>
    ) {
        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream(bufferingPolicy: .unbounded)
        let job = GenerationJob(request, contextLength: contextLength, continuation: continuation)
        job.engine = self
        lock.lock()
        defer { lock.unlock() }
        if stopped { throw .stopping }
        // A free slot takes the job at the next step; otherwise it waits, if the queue has room.
        if waiting.count + 1 - freeSlots.count > maxQueue { throw .queueFull(maxQueue) }
        waiting.append(job)
        continuation.onTermination = { [weak job] _ in job?.cancel() }
        lock.signal()
        return (job, stream)
    }

    func cancel(_ job: GenerationJob) {
        // Finishing a continuation runs its onTermination (which calls here): never under the lock.
        lock.lock()
        job.cancelled = true
        var removed = false
        if let i = waiting.firstIndex(where: { $0 === job }) {
            waiting.remove(at: i)
            removed = true
        }
        lock.signal()
        lock.unlock()
        if removed { job.continuation.finish() }
    }

    // MARK: - The decoding loop

    func loop() {
        let scorer = safety?.makeScorer()
        while true {
            lock.lock()
            while active.isEmpty && waiting.isEmpty && !stopped { lock.wait() }
            if stopped {
                let all = active + waiting
                active.removeAll()
                waiting.removeAll()
                lock.unlock()
                for j in all { j.continuation.finish() }
                return
            }
            // Leave: cancelled jobs free their slots. Join: waiting jobs take free slots.
            let gone = active.filter(\.cancelled)
            for j in gone { freeSlots.append(j.slot) }
            active.removeAll { $0.cancelled }
            while !freeSlots.isEmpty && !waiting.isEmpty {
                let j = waiting.removeFirst()
                j.slot = freeSlots.removeLast()
                active.append(j)
            }
            let batch = active
            metrics?.setLoad(active: batch.count, waiting: waiting.count)
            lock.unlock()
            for j in gone {
                j.continuation.finish()
                metrics?.cancelled()
            }
            guard !batch.isEmpty else { continue }

            // Jobs that finished before running (max_tokens 0) end here.
            let runnable = batch.filter { $0.sequence.finish == nil }
            var finishedJobs: [GenerationJob] = batch.filter { $0.sequence.finish != nil }
            for j in finishedJobs { j.continuation.yield(.finished(reason: "length", completionTokens: 0)) }
            if !runnable.isEmpty {
                let logits = decoder.step(runnable.map { $0.sequence.input(slot: $0.slot) })
                // Sampling is independent per sequence (a full sort of the vocabulary when
                // temperature > 0): two threads share it; the text work below stays on this thread.
                var sampled = [Int32?](repeating: nil, count: runnable.count)
                sampled.withUnsafeMutableBufferPointer { out in
                    nonisolated(unsafe) let out = out
                    let jobs = runnable, lanes = runnable.count >= 4 ? 2 : 1
                    DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                        var k = lane
                        while k < jobs.count {
                            out[k] = jobs[k].sequence.advance(logits: logits[k])
                            k += lanes
                        }
                    }
                }
                for (k, j) in runnable.enumerated() {
                    if let reason = emit(j, sampled: sampled[k], scorer: scorer) {
                        j.continuation.yield(.finished(reason: reason, completionTokens: j.sequence.generated.count))
                        finishedJobs.append(j)
                    }
                }
            }
            if !finishedJobs.isEmpty {
                lock.lock()
                for j in finishedJobs { freeSlots.append(j.slot) }
                active.removeAll { a in finishedJobs.contains { $0 === a } }
                lock.unlock()
                for j in finishedJobs { j.continuation.finish() }
            }
        }
    }

    /// After `job` sampled `next` (nil: it stopped), sends the text that became final and returns
    /// a finish reason when the job is done.
    func emit(_ job: GenerationJob, sampled next: Int32?, scorer: SafetyScorer?) -> String? {
        var reason: String?
        if let next, job.request.stopIDs.contains(next) {
            job.sequence.end(.stop)
            reason = "stop"
        } else if let f = job.sequence.finish {
            reason = f.rawValue
        }
        var ids = job.sequence.generated
        if reason == "stop", let next, job.request.stopIDs.contains(next) { ids.removeLast() }
        let text = Array(codec.decode(ids).utf8)
        var end = text.count
        // A stop string ends the text where it starts.
        if !job.request.stop.isEmpty {
            let from = max(0, job.sentBytes - job.request.stop.map(\.utf8.count).max()!)
            if let cut = Self.firstStop(text, job.request.stop, from: from) {
                end = cut
                job.sequence.end(.stop)
                reason = "stop"
            }
        }
        if reason == nil {
            // Hold back a split character (decoded as U+FFFD at the end) and a possible stop-string start.
            end = Self.holdBack(text, end: end)
            end -= Self.stopPrefixLength(text[..<end], job.request.stop)
        }
        guard end > job.sentBytes else { return reason }
        if let scorer, scorer.flags(String(decoding: text[..<end], as: UTF8.self)) {
            job.sequence.end(.stop)
            metrics?.filtered(stage: "output")
            return "content_filter"
        }
        job.continuation.yield(.text(String(decoding: text[job.sentBytes..<end], as: UTF8.self)))
        job.sentBytes = end
        return reason
    }

    /// The byte offset of the first stop string in `text` starting at or after `from`.
    static func firstStop(_ text: [UInt8], _ stops: [String], from: Int) -> Int? {
        var best: Int?
        for s in stops {
            let u = Array(s.utf8)
            guard !u.isEmpty, u.count <= text.count else { continue }
            var i = from
            while i + u.count <= text.count {
                if text[i] == u[0] && Array(text[i..<(i + u.count)]) == u {
                    if best == nil || i < best! { best = i }
                    break
                }
                i += 1
            }
        }
        return best
    }

    /// `end` moved back before a trailing U+FFFD (EF BF BD): the bytes of a character still incomplete.
    static func holdBack(_ text: [UInt8], end: Int) -> Int {
        var e = end
        while e >= 3 && text[e - 3] == 0xEF && text[e - 2] == 0xBF && text[e - 1] == 0xBD { e -= 3 }
        return e
    }

    /// The length of the longest suffix of `text` that is a proper prefix of a stop string.
    static func stopPrefixLength(_ text: ArraySlice<UInt8>, _ stops: [String]) -> Int {
        var longest = 0
        for s in stops {
            let u = Array(s.utf8)
            var k = min(u.count - 1, text.count)
            while k > longest {
                if text.suffix(k).elementsEqual(u[..<k]) {
                    longest = k
                    break
                }
                k -= 1
            }
        }
        return longest
    }
}
