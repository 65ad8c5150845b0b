// language (FineWeb's LanguageFilter over lid.176): keeps, drops naming the language, the low-score
// reason, awkward texts, the model option.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceClean

@Suite struct LanguageStepTests {
    let english = "The quick brown fox jumps over the lazy dog. This sentence is written in plain English."
    let french = "Le renard brun rapide saute par-dessus le chien paresseux. Cette phrase est écrite en français."

    @Test func keepsEnglishAtFineWebDefaults() throws {
        let (v, doc) = try run("language", english)
        #expect(v == .keep)
        #expect(doc.metadata["language"]?.stringValue == "en")
        #expect((doc.metadata["language_score"]?.doubleValue ?? 0) > 0.65)
    }

    @Test func dropsOtherLanguagesNamingThem() throws {
        let (v, doc) = try run("language", french)
        #expect(v == drop("language:fr"))
        #expect(doc.metadata["language"]?.stringValue == "fr")
        #expect(try verdict("language", french, ["languages": "[fr, de]"]) == .keep)
        #expect(try verdict("language", french, ["languages": "[]"]) == .keep)
        #expect(try verdict("language", french, ["label_only": "true"]) == .keep)
    }

    @Test func lowScoreIsItsOwnReason() throws {
        // English is the best label but not above the threshold.
        let (v, doc) = try run("language", english, ["threshold": "1"])
        #expect(v == drop("language:low_score"))
        #expect(doc.metadata["language"]?.stringValue == "en")
        #expect(try verdict("language", english, ["languages": "[]", "threshold": "1"]) == drop("language:low_score"))
    }

    @Test func unseenScriptsAndEmptyTextsAreScored() throws {
        for text in awkwardTexts {
            let (_, doc) = try run("language", text, ["label_only": "true"])
            #expect(doc.metadata["language"]?.stringValue != nil)
            let s = doc.metadata["language_score"]?.doubleValue ?? -1
            #expect(s >= 0 && s <= 1.001)
        }
    }

    @Test func modelOptionTakesAnyFastTextFile() throws {
        do {
            _ = try makeStep("language", ["model": "/nonexistent/model.bin"])
            Issue.record("expected an error")
        } catch let e as SluiceError { #expect(e.description.contains("/nonexistent/model.bin")) }
        let (v, _) = try run("language", english, ["model": TestSupport.fixture("models/lid.176.ftz")])
        #expect(v == .keep)
    }
}
