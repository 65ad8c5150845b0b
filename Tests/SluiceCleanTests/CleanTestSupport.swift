// Helpers for the SluiceClean tests: build a step by name with options, run it on a text, and
// read the fixtures (real excerpts, see Fixtures/clean/NOTICE.md).
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

/// Builds step `name` with `options` (YAML scalars or flow lists) as a pipeline would.
func makeStep(_ name: String, _ options: [String: String] = [:]) throws -> any Step {
    let pairs = options.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    guard let step = try StageHarness.build(named: name, in: CleanStages.all, pairs) as? any Step else {
        throw TestSupportError("'\(name)' is not a step")
    }
    return step
}

func testContext(_ name: String = "test") -> TaskContext {
    StageHarness.context(name, directory: NSTemporaryDirectory())
}

/// Runs step `name` on `text`; returns the verdict and the document after the step.
func run(_ name: String, _ text: String, _ options: [String: String] = [:], metadata: JSONObject = JSONObject()) throws
    -> (Verdict, Document)
{
    let document = Document(id: "t", text: text, source: "test", metadata: metadata)
    let result = try StageHarness.run(try makeStep(name, options), [document], context: testContext(name))[0]
    return (result.verdict, result.document)
}

func verdict(_ name: String, _ text: String, _ options: [String: String] = [:]) throws -> Verdict {
    try run(name, text, options).0
}

func drop(_ reason: String) -> Verdict { .drop(DropReason(reason)) }

/// Fixture text.
func fixtureText(_ name: String) throws -> String {
    try String(contentsOfFile: TestSupport.fixture("clean/" + name), encoding: .utf8)
}

/// The texts of the dolma Common Crawl documents in Fixtures/clean.
func dolmaDocuments() throws -> [String] {
    try fixtureText("dolma-cc-en-4docs.jsonl").split(separator: "\n").map { line in
        let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        return o["text"] as! String
    }
}

/// Whether `error` says `text`.
func expectContains(_ error: SluiceError?, _ text: String) -> Bool { error?.message.contains(text) == true }

/// Runs step `name` on `text`; on a drop, returns the reason and what the step says fired.
func explain(_ name: String, _ text: String, _ options: [String: String] = [:]) throws -> (String, JSONObject)? {
    var step = try makeStep(name, options)
    let context = testContext(name)
    try step.prepare(context: context)
    var doc = Document(id: "t", text: text, source: "test")
    guard case .drop(let reason) = try step.apply(to: &doc, context: context) else { return nil }
    guard let explainer = step as? any DropExplaining, case .object(let o)? = explainer.explainDrop(doc, reason: reason)
    else { return (reason.rawValue, JSONObject()) }
    return (reason.rawValue, o)
}

func matchStrings(_ o: JSONObject) -> [String] { o["match"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
