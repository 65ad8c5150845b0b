// The stages SluiceTokenize provides. Adding one is a new file and one line here.
import SluiceCore

/// Every stage defined in SluiceTokenize.
public enum TokenizeStages {
    public static let all: [any Stage.Type] = [TokenizeWriter.self, TrainTokenizerStage.self]
}
