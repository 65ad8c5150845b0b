// Evaluation figures (chunking, bits per byte, thread independence), the KV cache against the
// full forward pass, sampling, and the multiple-choice and LAMBADA tasks on a model trained
// to memorise a cycle of letters.
import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceTrain

/// One id per UTF-8 byte: a stand-in tokenizer for these tests.
struct ByteCodec: TextCodec {
    var vocabSize: Int { 256 }
    func encode(_ text: String) -> [Int32] { text.utf8.map { Int32($0) } }
    func decode(_ ids: [Int32]) -> String { String(decoding: ids.map { UInt8($0) }, as: UTF8.self) }
}

let cycleText = "qwertyuiop asdfghjklzxcvbnm"  // every byte distinct: each one fixes the next

@Suite struct EvaluatorTests {
    @Test func textIsChunkedAsSpecified() throws {
        let model = try smallModel()
        let text = "The quick brown fox jumps over the lazy dog"  // 43 bytes → 42 predictions
        let r = Evaluator(model: model, batchSize: 3).evaluate(text: text, codec: ByteCodec())
        #expect(r.tokens == 42)
        // The same sum by hand: chunk k covers ids [8k, 8k+8].
        let ids = ByteCodec().encode(text)
        var total = 0.0
        var k = 0
        while 8 * k < ids.count - 1 {
            let end = min(8 * k + 8, ids.count - 1)
            let x = Array(ids[(8 * k)..<end]), y = Array(ids[(8 * k + 1)...end])
            model.forward(tokens: x, targets: y, B: 1, T: x.count)
            total += model.lastLosses.reduce(0.0) { $0 + Double($1) }
            k += 1
        }
        #expect(abs(r.loss - total / 42) < 1e-6)
        #expect(abs(r.bitsPerByte - total / log(2) / 43) < 1e-6)
        #expect(abs(r.perplexity - exp(r.loss)) < 1e-9)
        #expect(r.json.hasPrefix("{\"tokens\": 42, \"loss\": "))
    }

    @Test func figuresDoNotDependOnTheThreadCount() throws {
        let text = String(repeating: "Sing, O goddess, the anger of Achilles son of Peleus. ", count: 4)
        var results: [EvalResult] = []
        for threads in [1, 2] {
            BLAS.setThreads(threads)
            results.append(Evaluator(model: try smallModel(threads: threads)).evaluate(text: text, codec: ByteCodec()))
        }
        BLAS.setThreads(2)
        #expect(results[0].tokens == results[1].tokens)
        #expect(abs(results[0].loss - results[1].loss) < 1e-5)
        #expect(abs(results[0].bitsPerByte - results[1].bitsPerByte) < 1e-5)
    }

    @Test func tasksOnAModelThatKnowsTheCycle() throws {
        let dir = try TestSupport.temporaryDirectory("eval-tasks")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = tinyOptions(out: dir + "/run")
        o.steps = 60
        o.vocabSize = 256
        let ids = ByteCodec().encode(String(repeating: cycleText, count: 120))
        let trainer = try Trainer(
            options: o, train: ArrayTokenStream(ids, vocabSize: 256), val: nil, tokenizerPath: nil)
        try trainer.run()
        let ev = Evaluator(model: trainer.model)
        let mc = dir + "/mc.jsonl", lam = dir + "/lambada.jsonl"
        try """
        {"context": "qwertyuiop", "endings": ["zxcv", "asdf", "qqqq"], "label": 1}
        {"context": "asdfghj", "endings": ["klzx", "mmmm"], "label": 0}

        """.write(toFile: mc, atomically: true, encoding: .utf8)
        try """
        {"text": "zxcvbnmqwertyuiop asdfg"}
        {"text": "zxcvbnmqwertyuiop asdqq"}

        """.write(toFile: lam, atomically: true, encoding: .utf8)
        let r1 = try ev.multipleChoice(path: mc, codec: ByteCodec())
        #expect(r1.examples == 2 && r1.correct == 2)
        let r2 = try ev.lambada(path: lam, codec: ByteCodec())
        #expect(r2.examples == 2 && r2.correct == 1)  // the second line's last word is not the cycle's
        // A malformed line is an error naming file and line.
        try "{\"context\": \"a\", \"endings\": [\"b\"], \"label\": 0}\n{\"context\": 3}\n".write(
            toFile: mc, atomically: true, encoding: .utf8)
        #expect {
            _ = try ev.multipleChoice(path: mc, codec: ByteCodec())
        } throws: { e in
            "\(e)".contains("mc.jsonl:2")
        }
    }
}
