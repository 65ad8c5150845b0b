// The stages SluiceIngest provides. Adding one is a new file and one line here.
import SluiceCore

/// Every stage defined in SluiceIngest.
public enum IngestStages {
    public static let all: [any Stage.Type] = [
        WARCReader.self,
        ExtractStep.self,
        WikipediaReader.self,
        CodeReader.self,
        CodeQualityFilter.self,
    ]
}
