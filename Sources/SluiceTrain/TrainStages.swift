// The stages SluiceTrain provides. Adding one is a new file and one line here.
import SluiceCore

/// Every stage defined in SluiceTrain.
public enum TrainStages {
    public static let all: [any Stage.Type] = [PerplexityStep.self]
}
