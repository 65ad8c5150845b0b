// `minhash_dedup`: near-duplicate removal in the datatrove design, as a corpus stage with three
// passes (signatures → buckets → clusters) and a filter step. Work files and their layout are
// in docs/dedup.md; this file only wires the passes together.
import Foundation
import SluiceCore

/// Removes near-duplicate documents with MinHash signatures and LSH banding.
///
/// Passes (each a set of independent tasks exchanging files under the stage's work folder):
/// 1. `signatures`, one task per document file: per band, sorted `(band key, document key)` runs;
/// 2. `buckets`, one task per band: a k-way merge of that band's runs, emitting a candidate pair
///    (first document of the bucket, each other);
/// 3. `clusters`, one task: union-find over all pairs into loose components; unless `verify` is
///    `none`, each component is split into groups whose members passed against each other (shingle
///    sets do: `exact`, the default; full signatures agree: `signature`); each cluster keeps
///    its smallest key.
/// Then the filter step drops the other members with reason `minhash_dedup` and writes
/// `minhash_cluster_id` and `minhash_cluster_size` into the metadata of every clustered document.
public struct MinHashDedup: CorpusStage {
    public static let name = "minhash_dedup"
    public static let summary = "near-duplicate removal: MinHash signatures, LSH buckets, union-find clusters"
    public static let dropReason = DropReason("minhash_dedup")
    public var settings: MinHashSettings

    public init(options: inout StageOptions) throws {
        settings = try MinHashSettings(options: &options)
    }

    public init(settings: MinHashSettings) { self.settings = settings }

    /// Prints the S-curve of the chosen bands × rows, so users see what their settings catch.
    public func validate() throws {
        FileHandle.standardError.write(Data((settings.sCurve + "\n").utf8))
    }

    public func passes() -> [any CorpusPass] {
        [
            MinHashSignaturePass(settings: settings), MinHashBucketPass(settings: settings),
            MinHashClusterPass(settings: settings),
        ]
    }

    public func makeStep(environment: PassEnvironment) throws -> (any Step)? {
        try MinHashFilter(workDirectory: environment.workDirectory)
    }
}

/// Paths inside the stage's work folder.
enum MinHashLayout {
    static let signatureMagic: StaticString = "SLMHSIG1"
    static let countMagic: StaticString = "SLMHCNT1"
    static let pairMagic: StaticString = "SLMHPAR1"
    static let memberMagic: StaticString = "SLMHMEM1"
    static let shingleMagic: StaticString = "SLMHSHI1"
    static let offsetMagic: StaticString = "SLMHOFF1"
    static let fullSignatureMagic: StaticString = "SLMHFSG1"

    static func bandDirectory(_ work: String, _ band: Int) -> String {
        work + "/signatures/band-" + zeroPadded(band, width: 4)
    }
    static func runPath(_ work: String, band: Int, file: Int, run: Int) -> String {
        bandDirectory(work, band) + "/" + zeroPadded(file, width: 5) + "-" + zeroPadded(run, width: 4) + ".bin"
    }
    static func countPath(_ work: String, file: Int) -> String {
        work + "/signatures/counts/" + zeroPadded(file, width: 5) + ".bin"
    }
    static func shinglePath(_ work: String, file: Int) -> String {
        work + "/shingles/" + zeroPadded(file, width: 5) + ".bin"
    }
    static func offsetPath(_ work: String, file: Int) -> String {
        work + "/shingles/" + zeroPadded(file, width: 5) + ".offsets.bin"
    }
    static func fullSignaturePath(_ work: String, file: Int) -> String {
        work + "/minhashes/" + zeroPadded(file, width: 5) + ".bin"
    }
    /// Words per full-signature record: the `permutations` values truncated to 32 bits, two per word.
    static func fullSignatureWidth(permutations: Int) -> Int { (permutations + 1) / 2 }
    static func pairPath(_ work: String, band: Int) -> String {
        work + "/buckets/band-" + zeroPadded(band, width: 4) + ".bin"
    }
    static func memberPath(_ work: String) -> String { work + "/clusters/members.bin" }
    static func summaryPath(_ work: String) -> String { work + "/clusters/minhash-summary.json" }
}
