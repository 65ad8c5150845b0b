// FoldTable: the folding table against the ICU path.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceDedup

@Suite struct FoldTableTests {
    /// The fold table must give exactly the ICU path's words for the scripts it covers.
    @Test(arguments: [
        "Crème brûlée à la CAFÉ, naïve façade — «déjà vu»",
        "Привет, МИР! Ёжик в тумане; Їжак і ґава",
        "Ελληνικά: ΣΟΦΊΑ σοφία ΆΓΙΟΣ",
        "Straße STRASSE ǅemal ﬁne İstanbul Łódź Øresund Æther",
        "co\u{00AD}operate zero\u{200B}width “quotes” ‘single’ l’homme 3½ ² №5",
        "Zziɣ ɣer At Mlikec. Ṭṭfeɣ-d aɣrum. Việt Nam Tiếng Việt",
        "עברית שלום, Հայերեն բարեւ",
        "Combining: e\u{0301}te\u{0301} A\u{030A}ngstro\u{0308}m",
    ])
    func tableMatchesICUPath(text: String) throws {
        let fast = try Shingler()
        let slow = try Shingler()
        slow.useFoldTable = false
        #expect(fast.simplifiedText(text) == slow.simplifiedText(text))
        #expect(fast.shingles(of: text) == slow.shingles(of: text))
    }
}
