// AblationConfig (library level, no process): a good file loads and plans; configuration errors
// name file, line and key; missing files and settings name their keys.
import Foundation
import SluiceAblate
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct AblationConfigTests {
    static let registry = StageRegistry(CoreStages.all)

    func configError(_ yaml: String, overrides: AblationConfig.Overrides = .init()) -> String {
        do {
            _ = try AblationConfig.parse(yaml: yaml, file: "bad.yaml", registry: Self.registry, overrides: overrides)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    static var good: String {
        let fx = TestSupport.packageRoot + "/Fixtures"
        return """
            variants:
              a: {documents: ["\(fx)/core/dolma-cc-head.jsonl"]}
              b: {documents: ["\(fx)/clean/dolma-cc-en-4docs.jsonl"]}
            baseline: a
            tokenizer: {vocab_size: 300}
            budget_tokens: 1000
            seeds: [1]
            model: {layers: 1, width: 16, heads: 2, context_length: 16}
            train: {batch_size: 2, warmup: 1}
            eval:
              - {name: s, text: "\(fx)/train/tinyshakespeare-16k.txt"}
            """
    }

    @Test func aGoodFileLoads() throws {
        let c = try AblationConfig.parse(yaml: Self.good, file: "good.yaml", registry: Self.registry)
        #expect(c.variants.map(\.name) == ["a", "b"])
        #expect(c.steps == 1000 / 32)
        #expect(c.train.layers == 1 && c.train.batchSize == 2)
        #expect(c.validation == "s")
        let plan = AblationPlan(config: c)
        #expect(plan.passes.map(\.name) == ["tokenizer", "tokenize", "train", "report"])
    }

    @Test(arguments: [
        ("variants:", "variantz:", "variantz: unknown key", "bad.yaml:2"),
        ("baseline: a", "baseline: c", "baseline: 'c' is not a variant", "bad.yaml:4"),
        ("{layers: 1,", "{layerz: 1,", "model.layerz: unknown option", "bad.yaml:8"),
        ("{batch_size: 2,", "{steps: 9, batch_size: 2,", "train.steps: budget_tokens sets the steps", "bad.yaml:9"),
        ("budget_tokens: 1000", "budget_tokens: lots", "budget_tokens: expected a positive number", "bad.yaml:6"),
        ("seeds: [1]", "seeds: [1, 1]", "seeds: seed 1 appears twice", "bad.yaml:7"),
        ("{vocab_size: 300}", "{vocab_size: 300, vocab: 3}", "tokenizer.vocab: unknown option", "bad.yaml:5"),
        ("{documents: [", "{repeat: maybe, documents: [", "variants.a.repeat: expected true or false", "bad.yaml:2"),
        ("{documents: [", "{docs: [", "variants.a.docs: unknown key", "bad.yaml:2"),
        ("{name: s, text:", "{name: s, max_bytes: 10, txt:", "eval.s.txt: unknown option", "bad.yaml:11"),
        (
            "train: {batch_size: 2, warmup: 1}", "train: {batch_size: 2, warmup: 1}\ndata: {}",
            "data: the ablation makes", "bad.yaml:10"
        ),
    ])
    func configErrorsNameFileLineAndKey(_ change: (String, String, String, String)) throws {
        let yaml = Self.good.replacingOccurrences(of: change.0, with: change.1)
        #expect(yaml != Self.good)
        let e = configError(yaml)
        #expect(e.contains(change.2), "\(e)")
        #expect(e.contains(change.3), "\(e)")
    }

    @Test func missingFilesAndSettingsNameTheirKeys() {
        let e1 = configError(
            Self.good.replacingOccurrences(of: "/core/dolma-cc-head.jsonl", with: "/core/nothing-*.jsonl"))
        #expect(e1.contains("variants.a.documents: no JSONL file matches") && e1.contains("bad.yaml:2"), "\(e1)")
        let e2 = configError(Self.good, overrides: .init(settings: ["train.lr=fast"]))
        #expect(e2.contains("train.lr") && e2.contains("--set train.lr=fast"), "\(e2)")
        let e3 = configError(Self.good, overrides: .init(settings: ["budget_tokens=-5"]))
        #expect(e3.contains("budget_tokens: expected a positive number") && e3.contains("--set"), "\(e3)")
        let e4 = configError(Self.good, overrides: .init(budgetTokens: 8))
        #expect(e4.contains("less than one optimizer step (32 tokens"), "\(e4)")
    }
}
