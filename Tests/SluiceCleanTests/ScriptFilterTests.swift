// script: pages kept or dropped by their writing system.
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct ScriptFilterTests {
    @Test func japaneseKeptEnglishDropped() throws {
        let ja = try fixtureText("wagahai-excerpt.txt")
        let (v, d) = try run("script", ja, ["keep": "[Hani, Hira, Kana]", "min_fraction": "0.8"])
        #expect(v == .keep)
        #expect(["Hani", "Hira", "Kana"].contains(d.metadata["script"]?.stringValue ?? ""))
        let en = try dolmaDocuments()[0]
        #expect(try verdict("script", en, ["keep": "[Hani, Hira, Kana]"]) == drop("script:other_script"))
        let (ve, de) = try run("script", en, ["keep": "[Latin]"])
        #expect(ve == .keep)
        #expect(de.metadata["script"] == .string("Latn"))
        #expect(try verdict("script", "12 345 !!", ["keep": "[Latn]"]) == drop("script:no_letters"))
        #expect(throws: SluiceError.self) { try makeStep("script", ["keep": "[Klingonish]"]) }
    }
}
