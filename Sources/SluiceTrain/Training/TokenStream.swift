// Where training and evaluation read tokens from: a flat, random-access stream of token ids with
// the identity of the tokenizer that produced them. Shards (SluiceTokenize) and in-memory
// arrays both conform; the trainer never knows which.
import SluiceCore

/// A random-access sequence of token ids.
public protocol TokenStream: AnyObject {
    /// Tokens in the stream.
    var tokenCount: Int { get }
    /// Size of the vocabulary the ids come from.
    var vocabSize: Int { get }
    /// The end-of-text id, when the producer recorded one.
    var eosID: Int? { get }
    /// A fingerprint of the tokenizer that produced the ids (nil when unknown).
    var tokenizerFingerprint: UInt64? { get }
    /// A short name for messages (a folder or "memory").
    var label: String { get }
    /// Tokens `[range.lowerBound, range.upperBound)`.
    func read(_ range: Range<Int>) throws -> [Int32]
}

/// Tokens held in memory: tests, and text tokenized on the fly.
public final class ArrayTokenStream: TokenStream {
    public let tokens: [Int32]
    public let vocabSize: Int
    public let eosID: Int?
    public let tokenizerFingerprint: UInt64?
    public var label: String
    public var tokenCount: Int { tokens.count }

    public init(
        _ tokens: [Int32], vocabSize: Int, eosID: Int? = nil, fingerprint: UInt64? = nil, label: String = "memory"
    ) {
        self.tokens = tokens
        self.vocabSize = vocabSize
        self.eosID = eosID
        tokenizerFingerprint = fingerprint
        self.label = label
    }

    public func read(_ range: Range<Int>) throws -> [Int32] { Array(tokens[range]) }
}

/// A contiguous part of another stream (the validation tail of a training set).
public final class SliceTokenStream: TokenStream {
    let base: any TokenStream
    let range: Range<Int>
    public init(_ base: any TokenStream, _ range: Range<Int>) {
        precondition(range.upperBound <= base.tokenCount)
        self.base = base
        self.range = range
    }
    public var tokenCount: Int { range.count }
    public var vocabSize: Int { base.vocabSize }
    public var eosID: Int? { base.eosID }
    public var tokenizerFingerprint: UInt64? { base.tokenizerFingerprint }
    public var label: String { base.label + "[\(range.lowerBound)..<\(range.upperBound)]" }
    public func read(_ r: Range<Int>) throws -> [Int32] {
        try base.read((range.lowerBound + r.lowerBound)..<(range.lowerBound + r.upperBound))
    }
}
