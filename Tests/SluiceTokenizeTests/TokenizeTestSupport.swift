// Helpers shared by the tokenizer tests: random strings, task contexts and commits as the engine
// makes them, and shards of generated documents.
import Foundation
import SluiceCore
import SluiceTestSupport
import SluiceTokenize

/// Seeded random UTF-8 strings mixing ASCII, whitespace kinds, Latin-1, CJK, emoji and marks.
func randomStrings(count: Int, seed: UInt64) -> [String] {
    var s = seed
    func next() -> UInt64 {
        s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return s >> 29
    }
    let pools: [[UInt32]] = [
        Array(0x20...0x7E), [0x09, 0x0A, 0x0D, 0x20, 0x20, 0xA0, 0x3000, 0x2028, 0x85], Array(0xC0...0x17F),
        Array(0x4E00...0x4E80), Array(0x1F600...0x1F64F), Array(0x300...0x36F), [0x27, 0x27, 0x73, 0x74, 0x6C, 0x64],
        Array(0x30...0x39), Array(0x660...0x669), Array(0x5D0...0x5EA),
    ]
    return (0..<count).map { _ in
        var u = String.UnicodeScalarView()
        for _ in 0..<Int(next() % 60) {
            let pool = pools[Int(next() % UInt64(pools.count))]
            u.append(Unicode.Scalar(pool[Int(next() % UInt64(pool.count))])!)
        }
        return String(u)
    }
}

func context(_ dir: String, task: Int, tasks: Int) throws -> TaskContext {
    let tmp = dir + "/tmp-\(task)"
    try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
    return TaskContext(
        taskIndex: task, taskCount: tasks, outputDirectory: dir + "/out", temporaryDirectory: tmp, stageNames: ["x"])
}

/// Moves a task's outputs to their final names, as the engine's commit does.
func commit(_ c: TaskContext) throws {
    for (tmp, final) in c.outputs where FileManager.default.fileExists(atPath: tmp) {
        try FileManager.default.createDirectory(
            atPath: (final as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: final) { try FileManager.default.removeItem(atPath: final) }
        try FileManager.default.moveItem(atPath: tmp, toPath: final)
    }
}

/// A byte-level tokenizer with no merges: 256 byte tokens and `<|endoftext|>` = 256.
func byteTokenizer() throws -> Tokenizer {
    let vocab = (0..<256).map { ByteLevelTestHelper.string(UInt8($0)) } + ["<|endoftext|>"]
    return try Tokenizer(
        kind: .bpe, vocab: vocab, preTokenizer: .byteLevel(pattern: .gpt2, addPrefixSpace: false),
        addedTokens: [.init(id: 256, content: "<|endoftext|>")])
}

enum ByteLevelTestHelper {
    /// GPT-2's printable character for a byte.
    static func string(_ b: UInt8) -> String {
        var n: UInt32 = 0
        for x in 0..<256 {
            let printable = (33...126).contains(x) || (161...172).contains(x) || (174...255).contains(x)
            if x == Int(b) { return String(Unicode.Scalar(printable ? UInt32(x) : 256 + n)!) }
            if !printable { n += 1 }
        }
        fatalError()
    }
}

/// Deterministic documents of varied lengths with ids below `vocab`.
func sampleDocuments(count: Int, vocab: UInt32, seed: UInt64 = 7) -> [[UInt32]] {
    var state = seed
    func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }
    return (0..<count).map { _ in (0..<Int(next() % 300)).map { _ in UInt32(next() % UInt64(vocab - 1)) } }
}

func writeShard(_ path: String, _ docs: [[UInt32]], vocab: Int, eos: UInt32, fingerprint: UInt64 = 42, frame: Int)
    throws
{
    let w = try ShardWriter(
        path: path, vocabSize: vocab, eosID: eos, tokenizerFingerprint: fingerprint, frameTokens: frame)
    for d in docs { try w.appendDocument(d) }
    try w.finish()
}
