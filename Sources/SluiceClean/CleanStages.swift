// The stages SluiceClean provides. Adding one is a new file and one line here.
import SluiceCore

/// Every stage defined in SluiceClean.
public enum CleanStages {
    public static let all: [any Stage.Type] = []
}
