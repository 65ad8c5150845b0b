// The Markdown form of `sluice stages` (`sluice stages --markdown`, written to docs/stages.md by
// `make docs`): the same options, types, defaults and help as the text listing, as tables. It adds
// nothing the code does not say, so the page is regenerated, never edited.

extension StageListing {
    /// A Markdown page: an index of the stages, then one section per stage (`## \`name\``, so a
    /// stage's anchor is its name) with its kind, summary and a table of its options.
    /// - Throws: when a stage cannot describe its options (a bug in that stage).
    public static func markdown(_ types: [any Stage.Type]) throws -> String {
        var out = """
            # Stages

            Every stage a pipeline file can name, with every option the code reads: its type, its default
            and its help. Generated from the code by `sluice stages --markdown`; do not edit by hand: run
            `make docs` after adding or changing a stage (a test fails while this page is stale). How the
            stages work, with examples, is in the area pages linked from [the README](../README.md).


            """
        out += "| stage | kind | summary |\n| --- | --- | --- |\n"
        for type in types {
            out += "| [`\(type.name)`](#\(type.name)) | \(kind(of: type)) | \(cell(type.summary)) |\n"
        }
        for type in types {
            out += "\n## `\(type.name)`\n\n"
            out += "\(kind(of: type)): \(type.summary)\n\n"
            let specs = try options(of: type)
            if specs.isEmpty {
                out += "No options.\n"
                continue
            }
            out += "| option | type | default | help |\n| --- | --- | --- | --- |\n"
            for spec in specs {
                let value = spec.defaultValue.map { code($0.isEmpty ? "\"\"" : $0) } ?? "required"
                out += "| `\(spec.key)` | \(cell(spec.type)) | \(value) | \(cell(spec.help)) |\n"
            }
        }
        return out
    }

    /// `reader: .jsonl .jsonl.gz …`, `filter`, …: the kind with a reader's file extensions.
    private static func kind(of type: any Stage.Type) -> String {
        var kind = StageRegistry.kind(of: type)
        if let reader = type as? any DocumentReader.Type, !reader.fileExtensions.isEmpty {
            kind += " (" + reader.fileExtensions.map { "`\($0)`" }.joined(separator: " ") + ")"
        }
        return kind.prefix(1).uppercased() + kind.dropFirst()
    }

    /// Text for a table cell: one line, pipes escaped.
    private static func cell(_ s: String) -> String {
        s.split(whereSeparator: \.isNewline).joined(separator: " ")
            .split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
    }

    /// A code span that survives backticks inside the value.
    private static func code(_ s: String) -> String {
        let body = cell(s)
        return body.contains("`") ? "`` \(body) ``" : "`\(body)`"
    }
}
