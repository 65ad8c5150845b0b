// The stages SluiceCore provides. Adding one is a new file and one line here.

/// Every stage defined in SluiceCore.
public enum CoreStages {
    public static let all: [any Stage.Type] = [
        JSONLReader.self, TextReader.self, WriteStage.self, LengthFilter.self, SampleFilter.self,
    ]
}
