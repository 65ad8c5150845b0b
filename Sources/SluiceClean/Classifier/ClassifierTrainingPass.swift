// The `classify.train` pass: trains a classifier from labelled data before any document flows, so
// that a pipeline with a `classify` step runs on a fresh clone. One task; an existing model file is
// kept (delete it to retrain). It does not evaluate the model (`sluice classifier eval` does).
import Foundation
import SluiceCore

/// Trains the model a `classify` step reads, when its file is absent.
public struct ClassifierTrainingPass: CorpusPass {
    public let name = "train"
    public var input: String
    public var textField: String
    public var labelField: String
    /// Where the model goes (the step's `model` path).
    public var model: String
    public var options: TrainingOptions

    public init(
        input: String, textField: String, labelField: String, model: String, options: TrainingOptions
    ) {
        self.input = input
        self.textField = textField
        self.labelField = labelField
        self.model = model
        self.options = options
    }

    public func taskCount(environment: PassEnvironment) -> Int { 1 }

    /// Trains and writes the model through a temporary name and a rename; counts the examples.
    /// - Throws: `SluiceError` when the labelled data cannot be read or has fewer than two labels.
    public func run(task: Int, environment: PassEnvironment, context: TaskContext) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: model) {
            context.count("model_existed")
            return
        }
        let examples = try LabeledData.read(path: input, textField: textField, labelField: labelField)
        context.count("examples", by: examples.count)
        let classifier = try ClassifierTrainer.train(examples, options: options)
        let folder = (model as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw SluiceError(
                    .io, "cannot create the model folder: \(error.localizedDescription)", file: folder)
            }
        }
        try classifier.write(to: model)
        context.count("model_trained")
    }
}
