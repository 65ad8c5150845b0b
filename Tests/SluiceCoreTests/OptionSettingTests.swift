// OptionSetting: `--set stage.key=value` flags split at the first `=` and dot; malformed flags name the shape.
import SluiceCore
import Testing

@Suite struct OptionSettingTests {
    @Test func splitsAtTheFirstEqualsAndDot() throws {
        let s = try OptionSetting.stageOption("length.min_words=5")
        #expect(s.stage == "length" && s.key == "min_words" && s.value == "5")
        let nested = try OptionSetting.stageOption("c4.preset=a=b")
        #expect(nested.stage == "c4" && nested.key == "preset" && nested.value == "a=b")
        let top = try OptionSetting(parsing: "out=runs/x", expecting: "section.key=value")
        #expect(top.path == "out" && top.value == "runs/x" && top.stageAndKey == nil)
    }

    @Test func malformedFlagsNameTheShape() {
        for flag in ["min_words", "=5", "length=5", ".x=1", "length.=1"] {
            let e = #expect(throws: SluiceError.self) { try OptionSetting.stageOption(flag) }
            #expect(e?.description == "config error: --set \(flag): expected stage.key=value", "\(flag)")
        }
    }
}
