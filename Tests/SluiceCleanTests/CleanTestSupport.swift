// Helpers for the SluiceClean tests: build a step by name with options, run it on a text, and
// read the fixtures (real excerpts, see Fixtures/clean/NOTICE.md).
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport

/// Builds step `name` with `options` (YAML scalars or flow lists) as a pipeline would.
func makeStep(_ name: String, _ options: [String: String] = [:]) throws -> any Step {
    var values: [(key: String, value: ConfigValue)] = []
    for (k, v) in options.sorted(by: { $0.key < $1.key }) {
        values.append((k, try ConfigValue.parseYAML(v, file: nil)))
    }
    var o = StageOptions(stageName: name, values: values, file: nil)
    return try CleanStages.makeStep(named: name, options: &o)
}

func testContext(_ name: String = "test") -> TaskContext {
    TaskContext(
        taskIndex: 0, taskCount: 1, outputDirectory: NSTemporaryDirectory(), temporaryDirectory: NSTemporaryDirectory(),
        stageNames: [name])
}

/// Runs step `name` on `text`; returns the verdict and the document after the step.
func run(_ name: String, _ text: String, _ options: [String: String] = [:], metadata: JSONObject = JSONObject()) throws
    -> (Verdict, Document)
{
    var step = try makeStep(name, options)
    let context = testContext(name)
    try step.prepare(context: context)
    var doc = Document(id: "t", text: text, source: "test", metadata: metadata)
    let v = try step.apply(to: &doc, context: context)
    return (v, doc)
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
