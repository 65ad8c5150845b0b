// The stages SluiceDedup provides. Adding one is a new file and one line here.
import SluiceCore

/// Every stage defined in SluiceDedup.
public enum DedupStages {
    public static let all: [any Stage.Type] = [
        ExactDedup.self, MinHashDedup.self,
        ParagraphDedup.self,
        Decontaminate.self,
    ]
}
