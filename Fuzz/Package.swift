// swift-tools-version: 6.1
// Sluice's fuzz targets: one libFuzzer executable per parser of user files, built only by `make fuzz`
// (docs/fuzzing.md). A separate package, so that `swift build` and `swift test` of the project never
// compile them; it uses the project's libraries through its library products.
import PackageDescription

/// Target name (the executable is `fuzz-NAME`) → its folder under Sources/ and the libraries it reads with.
let targets: [(name: String, folder: String, libraries: [String])] = [
    ("warc", "FuzzWARC", ["SluiceIngest"]),
    ("html", "FuzzHTML", ["SluiceIngest"]),
    ("wikitext", "FuzzWikitext", ["SluiceIngest"]),
    ("wikipedia", "FuzzWikipedia", ["SluiceIngest"]),
    ("bzip2", "FuzzBzip2", ["SluiceIngest"]),
    ("json", "FuzzJSON", []),
    ("jsonl", "FuzzJSONL", []),
    ("text", "FuzzText", []),
    ("yaml", "FuzzYAML", ["SluiceIngest", "SluiceClean", "SluiceDedup", "SluiceTokenize"]),
    ("tokenizer", "FuzzTokenizer", ["SluiceTokenize"]),
    ("shard", "FuzzShard", ["SluiceTokenize"]),
    ("classifier", "FuzzClassifier", ["SluiceClean"]),
    ("labeled", "FuzzLabeled", ["SluiceClean"]),
    ("safetensors", "FuzzSafetensors", ["SluiceTrain"]),
    ("checkpoint-config", "FuzzCheckpointConfig", ["SluiceTrain"]),
]

let package = Package(
    name: "SluiceFuzz",
    platforms: [.macOS(.v15)],
    products: targets.map { .executable(name: "fuzz-\($0.name)", targets: [$0.folder]) },
    dependencies: [
        .package(name: "Sluice", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(
            name: "FuzzSupport",
            dependencies: [
                "CLibFuzzer", .product(name: "SluiceCore", package: "Sluice"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
        + targets.map { t in
            .executableTarget(
                name: t.folder,
                dependencies: ["FuzzSupport", .product(name: "SluiceCore", package: "Sluice")]
                    + t.libraries.map { .product(name: $0, package: "Sluice") }
            )
        },
    swiftLanguageModes: [.v6]
)
