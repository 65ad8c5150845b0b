// MinHashDedup: identical, near-identical and unrelated documents; clusters across files and
// tasks; deterministic kept document; verification (none, signature, exact); resume after a
// crash between passes.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceDedup

@Suite struct MinHashDedupTests {
    /// Paragraphs long enough that one changed word keeps Jaccard above 0.93 (P(candidate) ≈ 1).
    let long = paragraphs.filter { $0.split(separator: " ").count >= 150 }

    @Test(arguments: VerifyMode.allCases) func identicalNearIdenticalAndUnrelated(mode: VerifyMode) throws {
        #expect(long.count >= 6)
        let h = try DedupHarness([
            [
                doc("a", long[0]), doc("b", long[1]), doc("a-copy", long[0]), doc("c", long[2]),
                doc("b-near", edited(long[1], every: 1000, offset: 70)), doc("d", long[3]),
            ]
        ])
        let (kept, dropped) = try h.run(MinHashDedup(settings: MinHashSettings(verify: mode)))
        #expect(kept.map(\.id) == ["a", "b", "c", "d"])
        #expect(dropped.map(\.0) == ["a-copy", "b-near"])
        #expect(dropped.allSatisfy { $0.1 == "minhash_dedup" })
        let a = try #require(kept.first { $0.id == "a" })
        #expect(a.metadata[MinHashFilter.sizeKey] == .int(2))
        #expect(a.metadata[MinHashFilter.clusterKey] == .int(Int64(DocumentKey.make(file: 0, ordinal: 0))))
        let c = try #require(kept.first { $0.id == "c" })
        #expect(c.metadata[MinHashFilter.sizeKey] == nil)
    }

    @Test func heavilyEditedCopiesAreNotDuplicates() throws {
        // Every 4th word changed: Jaccard of 5-grams falls far below the S-curve.
        let h = try DedupHarness([[doc("a", long[0]), doc("a-rewritten", edited(long[0], every: 4))]])
        let (kept, dropped) = try h.run(MinHashDedup(settings: MinHashSettings()))
        #expect(kept.count == 2)
        #expect(dropped.isEmpty)
    }

    @Test func clusterSpansFilesAndKeepsSmallestKey() throws {
        // The same text in three files; a near copy in file 2 first. The kept one is file 0's.
        let h = try DedupHarness([
            [doc("x0", long[4]), doc("u0", long[0])],
            [doc("u1", long[1]), doc("x1", long[4])],
            [doc("x2", edited(long[4], every: 1000, offset: 40)), doc("x3", long[4]), doc("u2", long[2])],
        ])
        let (kept, dropped) = try h.run(MinHashDedup(settings: MinHashSettings()))
        #expect(kept.map(\.id) == ["x0", "u0", "u1", "u2"])
        #expect(Set(dropped.map(\.0)) == ["x1", "x2", "x3"])
        #expect(kept[0].metadata[MinHashFilter.sizeKey] == .int(4))
        let summary = try JSONDecoder().decode(
            MinHashSummary.self,
            from: Data(contentsOf: URL(fileURLWithPath: h.environment.workDirectory + "/clusters/minhash-summary.json"))
        )
        #expect(summary.clusters == 1)
        #expect(summary.duplicates == 3)
        #expect(summary.sizeHistogram == ["4": 1])
        #expect(summary.documents == 7)
        #expect(!summary.examples.isEmpty && summary.examples.allSatisfy { $0.jaccard > 0.9 })
    }

    @Test func resultDoesNotDependOnSpillingOrTaskOrder() throws {
        let docs = (0..<12).map { doc("p\($0)", long[$0 % 6]) }
        let h1 = try DedupHarness([docs])
        let h2 = try DedupHarness([docs])
        var small = MinHashSettings()
        small.sortBuffer = 16 * 14 * 3  // spill a run every 3 documents
        let r1 = try h1.run(MinHashDedup(settings: MinHashSettings()))
        let r2 = try h2.run(MinHashDedup(settings: small))
        #expect(r1.kept.map(\.id) == r2.kept.map(\.id))
        #expect(r1.kept.map(\.id) == ["p0", "p1", "p2", "p3", "p4", "p5"])
        #expect(listFiles(MinHashLayout.bandDirectory(h2.environment.workDirectory, 0), suffix: ".bin").count == 4)
    }

    @Test(arguments: [VerifyMode.signature, .exact]) func verificationRejectsDissimilarCandidates(mode: VerifyMode)
        throws
    {
        // 60 bands of one row: a pair sharing a third of its shingles is almost surely a
        // candidate; verification at 0.8 must reject it, while a true copy stays a duplicate.
        let w0 = long[0].split(separator: " ")
        let half = w0.prefix(w0.count / 2).joined(separator: " ")
        let mixed = half + " " + long[5]
        var loose = MinHashSettings(bands: 60, rows: 1, verify: .none)
        let unverified = try DedupHarness([[doc("a", long[0]), doc("m", mixed), doc("a2", long[0])]])
        #expect(try unverified.run(MinHashDedup(settings: loose)).kept.map(\.id) == ["a"])
        loose.verify = mode
        loose.threshold = 0.8
        let verified = try DedupHarness([[doc("a", long[0]), doc("m", mixed), doc("a2", long[0])]])
        let r = try verified.run(MinHashDedup(settings: loose))
        #expect(r.kept.map(\.id) == ["a", "m"])
        #expect(r.dropped.map(\.0) == ["a2"])
    }

    /// The failure `verify: signature` exists for: A and A' are near-identical, B shares half of
    /// A's text (Jaccard ≈ 1/3). With 32 bands of 2 rows, B shares a band with A almost surely,
    /// so without verification union-find chains B into A's cluster and drops it. Empty
    /// documents sit between them, in two files, so signature records must follow ordinals.
    @Test(arguments: VerifyMode.allCases) func sharedPassageDoesNotChainUnrelatedDocuments(mode: VerifyMode) throws {
        let w = long[0].split(separator: " ")
        let p = w.prefix(w.count / 2).joined(separator: " ")
        let q = w.dropFirst(w.count / 2).joined(separator: " ")
        let r = long[3].split(separator: " ").prefix(w.count - w.count / 2).joined(separator: " ")
        let a = p + " " + q
        let b = p + " " + r
        let h = try DedupHarness([
            [doc("e0", ""), doc("a", a), doc("e1", " !! "), doc("b", b), doc("c", long[1])],
            [doc("e2", ""), doc("e3", "?"), doc("a-near", edited(a, every: 1000, offset: 60)), doc("e4", "")],
        ])
        let settings = MinHashSettings(bands: 32, rows: 2, verify: mode)
        let result = try h.run(MinHashDedup(settings: settings))
        let dropped = result.dropped.map(\.0)
        switch mode {
        case .none:
            // The failure: B is dropped as a duplicate of A.
            #expect(Set(dropped) == ["a-near", "b"])
        case .signature, .exact:
            #expect(dropped == ["a-near"])
            #expect(result.kept.map(\.id) == ["e0", "a", "e1", "b", "c", "e2", "e3", "e4"])
        }
    }

    /// A copy of a copy: C1 passes against the original O, C2 passes against C1 but not O. With
    /// 40 bands of 2 rows all three share a band; verification must still join all three.
    @Test(arguments: [VerifyMode.signature, .exact]) func copyOfACopyJoinsTheCluster(mode: VerifyMode) throws {
        let o = long[0]
        let c1 = edited(o, every: 60, offset: 10)
        let c2 = edited(c1, every: 60, offset: 40)
        let shingler = try MinHashSettings().makeShingler()
        func jaccard(_ a: String, _ b: String) -> Double {
            let x = Set(shingler.shingles(of: a))
            let y = Set(shingler.shingles(of: b))
            return Double(x.intersection(y).count) / Double(x.union(y).count)
        }
        try #require(jaccard(o, c1) >= 0.8 && jaccard(c1, c2) >= 0.8 && jaccard(o, c2) < 0.7)
        let h = try DedupHarness([[doc("o", o), doc("u", long[1]), doc("c1", c1), doc("c2", c2)]])
        let r = try h.run(MinHashDedup(settings: MinHashSettings(bands: 40, rows: 2, verify: mode)))
        #expect(r.kept.map(\.id) == ["o", "u"])
        #expect(r.dropped.map(\.0) == ["c1", "c2"])
    }

    /// A chained pair: A and B are near-duplicates that share no band, C contains both texts
    /// plus filler (so it collides with A in one band and with B in another) but is similar to
    /// neither. Without verification the three chain into one cluster; verification per
    /// component must still find A–B through C, and leave C out.
    @Test(arguments: VerifyMode.allCases) func chainedPairIsFoundThroughTheDocumentLinkingIt(mode: VerifyMode) throws {
        let settings = MinHashSettings(verify: mode)
        let rows = settings.rows
        let shingler = try settings.makeShingler()
        let hasher = settings.makeHasher()
        func signature(_ s: [UInt64]) -> [UInt64] {
            var sig = [UInt64](repeating: 0, count: settings.bands * rows)
            s.withUnsafeBufferPointer { s in sig.withUnsafeMutableBufferPointer { hasher.signature(of: s, into: $0) } }
            return sig
        }
        func band(_ x: [UInt64], _ y: [UInt64], _ b: Int) -> Bool {
            x[b * rows..<(b + 1) * rows] == y[b * rows..<(b + 1) * rows]
        }
        func equalValues(_ x: [UInt64], _ y: [UInt64]) -> Int { zip(x, y).filter { $0 == $1 }.count }
        func jaccard(_ x: Set<UInt64>, _ y: Set<UInt64>) -> Double {
            Double(x.intersection(y).count) / Double(x.union(y).count)
        }
        let a = long[0]
        let setA = Set(shingler.shingles(of: a))
        let sigA = signature(Array(setA))
        // B: an edited copy of A above the threshold for both verifiers that shares no band with A,
        // and such that A ∪ B agrees with A on some band and with B on another.
        var found: (b: String, bandA: Int, bandB: Int, c: [UInt64])?
        search: for every in 30...120 {
            for offset in 0..<every {
                let b = edited(a, every: every, offset: offset)
                let setB = Set(shingler.shingles(of: b))
                guard jaccard(setA, setB) >= 0.82 else { continue }
                let sigB = signature(Array(setB))
                guard equalValues(sigA, sigB) >= settings.signatureMinimumMatches + 3,
                    !(0..<settings.bands).contains(where: { band(sigA, sigB, $0) })
                else { continue }
                let sigC = signature(shingler.shingles(of: a + " " + b))
                guard let ka = (0..<settings.bands).first(where: { band(sigA, sigC, $0) }),
                    let kb = (0..<settings.bands).first(where: { band(sigB, sigC, $0) })
                else { continue }
                found = (b, ka, kb, sigC)
                break search
            }
        }
        let (b, bandA, bandB, startC) = try #require(found)
        // C: A, B, then filler words whose new shingles never undercut C's values in those two
        // bands, until A and B are each under half of C.
        let pool: [String] = long.dropFirst().flatMap { p in p.lowercased().split(separator: " ").map(String.init) }
            .filter { w in w.utf8.allSatisfy { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") } }
        var sigC = startC
        var last = shingler.simplifiedText(b).split(separator: " ").suffix(4).map(String.init)
        var filler: [String] = []
        let guarded = Array(bandA * rows..<(bandA + 1) * rows) + Array(bandB * rows..<(bandB + 1) * rows)
        let sizeAB = Set(shingler.shingles(of: a + " " + b)).count
        for w in pool where sizeAB + filler.count < 2 * setA.count + setA.count / 4 {
            let v = signature(shingler.shingles(of: (last + [w]).joined(separator: " ")))
            guard guarded.allSatisfy({ v[$0] > sigC[$0] }) else { continue }
            for i in sigC.indices { sigC[i] = min(sigC[i], v[i]) }
            filler.append(w)
            last = Array(last.dropFirst()) + [w]
        }
        let c = a + " " + b + " " + filler.joined(separator: " ")
        let setB = Set(shingler.shingles(of: b))
        let setC = Set(shingler.shingles(of: c))
        let sigB = signature(Array(setB))
        let fullC = signature(Array(setC))
        try #require(band(sigA, fullC, bandA) && band(sigB, fullC, bandB))
        try #require(jaccard(setA, setB) >= 0.8 && jaccard(setA, setC) < 0.5 && jaccard(setB, setC) < 0.5)
        let minimum = settings.signatureMinimumMatches
        try #require(equalValues(sigA, fullC) < minimum - 3 && equalValues(sigB, fullC) < minimum - 3)

        let h = try DedupHarness([[doc("a", a), doc("u", long[1]), doc("c", c), doc("b", b)]])
        let r = try h.run(MinHashDedup(settings: settings))
        switch mode {
        case .none:
            #expect(r.kept.map(\.id) == ["a", "u"])
            #expect(r.dropped.map(\.0) == ["c", "b"])
        case .signature, .exact:
            #expect(r.kept.map(\.id) == ["a", "u", "c"])
            #expect(r.dropped.map(\.0) == ["b"])
            let kept = try #require(r.kept.first)
            #expect(kept.metadata[MinHashFilter.sizeKey] == .int(2))
            #expect(r.kept[2].metadata[MinHashFilter.sizeKey] == nil)
        }
    }

    /// The component rule on its own, with a verifier that accepts a given set of pairs.
    @Test func componentJoinerGroupsEveryPairItPasses() throws {
        struct Similar: CandidateVerifier {
            var pairs: Set<[UInt64]>
            func accepts(_ a: UInt64, _ b: UInt64) -> Bool { pairs.contains([min(a, b), max(a, b)]) }
        }
        var joiner = ComponentJoiner()
        var got: [[UInt64]] = []
        func run(_ keys: [UInt64], _ v: Similar) throws -> Int {
            got = []
            return try keys.withUnsafeBufferPointer { try joiner.join($0, verifier: v) { got.append([$0, $1]) } }
        }
        // 1 ~ 3, 3 ~ 4 but 1 ≁ 4 (a copy of a copy); 2 similar to nobody; 5 ~ 1 only.
        #expect(try run([1, 2, 3, 4, 5], Similar(pairs: [[1, 3], [3, 4], [1, 5]])) == 1)  // document 2
        #expect(got == [[1, 3], [3, 4], [1, 5]])
        #expect((0..<5).map { joiner.leader(of: $0) } == [0, 1, 0, 0, 0])
        // A document similar to two separate groups links both, checking each only once.
        #expect(try run([1, 2, 3, 4], Similar(pairs: [[1, 3], [2, 3], [1, 4], [2, 4], [3, 4]])) == 1)
        // 3 joins the groups of 1 and 2; 4 then needs one check, against 1.
        #expect(got == [[1, 3], [2, 3], [1, 4]])
        #expect((0..<4).map { joiner.leader(of: $0) } == [0, 0, 0, 0])
        // A group of many copies keeps at most `perGroup` representatives, so a second group
        // that starts after the window's worth of copies is still found.
        let copies = (0..<UInt64(40)).map { $0 }
        var similar = Set<[UInt64]>()
        for a in copies { for b in copies where a < b { similar.insert([a, b]) } }
        similar.insert([100, 101])
        #expect(try run(copies + [100, 101], Similar(pairs: similar)) == 1)  // 100: nobody before it
        #expect(joiner.leader(of: 39) == 0)
        #expect(joiner.leader(of: 40) == 40 && joiner.leader(of: 41) == 40)
    }

    /// The signatures pass stores each value's low 32 bits; the store's count of equal values
    /// must be the count over the full 64-bit signatures, for every pair, at the right ordinals.
    @Test func storedSignaturesMatchTheFullSignatures() throws {
        let texts = [long[0], "", long[1], edited(long[0], every: 7), "!!", edited(long[0], every: 30), long[2]]
        let h = try DedupHarness([texts.enumerated().map { doc("d\($0.offset)", $0.element) }])
        let settings = MinHashSettings(verify: .signature)
        try h.runPass(MinHashDedup(settings: settings), 0)
        let store = try SignatureStore(
            workDirectory: h.environment.workDirectory, files: 1, permutations: 112,
            minimumMatches: settings.signatureMinimumMatches)
        let hasher = settings.makeHasher()
        let shingler = try settings.makeShingler()
        let signatures: [[UInt64]?] = texts.map { t in
            let s = shingler.shingles(of: t)
            guard !s.isEmpty else { return nil }
            var sig = [UInt64](repeating: 0, count: 112)
            s.withUnsafeBufferPointer { s in sig.withUnsafeMutableBufferPointer { hasher.signature(of: s, into: $0) } }
            return sig
        }
        var compared = 0
        var partial = 0
        for i in texts.indices {
            for j in texts.indices {
                guard let si = signatures[i], let sj = signatures[j] else { continue }
                let full = zip(si, sj).filter { $0 == $1 }.count
                let a = DocumentKey.make(file: 0, ordinal: i)
                #expect(try store.matches(a, DocumentKey.make(file: 0, ordinal: j)) == full)
                compared += 1
                if full > 0 && full < 112 { partial += 1 }
            }
        }
        #expect(compared == 25)
        #expect(partial >= 4)  // the edited copies agree on some values, not all
    }
    @Test func resumesAtTheUnfinishedPassAfterACrash() throws {
        let docs = [[doc("a", long[0]), doc("b", long[1])], [doc("a2", long[0]), doc("c", long[2])]]
        let clean = try DedupHarness(docs).run(MinHashDedup(settings: MinHashSettings()))

        let h = try DedupHarness(docs)
        let stage = MinHashDedup(settings: MinHashSettings())
        try h.runPass(stage, 0)
        // Crash in the middle of the buckets pass: band 3 left a half-written temporary file and
        // band 7 never ran. The clusters pass refuses to run on incomplete input…
        let work = h.environment.workDirectory
        try stage.passes()[1].run(task: 3, environment: h.environment, context: h.context())
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: MinHashLayout.pairPath(work, band: 7) + ".tmp"))
        #expect(throws: SluiceError.self) {
            try stage.passes()[2].run(task: 0, environment: h.environment, context: h.context())
        }
        // …and the rerun, starting at the unfinished pass, gives the clean result.
        let resumed = try h.run(stage, fromPass: 1)
        #expect(resumed.kept.map(\.id) == clean.kept.map(\.id))
        #expect(resumed.dropped.map(\.0) == ["a2"])
    }

    @Test func rerunOfASignatureTaskReplacesItsEarlierRuns() throws {
        let h = try DedupHarness([[doc("a", long[0]), doc("a2", long[0])]])
        var small = MinHashSettings()
        small.sortBuffer = 16 * 14  // one document per run: two runs
        try h.runPass(MinHashDedup(settings: small), 0)
        #expect(listFiles(MinHashLayout.bandDirectory(h.environment.workDirectory, 0), suffix: ".bin").count == 2)
        // A second attempt with a bigger buffer writes one run and removes the stale second one.
        let r = try h.run(MinHashDedup(settings: MinHashSettings()))
        #expect(listFiles(MinHashLayout.bandDirectory(h.environment.workDirectory, 0), suffix: ".bin").count == 1)
        #expect(r.kept.map(\.id) == ["a"])
    }

    @Test func emptyAndShortDocumentsAreHandled() throws {
        let h = try DedupHarness([
            [doc("e1", ""), doc("e2", "  !! "), doc("s1", "Hello there"), doc("s2", "hello, THERE!")]
        ])
        let r = try h.run(MinHashDedup(settings: MinHashSettings()))
        // Empty texts have no shingles and are never candidates; short texts are one shingle.
        // (Under `verify: exact`, the default, their shingle sets are empty and never compared.)
        #expect(r.kept.map(\.id) == ["e1", "e2", "s1"])
        #expect(r.dropped.map(\.0) == ["s2"])
    }

    @Test func characterShinglesFindNearDuplicates() throws {
        var s = MinHashSettings(shingles: .characters, ngram: 24, bands: 20, rows: 13)
        s.preset = "nemo"
        let h = try DedupHarness([
            [doc("a", long[0]), doc("b", long[1]), doc("a2", edited(long[0], every: 1000, offset: 50))]
        ])
        #expect(try h.run(MinHashDedup(settings: s)).kept.map(\.id) == ["a", "b"])
    }

    @Test func fixtureCorpusLosesItsCopies() throws {
        let files = try ["a", "b"].map { name in
            try String(contentsOfFile: TestSupport.fixture("dedup/near-duplicates-\(name).jsonl"), encoding: .utf8)
                .split(separator: "\n").map { line in
                    let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                    return doc(o["id"] as! String, o["text"] as! String)
                }
        }
        let h = try DedupHarness(files)
        let r = try h.run(MinHashDedup(settings: MinHashSettings(verify: .signature)))
        #expect(r.kept.count == 40)
        #expect(r.dropped.count == 16)
        // Each cluster keeps the copy with the smallest key, not necessarily the original.
        #expect(Set(r.kept.map { $0.id.split(separator: "/").last! }).count == 40)
        // The default, `verify: exact`, keeps one more: a copy whose exact Jaccard with its
        // original is below 0.8 although 77 or more of its 112 MinHash values agree. It never
        // drops a document that has no copy (every dropped id has a kept namesake).
        let e = try DedupHarness(files).run(MinHashDedup(settings: MinHashSettings()))
        #expect(e.kept.count == 41)
        #expect(e.dropped.count == 15)
        let keptNames = Set(e.kept.map { $0.id.split(separator: "/").last! })
        #expect(e.dropped.allSatisfy { keptNames.contains($0.0.split(separator: "/").last!) })
    }
}
