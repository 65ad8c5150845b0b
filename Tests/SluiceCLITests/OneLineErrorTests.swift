// Issue 16 items 9 and 11, issue 15 §4: configuration mistakes print exactly one line naming the
// file and line (or the flag) and the key — bad YAML, duplicate keys, nested aliases, an empty
// file, `--set`, bytes that are not UTF-8, and a training configuration given to `sluice run`.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct OneLineErrorTests {
    /// Runs `sluice run p.yaml` (plus `extra`) on `yaml` and returns stderr, checking it is one line.
    func runError(_ yaml: [UInt8], _ extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws
        -> String
    {
        let dir = try TestSupport.temporaryDirectory("oneline")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CLI.write([CLI.jsonl(id: "a", text: "one two three")], to: dir + "/in.jsonl")
        try Data(yaml).write(to: URL(fileURLWithPath: dir + "/p.yaml"))
        let r = try CLI.sluice(["run", "p.yaml"] + extra, in: dir)
        #expect(r.status == 1, sourceLocation: sourceLocation)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
        return r.stderr
    }

    func runError(_ yaml: String, _ extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws
        -> String
    {
        try runError(Array(yaml.utf8), extra, sourceLocation: sourceLocation)
    }

    let good = "input: {paths: [in.jsonl]}\noutput: out\nstages:\n  - length: {min_words: 2}\n  - write\n"

    @Test func yamlSyntaxErrorsAreOneLineWithTheirLine() throws {
        let e = try runError("input: {paths: [in.jsonl]}\noutput: out\nstages:\n  - length: {min_words: 2\n  - write\n")
        #expect(e.hasPrefix("sluice: config error: not valid YAML: "))
        #expect(e.hasSuffix("(p.yaml:6)\n") || e.hasSuffix("(p.yaml:5)\n"))
        let tabs = try runError("input: in.jsonl\noutput: out\nstages:\n\t- write\n")
        #expect(tabs.hasPrefix("sluice: config error: not valid YAML: ") && tabs.hasSuffix("(p.yaml:4)\n"))
    }

    @Test func aDuplicateKeyNamesTheKeyAndLineNotTheWholeFile() throws {
        let e = try runError("input: in.jsonl\noutput: out\noutput: other\nstages: [write]\n")
        #expect(
            e == "sluice: config error: key 'output' appears twice in one map (p.yaml:2)\n"
                || e == "sluice: config error: key 'output' appears twice in one map (p.yaml:3)\n")
    }

    @Test func nestedAliasesFailFastInsteadOfExpanding() throws {
        var yaml = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...12 {
            yaml += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        yaml += "input: in.jsonl\noutput: out\nstages: [write]\n"
        let start = Date()
        let e = try runError(yaml)
        #expect(Date().timeIntervalSince(start) < 60)
        #expect(e.hasPrefix("sluice: config error: YAML aliases expand to more than 100000 values or 16 MB"))
        #expect(e.contains("(p.yaml:"))
        // A few aliases in a sane file still work.
        let dir = try TestSupport.temporaryDirectory("oneline")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CLI.write([CLI.jsonl(id: "a", text: "one two three")], to: dir + "/in.jsonl")
        try "input: {paths: &p [in.jsonl]}\noutput: out\nstages:\n  - length: &l {min_words: 2}\n  - write\n".write(
            toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        #expect(try CLI.sluice(["run", "p.yaml"], in: dir).status == 0)
    }

    @Test func anEmptyPipelineFileSaysSo() throws {
        #expect(
            try runError("")
                == "sluice: config error: the pipeline file is empty: give it input, output and stages (see Pipelines/quickstart.yaml) (p.yaml)\n"
        )
        #expect(try runError("# only a comment\n").contains("the pipeline file is empty"))
    }

    @Test func setErrorsNameTheFlagNotLineOneOfTheFile() throws {
        let e = try runError(good, ["--set", "length.min_words=many"])
        #expect(e == "sluice: config error: length.min_words: 'many' is not an integer (--set length.min_words=many)\n")
        let unknown = try runError(good, ["--set", "length.min_wrods=3"])
        #expect(
            unknown.hasPrefix("sluice: config error: length.min_wrods: unknown option")
                && unknown.hasSuffix("(--set length.min_wrods=3)\n"))
        let yaml = try runError(good, ["--set", "length.min_words=[1, 2"])
        #expect(
            yaml.hasPrefix("sluice: config error: length.min_words: not valid YAML: ")
                && yaml.hasSuffix("(--set length.min_words=[1, 2)\n"))
    }

    @Test func bytesThatAreNotUTF8AreRejectedWithTheirLine() throws {
        var bytes = Array("input: in.jsonl\noutput: out-".utf8) + [0xFF, 0xFE] + Array("\nstages: [write]\n".utf8)
        let e = try runError(bytes)
        #expect(
            e
                == "sluice: config error: the pipeline file is not valid UTF-8 (byte 28 of the file); save it as UTF-8 (p.yaml:2)\n"
        )
        bytes = Array("input: in.jsonl\noutput: out\nstages: [write]\n".utf8) + [0xC3]
        #expect(try runError(bytes).contains("not valid UTF-8"))
    }

    @Test func aTrainingConfigurationPointsToSluiceTrain() throws {
        let e = try runError("model:\n  layers: 2\ntrain:\n  steps: 3\n")
        #expect(
            e
                == "sluice: config error: model: this is a training configuration (it has `model`); run it with `sluice train p.yaml` (p.yaml:2)\n"
        )
        let shipped = try CLI.sluice(
            ["run", TestSupport.packageRoot + "/Pipelines/train-tiny.yaml"], in: NSTemporaryDirectory())
        #expect(shipped.status == 1)
        #expect(
            shipped.stderr.contains("this is a training configuration (it has `model`); run it with `sluice train "))
    }
}
