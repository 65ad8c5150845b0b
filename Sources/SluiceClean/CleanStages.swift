// The stages SluiceClean provides. Adding one is a new file and one line here.
import SluiceCore

/// Every stage defined in SluiceClean.
public enum CleanStages {
    public static let all: [any Stage.Type] = [
        NormalizeStep.self, ScriptFilter.self, GopherQualityFilter.self, GopherRepetitionFilter.self,
        C4QualityStep.self,
        FineWebQualityFilter.self, WordlistFilter.self, URLBlocklistFilter.self, SpamHeuristicsFilter.self,
        ClassifyStep.self,
        PIIStep.self,
        LanguageStep.self,
        KeepTopFraction.self,
    ]
}
